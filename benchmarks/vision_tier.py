# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""``python -m benchmarks.vision_tier``: benchmarks.experiments.vision_tier."""

from benchmarks.experiments.vision_tier import main

if __name__ == '__main__':
    raise SystemExit(main())
