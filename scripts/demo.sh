#!/usr/bin/env bash
# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
#
# The main job, end to end, on a fresh machine (`make demo`):
#   set up -> simulated robot + recorder on ROS -> scripted-expert demos into MCAP bags ->
#   bag_to_dataset -> train NF-P -> policy_node drives the robot (evaluate) -> do-nothing
#   baseline on the same seeds -> success rate, latency, confidence summary and plots.
# Knobs (environment): DEMO_TASK, DEMO_DEMOS, DEMO_TRAIN_STEPS, DEMO_EPISODES, DEMO_IMAGE,
# DEMO_RANGE (object placement scale, sim.task.TaskConfig.object_range_scale),
# DEMO_ENCODER_WARMUP (steps of regression warm-up of the image encoder; 0 = off),
# DEMO_WARMUP_PRECISION (fp32 | bf16 | auto: the warm-up's trunks in bf16 where the CPU has
# it natively), DEMO_CAMERA_OFF (1: evaluate the same policy once more with the camera
# blacked out, the success it owes to its camera; 0: skip),
# DEMO_EVAL_RTF (the sim's real-time factor during evaluation: a slow CPU runs the robot
# slower than real time so the policy keeps up), DEMO_OUT, DEMO_DEVICE; DEMO_WRITE_DOCS=1
# appends the result to docs/benchmarks/demo.{json,md}.
set -euo pipefail
cd "$(dirname "$0")/.."

TASK=${DEMO_TASK:-drawer-open}
# The vision tier's camera recipe (docs/benchmarks/vision_tier.md, chosen on its tuning
# split): 50 demos, 48 px, the drawer placed over twice Meta-World's range (where the
# policy with its camera off falls far behind: vision_tier.md), 3000 steps of which the
# first 1000 regress the chunk to train the image encoder.
DEMOS=${DEMO_DEMOS:-50}
TRAIN_STEPS=${DEMO_TRAIN_STEPS:-3000}
ENCODER_WARMUP=${DEMO_ENCODER_WARMUP:-1000}
WARMUP_PRECISION=${DEMO_WARMUP_PRECISION:-auto}
CAMERA_OFF=${DEMO_CAMERA_OFF:-1}
EPISODES=${DEMO_EPISODES:-10}
IMAGE=${DEMO_IMAGE:-48}
RANGE=${DEMO_RANGE:-2}  # object placement scale (2 = twice Meta-World's range: must look)
EVAL_RTF=${DEMO_EVAL_RTF:-0.25}
DEVICE=${DEMO_DEVICE:-auto}
OUT=${DEMO_OUT:-runs/demo-$(date +%Y%m%d-%H%M%S)}

bash scripts/setup.sh
# shellcheck disable=SC1091
source scripts/env.sh
export ROS_DOMAIN_ID=${ROS_DOMAIN_ID:-$((RANDOM % 101 + 1))}
export ROS_AUTOMATIC_DISCOVERY_RANGE=${ROS_AUTOMATIC_DISCOVERY_RANGE:-LOCALHOST}
export OMP_NUM_THREADS=1
BIN=install/nf_policy_ros/lib/nf_policy_ros
mkdir -p "$OUT/logs"
PIDS=()
stop_nodes() {  # SIGTERM (background jobs ignore SIGINT) every node started so far, wait
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait; PIDS=()
}
cleanup() { stop_nodes; }
trap cleanup EXIT
log() { printf '[demo %s] %s\n' "$(date +%T)" "$*"; }
start() {  # name, args...: start an installed node in the background, log to $OUT/logs
  local name=$1; shift
  "$BIN/$name" --ros-args "$@" >"$OUT/logs/$name.log" 2>&1 &
  PIDS+=($!)
}
SECONDS=0

log "task $TASK, $DEMOS demos, $TRAIN_STEPS training steps, ${IMAGE}x$IMAGE images -> $OUT"
SIM=(-p task:="$TASK" -p image_width:="$IMAGE" -p image_height:="$IMAGE"
     -p object_range_scale:="$RANGE")
start sim_robot_node "${SIM[@]}" -p real_time_factor:=1.0
start demo_recorder -p output_dir:="$OUT/bags" -p log_time:=header -p use_sim_time:=true \
  -p "topics:=[/image, /joint_states, /sim_robot/reference]"

log "1/5 recording scripted-expert demos through ROS"
"$BIN/collect_demos" --task "$TASK" --demos "$DEMOS" >"$OUT/logs/collect_demos.log"
tail -n 1 "$OUT/logs/collect_demos.log"
stop_nodes  # the robot idles during training: give the CPU to training

log "2/5 bags -> dataset"
SIZE=(--set "encoder.image_height=$IMAGE" --set "encoder.image_width=$IMAGE")
"$BIN/bag_to_dataset" "$OUT/bags" --out "$OUT/dataset" --config config/sim_train.yaml \
  --no-progress "${SIZE[@]}"

log "3/5 training NF-P ($TRAIN_STEPS steps; progress in $OUT/logs/train.log)"
OMP_NUM_THREADS=${DEMO_TRAIN_THREADS:-$(nproc)} "$BIN/train" --dataset "$OUT/dataset" --out "$OUT/run" --config config/sim_train.yaml \
  --device "$DEVICE" --no-progress "${SIZE[@]}" \
  --set "train.stage_steps=[$TRAIN_STEPS]" --set "train.encoder_warmup_steps=$ENCODER_WARMUP" \
  --set "train.warmup_precision=$WARMUP_PRECISION" \
  >"$OUT/logs/train.log" 2>&1
tail -n 2 "$OUT/logs/train.log"

log "4/5 policy_node drives the robot ($EPISODES episodes, sim at ${EVAL_RTF}x real time)"
start sim_robot_node "${SIM[@]}" -p real_time_factor:="$EVAL_RTF"
start policy_node --params-file config/sim_policy.yaml -p checkpoint:="$OUT/run/policy.pt" \
  -p device:="$DEVICE"
"$BIN/evaluate" --episodes "$EPISODES" --real-time-factor "$EVAL_RTF" \
  --out "$OUT/eval_nfp.json" | tee "$OUT/logs/evaluate.log"

if [ "$CAMERA_OFF" = 1 ]; then
  log "4b/5 the same policy with the camera blacked out (what it owes to its camera)"
  stop_nodes
  start sim_robot_node "${SIM[@]}" -p real_time_factor:="$EVAL_RTF" -p camera_blackout:=true
  start policy_node --params-file config/sim_policy.yaml -p checkpoint:="$OUT/run/policy.pt" \
    -p device:="$DEVICE"
  "$BIN/evaluate" --episodes "$EPISODES" --real-time-factor "$EVAL_RTF" \
    --out "$OUT/eval_camera_off.json" | tail -n 1
fi

log "5/5 do-nothing baseline on the same seeds"
"$BIN/evaluate" --episodes "$EPISODES" --hold --real-time-factor 0 \
  --out "$OUT/eval_hold.json" | tail -n 1

WRITE_DOCS=()
[ "${DEMO_WRITE_DOCS:-0}" = 1 ] && WRITE_DOCS=(--write-docs)
python -m benchmarks.demo_report "$OUT" --seconds "$SECONDS" "${WRITE_DOCS[@]}" \
  --setting task="$TASK" --setting train_steps="$TRAIN_STEPS" --setting image="$IMAGE" \
  --setting episodes="$EPISODES" --setting object_range_scale="$RANGE" \
  --setting encoder_warmup_steps="$ENCODER_WARMUP" --setting demos="$DEMOS" \
  --setting warmup_precision="$WARMUP_PRECISION"
echo "plot: $OUT/eval_nfp.png"
