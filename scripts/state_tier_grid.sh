#!/usr/bin/env bash
# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
#
# The whole state-tier grid (6 tasks x {10, 50} demos x 3 seeds x {NF-P, DP}) as N parallel
# single-thread shards (default: one per core). Finished runs are skipped, so re-running
# resumes; results go to docs/benchmarks/state_tier.{json,md}. Extra arguments go to every
# shard, e.g. `bash scripts/state_tier_grid.sh --seeds 1 2`.
#
#   STATE_TIER_SHARDS=16 bash scripts/state_tier_grid.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck disable=SC1091
source scripts/env.sh
# shellcheck source=scripts/shards.sh
source scripts/shards.sh
run_shards state_tier_grid "${STATE_TIER_SHARDS:-$(nproc)}" benchmarks.state_tier "$@"
