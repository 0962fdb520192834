# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""``python -m benchmarks.nfp_recipe``: benchmarks.experiments.nfp_recipe."""

from benchmarks.experiments.nfp_recipe import main

if __name__ == '__main__':
    raise SystemExit(main())
