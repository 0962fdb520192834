# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""``python -m benchmarks.conversion``: benchmarks.experiments.conversion."""

from benchmarks.experiments.conversion import main

if __name__ == '__main__':
    raise SystemExit(main())
