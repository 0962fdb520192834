# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""``python -m benchmarks.ablations``: benchmarks.experiments.ablations."""

from benchmarks.experiments.ablations import main

if __name__ == '__main__':
    raise SystemExit(main())
