#!/usr/bin/env bash
# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
#
# The test-split headline of NF-P vs Diffusion Policy (own recipe), in the order that
# finishes what matters first, each step as parallel single-thread workers of
# benchmarks.state_tier (resumable; finished jobs are skipped):
#   1. DP (own recipe)'s sampler study on the tuning split at its budget (DDIM-10 vs
#      DDIM-10 eta 1, 50 demos, seed 0: the learning curves' trainings, loaded, not rerun);
#   2. 50 demos x 3 seeds: NF-P vs DP (own recipe) with the sampler step 1 chose, and with
#      DDPM-100 (its slow published sampler) on each such training right after, never
#      trained for (--evaluate-only: minutes of evaluation beside an hour or two of
#      training, and a training need not outlive its session's checkout);
#   3. 10 demos x 3 seeds: NF-P vs DP (own recipe) with the chosen sampler;
#   4. NF-P's ablations (benchmarks.ablations: hammer and lever-pull, 10 demos x 3 seeds);
#   5. the time left advances DP trainings that cannot finish this session
#      (--advance-unfinished: their checkpoints help a later session if this checkout
#      survives; otherwise the time would have been idle).
# A training that cannot finish before --max-minutes at this machine's measured pace is
# stopped or not started (benchmarks/runs/job_pace.py); its time goes to jobs that can.
# Every budget comes from the finished learning curves (benchmarks.headline refuses, in one
# line, while one is not final). --max-minutes M stops the whole sequence after M minutes
# (a session's share); the next run resumes where it stopped.
#
#   mkdir -p runs && nohup bash scripts/headline.sh --max-minutes 150 > runs/headline.log 2>&1 &
#
# A later NF-P recipe's test split (issue 32: run once with the frozen recipe, paired with the
# DP (own recipe) test records above; DP is not retrained): --recipe KIND runs only that
# recipe, 6 tasks x 50 and 10 demos x seeds 0-2, at its budget from its finished learning
# curve (refused, in one line, until it is final). Recipe 2's test split:
#
#   mkdir -p runs && nohup bash scripts/headline.sh --max-minutes 150 --recipe nfp2 \
#     > runs/headline_nfp2.log 2>&1 &
#
# which runs, through scripts/state_tier_grid.sh, the same as
#   python -m benchmarks.state_tier --split test --policies nfp2 --demos 50 10 \
#     --seeds 0 1 2 --write-docs
# The headline (state_tier.md) then shows each recipe, newest first, against the same DP runs.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck disable=SC1091
source scripts/env.sh
# shellcheck source=scripts/shards.sh
source scripts/shards.sh

minutes=0
recipe=''
while [[ ${1:-} == --max-minutes || ${1:-} == --recipe ]]; do
  case $1 in
    --max-minutes) minutes=$2 ;;
    --recipe) recipe=$2 ;;
  esac
  shift 2
done
deadline=$(( $(date +%s) + ${minutes%.*} * 60 ))

rest=0
next_step() {  # sets rest: the minutes left for the next step; exits when the time is up
  if (( minutes > 0 )); then
    rest=$(( (deadline - $(date +%s)) / 60 ))
    if (( rest < 1 )); then
      echo "[headline] time up: re-run to resume"
      exit 0
    fi
  fi
}

grid() {  # one state-tier step of the sequence
  next_step
  STATE_TIER_SHARDS=${HEADLINE_WORKERS:-$(nproc)} bash scripts/state_tier_grid.sh \
    --max-minutes "$rest" "$@"
}

headline() {  # the whole sequence; a function, so bash has read all of it before it
              # runs: editing this file while a grid runs cannot change what runs
  budget=$(python -m benchmarks.headline budget dp-own)
  grid --split tune --demos 50 --seeds 0 --policies dp-own dp-own-eta1 --steps "$budget"
  fast=$(python -m benchmarks.headline fast-sampler)
  echo "[headline] DP (own recipe) at $budget steps with sampler $fast"
  # DP first in each training: its one-to-two-hour training fits only early in a session;
  # NF-P's minutes-long jobs fill what is left
  grid --split test --demos 50 --policies "$fast" dp-own-ddpm nfp --evaluate-only dp-own-ddpm "$@"
  grid --split test --demos 10 --policies "$fast" nfp "$@"
  next_step
  run_shards ablations_grid "${HEADLINE_WORKERS:-$(nproc)}" \
    benchmarks.ablations --split test --max-minutes "$rest"
  grid --split test --demos 50 10 --policies "$fast" --advance-unfinished "$@"
  echo "[headline] done"
}

recipe_test() {  # one NF-P recipe's test split (--recipe), paired with DP's test records
  local known
  known=$(python -m benchmarks.headline recipes)
  if ! grep -qx -- "$recipe" <<< "$known"; then
    echo "[headline] --recipe $recipe: expected one of ${known//$'\n'/ }" >&2
    exit 2
  fi
  budget=$(python -m benchmarks.headline budget "$recipe")
  echo "[headline] $recipe's test split at $budget steps"
  grid --split test --demos 50 10 --seeds 0 1 2 --policies "$recipe" "$@"
  echo "[headline] done"
}

if [[ -n $recipe ]]; then
  recipe_test "$@"; exit
fi
headline "$@"; exit
