#!/usr/bin/env bash
# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
#
# The NF-P recipe study (benchmarks/experiments/nfp_recipe.py, tuning split) as N parallel single-thread
# shards (default: one per core); recorded runs are skipped and interrupted trainings resume
# from runs/nfp_recipe, so re-running continues. Extra arguments go to every shard, e.g.
#   bash scripts/nfp_recipe.sh --tasks assembly basketball --demos 10 --max-minutes 120
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck disable=SC1091
source scripts/env.sh
# shellcheck source=scripts/shards.sh
source scripts/shards.sh
run_shards nfp_recipe "${NFP_RECIPE_SHARDS:-$(nproc)}" benchmarks.nfp_recipe "$@"
