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
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
shards=${STATE_TIER_SHARDS:-$(nproc)}
logs=runs/state_tier_grid
mkdir -p "$logs"
pids=()
for ((k = 0; k < shards; k++)); do
  python -m benchmarks.state_tier --shard "$k/$shards" --write-docs "$@" \
    > "$logs/shard_$k.log" 2>&1 &
  pids+=($!)
done
echo "[state_tier_grid] $shards shards running; logs in $logs/"
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
exit $status
