#!/usr/bin/env bash
# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
#
# The DP (own recipe) half of the test-split headline (scripts/headline.sh, steps 2-3) on a
# lent GPU machine in one call: each DP training of 16000 steps takes one to two hours on a
# CPU core here, so the 6 tasks x {50, 10} demos x 3 seeds are many sessions of CPU time.
# There, HG_WORKERS single-thread processes share the GPU (a small 1-D U-Net at batch 64 is
# launch-bound: processes overlap), each training on the GPU and evaluating with the
# simulator on its core; benchmarks/runs/job_pace.py stops any training that cannot finish in
# HG_MAX_MINUTES (the machine and its checkpoints are gone after the call). NF-P's cells
# stay on the CPU grid (minutes each).
#
#   here, once (wheels the GPU image lacks, ~20 MB): bash scripts/headline_gpu.sh fetch
#   device run, carry [".whl"], timeout_s 600:       bash scripts/headline_gpu.sh run
#   here, with the returned state_tier.json:
#     python -m benchmarks.records state_tier --merge <files_at>/state_tier.json
#     python -m benchmarks.render state_tier
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
# metaworld and what it pulls that the GPU image lacks (KINDS.md of the device tool lists
# the image's packages: numpy, scipy, imageio, absl-py, etils, cloudpickle are there)
WHEELS=(metaworld==3.1.1 mujoco==3.3.0 gymnasium==1.4.0 farama-notifications==0.0.6
        glfw==2.11.0 pyopengl==3.1.10)
SOURCE_ONLY=(normflows==1.7.3)  # pure Python, on PyPI as a source archive: built here

case "${1:-run}" in
  fetch)
    "$PY" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
      --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
      --platform manylinux2014_x86_64 --platform manylinux1_x86_64 -d .whl "${WHEELS[@]}"
    "$PY" -m pip wheel -q --no-deps -w .whl "${SOURCE_ONLY[@]}"
    ls -la .whl
    ;;
  run)
    "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
      --target /tmp/site .whl/*.whl
    export PYTHONPATH=/tmp/site:$PWD MUJOCO_GL=egl PYTHONUNBUFFERED=1
    nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
    minutes=${HG_MAX_MINUTES:-7}
    workers=${HG_WORKERS:-16}
    out=${OUT:-runs/headline_gpu}
    mkdir -p "$out" runs/headline_gpu
    pids=()
    for ((k = 0; k < workers; k++)); do
      OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 "$PY" -m benchmarks.state_tier --device cuda \
        --shard "$k/$workers" --split test --demos 50 10 --policies dp-own-eta1 \
        --max-minutes "$minutes" --eval-minutes 1.5 --write-docs \
        > "runs/headline_gpu/shard_$k.log" 2>&1 &
      pids+=($!)
    done
    status=0
    for pid in "${pids[@]}"; do wait "$pid" || status=1; done
    grep -h "left for a later session\|Error\|error" runs/headline_gpu/shard_*.log | head -40 || true
    tail -n 3 runs/headline_gpu/shard_0.log
    cp docs/benchmarks/state_tier.json "$out/"
    tar -czf "$out/shard_logs.tgz" runs/headline_gpu/*.log
    exit $status
    ;;
  *) echo "usage: $0 fetch|run" >&2; exit 2 ;;
esac
