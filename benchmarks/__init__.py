# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The benchmarks: measurements of NF-P (and the Diffusion Policy baseline it is compared
with) beside the product, never installed with it or imported by it.

    benchmarks/<name>.py   the commands: ``python -m benchmarks.<name>`` (one line each)
    experiments/           the measurements behind the commands
    protocol/              what is compared and how: kinds, network adapters, tasks, splits
    runs/                  run directories, resumption, training clock, job pace
    pages/                 records, targets, page renderers, render
    baselines/             the Diffusion Policy baseline

Rooms import only rooms listed above them in test/layers.py (baselines <- protocol <-
pages <- runs <- experiments <- the commands).
"""
