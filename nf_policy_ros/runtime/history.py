# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The earlier snapshots a policy with an observation horizon sees (ROS-free).

A policy trained with ``encoder.obs_horizon`` T_o > 1 is conditioned on the observations
of ticks t - (T_o - 1) S, ..., t - S, t: one chunk point (S = ``actions.stride`` policy
ticks, S / fps seconds) apart, the episode's first repeated before it has T_o of them
(data/windows.py). At run time the control timer keeps every fresh snapshot of the last
(T_o - 1) S / fps seconds on the node's control clock and hands the worker each tick's
snapshot with, for every earlier target time, the latest snapshot taken at or before it;
a target before the oldest snapshot kept repeats that oldest one (the start padding of
training). Whoever drives it clears it where the observations stop being one run of
ticks: the control loop on a stale-input hold and a lifecycle deactivate; a clock that
jumped back (a simulator reset) clears it by itself.
"""

from __future__ import annotations

from collections import deque
from dataclasses import replace
import threading

from nf_policy_ros.runtime.inference import Snapshot

ROUNDING_S = 1e-9  # [s] 0.3 - 0.2 < 0.1 in floating point: still one chunk point


class SnapshotHistory:
    """Recent snapshots on the control clock; ``add(snapshot)`` returns it with the T_o - 1
    earlier ones the policy sees (``Snapshot.history``, oldest first).

    :param horizon: T_o, observations per plan (1: the tick's own; nothing is kept).
    :param spacing_s: seconds between them, one chunk point (stride / fps) [s].
    :param slack_s: a snapshot up to this much after a target time still counts as at it
        (control-timer jitter; the control loop uses half a control period) [s].
    """

    def __init__(self, horizon: int, spacing_s: float, slack_s: float = 0.0) -> None:
        if horizon < 1:
            raise ValueError(f'horizon={horizon!r}: expected >= 1 observations')
        if not spacing_s > 0 or not 0 <= slack_s < spacing_s:
            raise ValueError(f'spacing_s={spacing_s!r}, slack_s={slack_s!r}: expected '
                             '0 <= slack_s < spacing_s seconds')
        self.horizon, self.spacing_s, self.slack_s = horizon, spacing_s, slack_s
        self._kept: deque[Snapshot] = deque()  # by control_time, oldest first
        self._lock = threading.Lock()  # the timer adds, a lifecycle transition clears

    def __len__(self) -> int:
        return len(self._kept)

    def clear(self) -> None:
        """Forget every snapshot: the next ones repeat the oldest until T_o exist again."""
        with self._lock:
            self._kept.clear()

    def add(self, snapshot: Snapshot) -> Snapshot:
        """Keep ``snapshot`` (taken at ``snapshot.control_time`` [s]) and return it with
        ``history`` set to the T_o - 1 snapshots of the target times before it. A snapshot
        older than the latest kept (the control clock jumped back) clears the history
        first."""
        now = snapshot.control_time
        plain = replace(snapshot, history=())
        with self._lock:
            if self._kept and now < self._kept[-1].control_time:
                self._kept.clear()
            self._kept.append(plain)
            self._forget_before(self.target(self.horizon - 1, now))
            earlier = tuple(self._at_or_before(self.target(k, now))
                            for k in range(self.horizon - 1, 0, -1))
        return replace(plain, history=earlier)

    def target(self, points_back: int, now: float) -> float:
        """Latest control time [s] a snapshot ``points_back`` chunk points before ``now``
        [s] may have (the slack included, and ``ROUNDING_S`` for float arithmetic)."""
        return now - points_back * self.spacing_s + self.slack_s + ROUNDING_S

    def _at_or_before(self, time_s: float) -> Snapshot:
        """The latest kept snapshot taken at or before ``time_s`` [s], else the oldest."""
        chosen = self._kept[0]
        for kept in self._kept:
            if kept.control_time > time_s:
                break
            chosen = kept
        return chosen

    def _forget_before(self, time_s: float) -> None:
        """Drop the snapshots no target at or after ``time_s`` [s] can pick: all before the
        latest one taken at or before it."""
        while len(self._kept) > 1 and self._kept[1].control_time <= time_s:
            self._kept.popleft()
