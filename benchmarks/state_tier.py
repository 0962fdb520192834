# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""``python -m benchmarks.state_tier``: benchmarks.experiments.state_tier."""

from benchmarks.experiments.state_tier import main

if __name__ == '__main__':
    raise SystemExit(main())
