# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The candidate governor degrades N under a slow model and recovers it with hysteresis."""

from __future__ import annotations

from nf_policy_ros.nodes.policy.budget import RECOVER_AFTER_TICKS, CandidateGovernor


def test_halves_on_a_late_tick_down_to_the_floor():
    gov = CandidateGovernor(max_candidates=128, min_candidates=8, budget_ms=80.0)
    assert gov.levels() == [128, 64, 32, 16, 8]
    assert [gov.update(120.0) for _ in range(6)] == [64, 32, 16, 8, 8, 8]
    assert gov.degraded


def test_recovers_only_after_a_run_of_fast_ticks():
    gov = CandidateGovernor(max_candidates=128, min_candidates=8, budget_ms=80.0)
    gov.update(120.0)
    for _ in range(RECOVER_AFTER_TICKS - 1):
        assert gov.update(30.0) == 64
    gov.update(60.0)  # within budget but not fast: the run starts over
    for _ in range(RECOVER_AFTER_TICKS - 1):
        assert gov.update(30.0) == 64
    assert gov.update(30.0) == 128 and not gov.degraded


def test_a_model_within_budget_keeps_n():
    gov = CandidateGovernor(max_candidates=32, min_candidates=1, budget_ms=80.0)
    assert {gov.update(79.0) for _ in range(50)} == {32}
