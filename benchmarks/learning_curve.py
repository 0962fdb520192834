# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""``python -m benchmarks.learning_curve``: benchmarks.experiments.learning_curve."""

from benchmarks.experiments.learning_curve import main

if __name__ == '__main__':
    raise SystemExit(main())
