# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Keeping the control rate: best-of-N with fewer candidates when the model runs late.

A plan that misses its tick is worse than a plan from fewer candidates: the robot keeps
following an older chunk, and the overrun is silent. The governor watches how long the model
takes and halves N when a tick's model time passes the budget (a fraction of the control
period), doubles it back after a run of ticks that would fit twice over, and never goes below
``min_candidates`` or above the configured N. The node reports N and the degraded ticks in
/diagnostics, so a slower computer shows up as a number, not as dropped ticks.
"""

from __future__ import annotations

from dataclasses import dataclass

from nf_policy_ros.node_config.policy import PolicyNodeConfig

# Ticks in a row under half the budget before N doubles again (hysteresis: a one-off fast
# tick does not undo a degradation).
RECOVER_AFTER_TICKS = 20


@dataclass
class CandidateGovernor:
    """N for the next tick of best-of-N, from the model times [ms] of the last ticks.

    :param max_candidates: the configured N (``sampling.num_candidates``).
    :param min_candidates: the fewest it degrades to (>= 1).
    :param budget_ms: model time allowed per tick (e.g. 0.8 of the control period).
    """

    max_candidates: int
    min_candidates: int
    budget_ms: float
    current: int = 0
    _fast_ticks: int = 0

    def __post_init__(self) -> None:
        self.min_candidates = max(1, min(self.min_candidates, self.max_candidates))
        self.current = self.current or self.max_candidates

    @property
    def degraded(self) -> bool:
        return self.current < self.max_candidates

    def levels(self) -> list[int]:
        """Every N the governor can choose, largest first (warm-up compiles each)."""
        out, n = [], self.max_candidates
        while n > self.min_candidates:
            out.append(n)
            n //= 2
        return out + [self.min_candidates]

    def update(self, model_ms: float) -> int:
        """Record one tick's model time at the current N; return N for the next tick."""
        if model_ms > self.budget_ms and self.current > self.min_candidates:
            self.current = max(self.min_candidates, self.current // 2)
            self._fast_ticks = 0
        elif model_ms < 0.5 * self.budget_ms and self.degraded:
            self._fast_ticks += 1
            if self._fast_ticks >= RECOVER_AFTER_TICKS:
                self.current = min(self.max_candidates, self.current * 2)
                self._fast_ticks = 0
        else:
            self._fast_ticks = 0
        return self.current


def governor_for(config: PolicyNodeConfig) -> CandidateGovernor:
    """The governor of ``config`` (the one place it is built: configure and every live
    parameter set): at most ``sampling.num_candidates``, at least ``min_candidates``, within
    ``model_budget_ms`` [ms] of model time per tick."""
    return CandidateGovernor(config.sampling.num_candidates, config.min_candidates,
                             config.model_budget_ms)
