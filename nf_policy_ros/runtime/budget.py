# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Keeping the control rate: best-of-N with fewer candidates when the model runs late.

A plan that misses its tick is worse than a plan from fewer candidates: the robot keeps
following an older chunk, and the overrun is silent. The governor watches how long the model
takes and halves N when ticks pass the budget (a fraction of the control period: at once for
a tick past the period, else on the second within a few ticks), doubles it back after a run
of ticks whose time at twice N would fit, and never goes below ``min_candidates`` or above
the configured N. Time at twice N is predicted from what each N cost before: the image
encoder's fixed share does not double, so a model whose N-independent cost passes half the
budget still recovers (a proportional rule kept it at the floor: node.md, 2026-12-07).
The node reports N and the degraded ticks in /diagnostics, so a slower computer shows up
as a number, not as dropped ticks.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
import statistics

from nf_policy_ros.node_config.policy import PolicyNodeConfig

# Ticks in a row that leave room for twice the candidates before N doubles again
# (hysteresis: a one-off fast tick does not undo a degradation).
RECOVER_AFTER_TICKS = 20
# A tick over the budget but within the deadline halves N only when another one at the same
# N came within this many ticks: a lone spike (a page fault, a DDS burst) still met its tick.
SPIKE_WINDOW_TICKS = 10
# Model times kept per N [ticks]: their median is what a level costs.
LEVEL_HISTORY = 9
# Recovery to 2N needs its predicted time within this fraction of the budget.
RECOVER_MARGIN = 0.9


@dataclass
class CandidateGovernor:
    """N for the next tick of best-of-N, from the model times [ms] of the last ticks.

    :param max_candidates: the configured N (``sampling.num_candidates``).
    :param min_candidates: the fewest it degrades to (>= 1).
    :param budget_ms: model time allowed per tick (e.g. 0.8 of the control period).
    :param deadline_ms: a tick later than this halves N at once (the control period);
        defaults to ``budget_ms`` (every tick over the budget halves).

    Halving: a tick over ``deadline_ms``, or a second tick over ``budget_ms`` within
    SPIKE_WINDOW_TICKS ticks at the same N. Doubling back to 2N after RECOVER_AFTER_TICKS
    ticks in a row whose predicted time at 2N fits RECOVER_MARGIN of the budget; the
    prediction is the smaller of 2 x this tick (time proportional to N) and this tick plus
    the step between the medians of 2N and N seen before (the fixed cost, the image encoder,
    does not double with N).
    """

    max_candidates: int
    min_candidates: int
    budget_ms: float
    deadline_ms: float = 0.0
    current: int = 0
    _fast_ticks: int = 0
    _since_over: int = SPIKE_WINDOW_TICKS  # ticks at this N since one over the budget
    _seen: dict[int, deque] = field(default_factory=dict)  # N -> its recent model times

    def __post_init__(self) -> None:
        self.min_candidates = max(1, min(self.min_candidates, self.max_candidates))
        self.current = self.current or self.max_candidates
        self.deadline_ms = max(self.deadline_ms, self.budget_ms)

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
        self._seen.setdefault(self.current, deque(maxlen=LEVEL_HISTORY)).append(model_ms)
        if model_ms > self.budget_ms and self.current > self.min_candidates:
            if model_ms > self.deadline_ms or self._since_over < SPIKE_WINDOW_TICKS:
                self._set(max(self.min_candidates, self.current // 2))
                return self.current
            self._since_over = 0
            self._fast_ticks = 0
            return self.current
        self._since_over += 1
        if self.degraded and self._predicted_double(model_ms) <= RECOVER_MARGIN * self.budget_ms:
            self._fast_ticks += 1
            if self._fast_ticks >= RECOVER_AFTER_TICKS:
                self._set(min(self.max_candidates, self.current * 2))
        else:
            self._fast_ticks = 0
        return self.current

    def _predicted_double(self, model_ms: float) -> float:
        """Model time [ms] expected at twice the current N, given this tick's."""
        proportional = 2.0 * model_ms
        above, here = self._seen.get(self.current * 2), self._seen.get(self.current)
        if not above or not here:
            return proportional
        step = max(0.0, statistics.median(above) - statistics.median(here))
        return min(proportional, model_ms + step)

    def _set(self, n: int) -> None:
        """Move to N = ``n``: the fast run and the spike window start over."""
        self.current, self._fast_ticks, self._since_over = n, 0, SPIKE_WINDOW_TICKS


def governor_for(config: PolicyNodeConfig) -> CandidateGovernor:
    """The governor of ``config`` (the one place it is built: configure and every live
    parameter set): at most ``sampling.num_candidates``, at least ``min_candidates``, within
    ``model_budget_ms`` [ms] of model time per tick; a tick past the control period halves
    N at once."""
    return CandidateGovernor(config.sampling.num_candidates, config.min_candidates,
                             config.model_budget_ms, deadline_ms=1e3 / config.control_rate_hz)
