# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""``python -m benchmarks.node_latency``: benchmarks.experiments.node_latency."""

from benchmarks.experiments.node_latency import main

if __name__ == '__main__':
    raise SystemExit(main())
