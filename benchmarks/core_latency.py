# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""``python -m benchmarks.core_latency``: benchmarks.experiments.core_latency."""

from benchmarks.experiments.core_latency import main

if __name__ == '__main__':
    raise SystemExit(main())
