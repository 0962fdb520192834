#!/usr/bin/env bash
# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
#
# The vision-tier protocol of issue 18 (2 camera tasks x 50 demos x {NF-P, DP} x 3 seeds,
# 84x84 camera, the published Diffusion Policy U-Net; each trained policy also evaluated
# with its camera blacked out and frozen on another episode's frame, on the test split) on
# a GPU machine without ROS and without network. ROS is not needed: the benchmark uses the
# ROS-free sim/, core/ and data/ layers.
#
#   on a machine with network:  bash scripts/vision_tier_gpu.sh fetch   # wheels into .whl/
#   on the GPU machine:         bash scripts/vision_tier_gpu.sh run     # resumable
#
# Runs resume from runs/vision_tier (copy it back and forth between sessions); finished runs
# are appended to docs/benchmarks/vision_tier.json. VT_MAX_MINUTES bounds one session.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
WHEELS=(metaworld==3.1.1 mujoco==3.3.0 gymnasium diffusers==0.42.1 normflows==1.7.3
        rosbags==0.11.9 tqdm pyyaml huggingface_hub safetensors)

case "${1:-run}" in
  fetch)  # binary wheels for the GPU machine's Python (default 3.12)
    "$PY" -m pip download --only-binary=:all: --python-version "${VT_PYTHON:-3.12}" \
      --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 \
      --platform manylinux_2_28_x86_64 -d .whl "${WHEELS[@]}"
    ;;
  run)
    "$PY" -m pip install -q --no-index --find-links .whl "${WHEELS[@]}"
    export MUJOCO_GL=${MUJOCO_GL:-egl} PYTHONPATH=$PWD
    # issue 18's camera tasks: blind floor <= 20 % at twice Meta-World's placement range
    # (docs/benchmarks/blind_floor.md); camera on / off / frozen on the test split; the
    # encoder warm-up (a third of the steps, as in the CPU recipe: 1000 of 3000) keeps the
    # image features alive under likelihood training (docs/decisions.md); its trunks run in
    # bf16 on a GPU that has it (train.warmup_precision auto)
    STEPS=${VT_STEPS:-8000}
    "$PY" -m benchmarks.vision_tier --device cuda --threads 4 \
      --tasks drawer-open button-press-topdown --object-range-scale 2 --split test \
      --demos 50 --seeds 0 1 2 --steps "$STEPS" --dp-size published \
      --encoder-warmup "${VT_ENCODER_WARMUP:-$((STEPS / 3))}" --trunk-stride 16 \
      --warmup-precision "${VT_WARMUP_PRECISION:-auto}" \
      --policies nfp nfp-camera-off nfp-camera-frozen dp dp-camera-off dp-camera-frozen \
      --run-dir runs/vision_tier --max-minutes "${VT_MAX_MINUTES:-0}" --write-docs
    ;;
  *) echo "usage: $0 fetch|run" >&2; exit 2 ;;
esac
