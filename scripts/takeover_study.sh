#!/usr/bin/env bash
# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
#
# The takeover study (benchmarks/experiments/takeover_study.py, issue 35) as N parallel
# single-thread shards (default: one per core), one (task, seed) job at a time each;
# recorded runs are skipped and gathered data and trainings resume from runs/takeover_study,
# so re-running continues. Extra arguments go to every shard, e.g.
#   bash scripts/takeover_study.sh --split tune --max-minutes 240
#   bash scripts/takeover_study.sh --split test   # the targets: after the tuning choices
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck disable=SC1091
source scripts/env.sh
# shellcheck source=scripts/shards.sh
source scripts/shards.sh
run_shards takeover_study "${TAKEOVER_STUDY_SHARDS:-$(nproc)}" benchmarks.takeover_study "$@"
