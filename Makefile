# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
.PHONY: setup test lint bench-core demo

setup:  ## venv + Debian packages + colcon build (idempotent, seconds when nothing changed)
	bash scripts/setup.sh

test:  ## setup if needed, then lint + the whole pytest suite with ROS isolation
	bash scripts/test.sh

lint:
	.venv/bin/ruff check .

bench-core:  ## NF-P core latency / throughput benchmark -> docs/benchmarks/core.md
	bash scripts/setup.sh && . scripts/env.sh && OMP_NUM_THREADS=1 \
	  python -m benchmarks.core_latency --write-docs

demo:  ## the whole story on the simulated robot (~20 min on a 2-core CPU): see README
	bash scripts/demo.sh
