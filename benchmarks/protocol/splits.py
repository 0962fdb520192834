# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The state tier's tasks and the evaluation splits every closed-loop experiment uses (no
torch here: the pages read them too)."""

from __future__ import annotations

TASKS = ('hammer', 'assembly', 'basketball', 'lever-pull', 'peg-insert-side', 'bin-picking')
EVAL_SEED0 = 10_000
# Evaluation start states (../shared/EVALUATION.md): every decision is made on the tuning
# split; the test split is used only for headline numbers, after the choices are frozen.
SPLIT_SEED0 = {'tune': EVAL_SEED0, 'test': 20_000}
SPLIT_EPISODES = {'tune': 20, 'test': 50}
# Start states of the takeover study's rounds (benchmarks.experiments.takeover_study: the
# episodes whose takeovers make the corrections, training data, never scored): 30000+, apart
# from the demos (0, 1, ...: a few hundred at most), the tuning split (10000-10019) and the
# test split (20000-20049). Round r (1, 2, ...) uses 30000 + ROUND_SEEDS * (r - 1) + i.
TAKEOVER_SEED0 = 30_000
ROUND_SEEDS = 1_000
