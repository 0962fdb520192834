# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The scripted expert as a simulated teleoperator for takeovers (no ROS here).

At each reset the Meta-World expert plans the episode from its start state (sim/experts.py:
an end-effector expert turned into a joint path). When a takeover begins the operator joins
that plan at the plan step whose arm pose is nearest the arm's pose now and from then on
commands the plan's joint targets in step with simulated time. The plan does not react to
what the policy did before the takeover (an object it pushed away stays there): the
operator corrects the arm's course, as an expert's replay can.

``TakeoverBudget`` counts the operator's command ticks: with ``mode='ticks'`` it commands a
fixed number per takeover and then asks for the takeover to end; with
``mode='until_released'`` it commands until the takeover ends.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nf_policy_ros.sim.experts import JointDemo


class ExpertPlan:
    """An expert's planned joint path and where the operator is on it.

    :param demo: the expert's episode from this start state (``run_expert``).
    :param lead_steps: targets lead the visited arm positions by this many steps.
    """

    def __init__(self, demo: JointDemo, lead_steps: int = 1) -> None:
        self.targets = demo.path(lead_steps)  # (K, 9) joint targets per physics step
        visited = np.asarray(demo.arm)
        steps = np.minimum(np.arange(len(self.targets)), len(visited) - 1)
        self.arm = visited[steps]  # (K, 7) arm pose the plan has at each step [rad]
        self.expert_success = bool(demo.expert_success)
        self._joined_at = (0, 0)  # (plan step, simulated step) when the takeover began

    def join(self, arm_now: np.ndarray, sim_step: int) -> int:
        """Join the plan at the step whose arm pose (7,) [rad] is nearest ``arm_now``
        (the later one on a tie); returns that plan step."""
        distance = np.linalg.norm(self.arm - np.asarray(arm_now)[None, :7], axis=1)
        nearest = int(len(distance) - 1 - np.argmin(distance[::-1]))
        self._joined_at = (nearest, sim_step)
        return nearest

    def chunk(self, sim_step: int, points: int, spacing: int) -> np.ndarray:
        """(points, 9) targets of simulated steps ``sim_step``, + spacing, ...: the plan in
        step with simulated time since ``join``; the plan's last target holds after it."""
        first, joined = self._joined_at
        steps = first + (sim_step - joined) + spacing * np.arange(points)
        return self.targets[np.minimum(steps, len(self.targets) - 1)]


@dataclass
class TakeoverBudget:
    """The operator's tick accounting over one episode.

    :param mode: 'ticks' (``ticks`` commands per takeover, then release) or
        'until_released' (command while the takeover lasts).
    :param ticks: command ticks per takeover in 'ticks' mode.
    """

    mode: str
    ticks: int
    active: bool = False  # the takeover topic's last value
    served: int = 0  # command ticks in the current takeover
    total: int = 0  # command ticks this episode (the expert's effort)
    takeovers: int = 0  # takeovers that began this episode

    def set_active(self, active: bool) -> bool:
        """The takeover topic's new value; True when a takeover begins."""
        began = active and not self.active
        self.active = active
        if began:
            self.served = 0
            self.takeovers += 1
        return began

    def should_command(self) -> bool:
        """Whether this tick is the operator's: a takeover is on and its budget not spent."""
        if not self.active:
            return False
        return self.mode == 'until_released' or self.served < self.ticks

    def commanded(self) -> bool:
        """Count one command tick; True when it spent the takeover's budget (time to ask
        for release)."""
        self.served += 1
        self.total += 1
        return self.mode == 'ticks' and self.served == self.ticks

    def new_episode(self) -> None:
        """Zero the per-episode counts (a takeover still on goes on)."""
        self.total = self.takeovers = 0
