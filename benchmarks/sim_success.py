# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""``python -m benchmarks.sim_success``: benchmarks.experiments.sim_success."""

from benchmarks.experiments.sim_success import main

if __name__ == '__main__':
    raise SystemExit(main())
