# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""``python -m benchmarks.candidate_precision``: benchmarks.experiments.candidate_precision."""

from benchmarks.experiments.candidate_precision import main

if __name__ == '__main__':
    raise SystemExit(main())
