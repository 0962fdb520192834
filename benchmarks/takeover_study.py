# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""``python -m benchmarks.takeover_study``: benchmarks.experiments.takeover_study."""

from benchmarks.experiments.takeover_study import main

if __name__ == '__main__':
    raise SystemExit(main())
