#!/usr/bin/env bash
# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
#
# The test command: set up if needed, build, lint, and run pytest with ROS isolated to this
# run (random domain, localhost discovery, private log dir, one torch thread).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# shellcheck disable=SC1091
source scripts/env.sh

export ROS_DOMAIN_ID=${ROS_DOMAIN_ID:-$((RANDOM % 101 + 1))}
export ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST
ROS_LOG_DIR=$(mktemp -d); export ROS_LOG_DIR
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 PYTHONDONTWRITEBYTECODE=1
# inductor compiles in its own process, not a pool of one per core: the other cores run
# the other workers' tests (beside them, the pool made test_compiled's first test take
# 247 s; without it 44 s: docs/decisions.md)
export TORCHINDUCTOR_COMPILE_THREADS=1
trap 'rm -rf "$ROS_LOG_DIR"' EXIT

# One pytest-xdist worker per core (NF_TEST_WORKERS overrides; 0 = no workers, in this
# process), each test file whole on one worker (its module fixtures trained once), each
# worker on its own ROS domain (test/conftest.py). Torch stays at one thread per worker.
# (nproc counts OMP_NUM_THREADS, exported above: ask it for the cores without it)
workers=${NF_TEST_WORKERS:-$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc)}
echo "[test] ROS_DOMAIN_ID=$ROS_DOMAIN_ID (+ worker index), $workers workers"
# the slowest tests are named at the end: the suite aims at ~15 min on a 2-core CPU
python -m pytest -n "$workers" --dist loadfile --durations=15 "$@"
