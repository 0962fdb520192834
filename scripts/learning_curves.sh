#!/usr/bin/env bash
# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
#
# The learning-curve grid (6 state tasks x {NF-P, DP own recipe, DP shared recipe} x seed 0,
# 50 demos, EMA snapshots at 1k/2k/4k/8k/16k steps evaluated on the tuning split) as N
# parallel single-thread workers (default: one per core). Trainings resume from their
# last.pt and evaluated snapshots are skipped, so re-running resumes; results go to
# docs/benchmarks/learning_curves.{json,md,png}. Extra arguments go to every worker, e.g.
# `bash scripts/learning_curves.sh --seeds 1 2` or `--max-minutes 240` (a session's share).
#
#   mkdir -p runs && nohup bash scripts/learning_curves.sh > runs/learning_curves.log 2>&1 &
#   LEARNING_CURVE_WORKERS=2 bash scripts/learning_curves.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck disable=SC1091
source scripts/env.sh
# shellcheck source=scripts/shards.sh
source scripts/shards.sh
run_shards learning_curves_grid "${LEARNING_CURVE_WORKERS:-$(nproc)}" benchmarks.learning_curve --threads 1 "$@"
