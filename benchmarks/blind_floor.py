# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""``python -m benchmarks.blind_floor``: benchmarks.experiments.blind_floor."""

from benchmarks.experiments.blind_floor import main

if __name__ == '__main__':
    raise SystemExit(main())
