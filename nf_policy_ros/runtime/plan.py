# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Turning a predicted chunk into a safe, controller-ready plan (NumPy only, no ROS),
and the confidence gate that decides whether it is executed.

A plan is T_a points: positions (T_a, D) [rad or m] at strictly increasing times (T_a,) [s]
after the observation, with velocities (T_a, D) [rad/s] by finite differences and zero at
the last point (joint_trajectory_controller then comes to rest at the end of the plan).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nf_policy_ros.node_config.policy import SafetyConfig


@dataclass(frozen=True)
class Plan:
    positions: np.ndarray  # (T_a, D)
    velocities: np.ndarray  # (T_a, D)
    times: np.ndarray  # (T_a,) seconds after the header stamp


def finite_difference_velocities(positions: np.ndarray, times: np.ndarray) -> np.ndarray:
    """(T_a, D) velocities: central differences inside, forward at the first point, 0 last."""
    velocities = np.zeros_like(positions)
    if len(times) < 2:
        return velocities
    velocities[0] = (positions[1] - positions[0]) / (times[1] - times[0])
    if len(times) > 2:
        span = (times[2:] - times[:-2])[:, None]
        velocities[1:-1] = (positions[2:] - positions[:-2]) / span
    return velocities


def clamp_positions(positions: np.ndarray, measured: np.ndarray,
                    safety: SafetyConfig) -> np.ndarray:
    """Joint limits, then at most ``max_step_rad`` between consecutive points (the first
    point measured from the current position)."""
    out = positions.astype(np.float64, copy=True)
    if safety.joint_lower:
        out = np.clip(out, np.asarray(safety.joint_lower), np.asarray(safety.joint_upper))
    if safety.max_step_rad > 0:
        previous = measured.astype(np.float64)
        for k in range(len(out)):
            out[k] = previous + np.clip(out[k] - previous, -safety.max_step_rad,
                                        safety.max_step_rad)
            previous = out[k]
    return out


def make_plan(chunk: np.ndarray, measured: np.ndarray, times: np.ndarray,
              safety: SafetyConfig) -> Plan | None:
    """Safe plan from a (T_a, D) chunk, or None if the chunk is not finite."""
    if not np.isfinite(chunk).all():
        return None
    positions = clamp_positions(chunk, measured, safety)
    return Plan(positions, finite_difference_velocities(positions, times), times)


def sample_plan(plan: Plan, start: np.ndarray, t: float) -> np.ndarray:
    """(D,) position of ``plan`` at ``t`` [s] after its stamp: linear from ``start`` (D,), the
    measured position when it was made, to the first point, then point to point, holding
    the last point after the end (what a position controller should be commanded now)."""
    times = np.concatenate([[0.0], plan.times])
    points = np.concatenate([start.astype(np.float64)[None], plan.positions])
    t = float(np.clip(t, 0.0, times[-1]))
    return np.array([np.interp(t, times, points[:, j]) for j in range(points.shape[1])])


def hold_plan(measured: np.ndarray, hold_time_s: float) -> Plan:
    """One point at the measured position, zero velocity: the robot stops where it is."""
    position = measured.astype(np.float64)[None]
    return Plan(position, np.zeros_like(position), np.array([hold_time_s]))


class ReplanSchedule:
    """When the next policy plan is published: once the robot has followed the last one
    for ``execute_points`` chunk points. Times are control-clock seconds of the observation
    a plan was made from; a tick up to ``slack_s`` early counts as on time (timer jitter),
    and a clock that jumped back (a simulator reset) makes a plan due at once."""

    def __init__(self) -> None:
        self.last_s: float | None = None  # observation time of the plan being followed

    def due(self, now_s: float, period_s: float, slack_s: float) -> bool:
        """Whether a plan made from an observation at ``now_s`` should be published:
        ``period_s`` [s] = execute_points * stride / fps after the one followed."""
        last = self.last_s
        return last is None or now_s < last or now_s - last >= period_s - slack_s

    def published(self, now_s: float) -> None:
        """A policy plan made at ``now_s`` is followed from now on."""
        self.last_s = now_s

    def reset(self) -> None:
        """No policy plan is followed (a hold, a teleop command, arming): plan at once."""
        self.last_s = None


def replan_period_s(execute_points: int, stride: int, fps: float) -> float:
    """Seconds of ``execute_points`` chunk points, ``stride`` policy ticks apart at ``fps``."""
    return execute_points * stride / fps


class ConfidenceGate:
    """Closes after ``debounce_plans`` plans in a row below ``threshold``, at once on a plan
    outside the training support or with a non-finite confidence; reopens above
    ``threshold + hysteresis`` (inside the support).

    The confidence is a percentile among held-out plans, so by construction a fraction
    ``threshold`` of normal plans falls below it, and they are not spread evenly: the first
    plan of an episode is often among them (docs/benchmarks/gate_delay.md). One such plan
    alone should not stop a working robot; a camera that shows what training never saw
    (context outside the support) should, without waiting.
    """

    def __init__(self, threshold: float, hysteresis: float, debounce_plans: int = 1) -> None:
        self.threshold = threshold
        self.hysteresis = hysteresis
        self.debounce_plans = debounce_plans
        self.open = True
        self.low_run = 0  # plans in a row below the threshold

    @classmethod
    def of(cls, safety: SafetyConfig) -> ConfidenceGate:
        """An open gate with ``safety``'s threshold, hysteresis and debounce."""
        return cls(safety.gate_threshold, safety.gate_hysteresis, safety.gate_debounce_plans)

    def retune(self, safety: SafetyConfig) -> None:
        """``safety``'s threshold, hysteresis and debounce from the next plan on (open or
        closed as it is)."""
        self.threshold = safety.gate_threshold
        self.hysteresis = safety.gate_hysteresis
        self.debounce_plans = safety.gate_debounce_plans

    def update(self, confidence: float, in_support: bool = True) -> bool:
        """Feed one plan's confidence [0, 1] and whether its observation was inside the
        training support; returns whether the gate is open afterwards."""
        finite = bool(np.isfinite(confidence))
        self.low_run = self.low_run + 1 if not finite or confidence < self.threshold else 0
        if not finite or not in_support:
            self.open = False
        elif self.open and self.low_run >= self.debounce_plans:
            self.open = False
        elif not self.open and confidence > self.threshold + self.hysteresis:
            self.open = True
        return self.open

    def reset(self) -> None:
        self.open, self.low_run = True, 0
