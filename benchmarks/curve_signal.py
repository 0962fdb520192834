# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""``python -m benchmarks.curve_signal``: benchmarks.experiments.curve_signal."""

from benchmarks.experiments.curve_signal import main

if __name__ == '__main__':
    raise SystemExit(main())
