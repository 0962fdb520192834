# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""``python -m benchmarks.gate_delay``: benchmarks.experiments.gate_delay."""

from benchmarks.experiments.gate_delay import main

if __name__ == '__main__':
    raise SystemExit(main())
