# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""``python -m benchmarks.confidence_auroc``: benchmarks.experiments.confidence_auroc."""

from benchmarks.experiments.confidence_auroc import main

if __name__ == '__main__':
    raise SystemExit(main())
