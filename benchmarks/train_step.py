# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""``python -m benchmarks.train_step``: benchmarks.experiments.train_step."""

from benchmarks.experiments.train_step import main

if __name__ == '__main__':
    raise SystemExit(main())
