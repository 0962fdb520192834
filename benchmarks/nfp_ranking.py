# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""``python -m benchmarks.nfp_ranking``: benchmarks.experiments.nfp_ranking."""

from benchmarks.experiments.nfp_ranking import main

if __name__ == '__main__':
    raise SystemExit(main())
