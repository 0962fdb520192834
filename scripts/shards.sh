# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
#
# Source me: run_shards NAME COUNT MODULE [ARGS...] starts COUNT single-thread processes of
# `python -m MODULE --shard k/COUNT --write-docs ARGS...` (k = 0..COUNT-1) with logs in
# runs/NAME/shard_k.log, waits for all, and returns 1 if any failed. The grids' scripts share it.
# The first SIGINT (Ctrl-C) or SIGTERM stops every shard: a non-interactive shell starts its
# background jobs with SIGINT ignored, so the signal is forwarded to them as SIGTERM (each
# training resumes from its last checkpoint when the grid is run again).
run_shards() {
  local name=$1 count=$2 module=$3
  shift 3
  local logs=runs/$name pids=() status=0 k pid
  mkdir -p "$logs"
  for ((k = 0; k < count; k++)); do
    OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 python -m "$module" --shard "$k/$count" --write-docs \
      "$@" > "$logs/shard_$k.log" 2>&1 &
    pids+=($!)
  done
  # shellcheck disable=SC2064  # the pids are fixed now, at trap time
  trap "echo '[$name] stopping the shards' >&2; kill -TERM ${pids[*]} 2>/dev/null" INT TERM
  echo "[$name] $count shards running; logs in $logs/"
  for pid in "${pids[@]}"; do
    # a trapped signal interrupts `wait` (status > 128): wait again for the shard to end
    while true; do
      wait "$pid" && break
      kill -0 "$pid" 2>/dev/null || { status=1; break; }
    done
  done
  trap - INT TERM
  return $status
}
