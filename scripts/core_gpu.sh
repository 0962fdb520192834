#!/usr/bin/env bash
# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
#
# Issue 15's GPU check as one device call (<= 10 min on an H100/H200): NF-P tick latency
# eager vs torch.compile (inductor) vs CUDA graphs (reduce-overhead) for zero-latent,
# best-of-N and refine at 96x96 and 224x224, and training samples/s in fp32 and bf16
# (autocast + channels_last). Targets set before any run: best-of-128 tick (encoder
# included) <= 3 ms; training >= 3,000 samples/s at 96x96. ROS is not needed.
#
#   here (network):        bash scripts/core_gpu.sh fetch     # wheels into .whl/
#   on the GPU machine:    bash scripts/core_gpu.sh run       # records into docs/benchmarks
#                          (copies core.json / core.md to $OUT when the device tool sets it)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
WHEELS=(normflows==1.7.3 tqdm pyyaml)

case "${1:-run}" in
  fetch)
    "$PY" -m pip download --only-binary=:all: --python-version "${GPU_PYTHON:-3.12}" \
      --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 \
      --platform manylinux_2_28_x86_64 --no-deps -d .whl "${WHEELS[@]}"
    ;;
  run)
    "$PY" -m pip install -q --no-index --no-deps --find-links .whl "${WHEELS[@]}"
    export PYTHONPATH=$PWD PYTHONUNBUFFERED=1
    timeout "${CORE_GPU_TIMEOUT_S:-540}" "$PY" -m benchmarks.core_latency \
      --device cuda --backends fast --image-sizes 96 224 --repeats 40 \
      --compile eager inductor reduce-overhead --train-precision fp32 bf16 --write-docs \
      || echo "core_latency stopped early (exit $?): nothing recorded; lower --repeats"
    if [ -n "${OUT:-}" ]; then cp docs/benchmarks/core.json docs/benchmarks/core.md "$OUT"/; fi
    ;;
  *) echo "usage: $0 fetch|run" >&2; exit 2 ;;
esac
