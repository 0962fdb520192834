# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""``python -m benchmarks.image_use``: benchmarks.experiments.image_use."""

from benchmarks.experiments.image_use import main

if __name__ == '__main__':
    raise SystemExit(main())
