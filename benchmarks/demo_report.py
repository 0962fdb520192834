# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""``python -m benchmarks.demo_report``: benchmarks.experiments.demo_report."""

from benchmarks.experiments.demo_report import main

if __name__ == '__main__':
    raise SystemExit(main())
