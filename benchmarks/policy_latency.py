# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""``python -m benchmarks.policy_latency``: benchmarks.experiments.policy_latency."""

from benchmarks.experiments.policy_latency import main

if __name__ == '__main__':
    raise SystemExit(main())
