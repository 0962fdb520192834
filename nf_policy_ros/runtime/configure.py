# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Configure step of the policy node: load the checkpoint, check it, warm the model up.

Every check that can fail does so here, loudly, before the robot is ever commanded: a
missing or unsafe file, a checkpoint without calibration, joint names / fps / camera count
that contradict the parameters, joint limits of the wrong length, a joint-name map or
controller groups that do not fit the checkpoint's joints, CUDA asked but absent, more
chunk points per plan (execute_points) than a chunk has, and a best-of-N with more
candidates than the confidence was calibrated with (another sampling mode than the
calibration's only warns).

The candidate count rule (``check_candidates``). The confidence is where a plan's log p
falls among held-out plans drawn with the checkpoint's sampling (training's
``calibration_sampling``). Best-of-N keeps the likeliest of N candidates, so the plan's log
p grows with N: with more candidates than the calibration used the confidence reads high
and the gate closes late (unsafe), so configure and a live set refuse it, naming both
numbers and the setting; with fewer (configured, or the candidate governor's degradation
on a slow computer) it reads low and the gate errs toward holding (fail safe), so it runs
with a warning, and /diagnostics shows both numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch

from nf_policy_ros.chunks import time_from_start
from nf_policy_ros.config import ConfigError, SamplingConfig, require
from nf_policy_ros.core.checkpoint import CheckpointError, load_policy
from nf_policy_ros.core.compiled import compile_for_inference
from nf_policy_ros.core.policy import NFPolicy
from nf_policy_ros.core.train_state import pick_device
from nf_policy_ros.node_config.policy import PolicyNodeConfig
from nf_policy_ros.node_config.routing import GroupSpec, Route, make_routes, robot_joint_names
from nf_policy_ros.runtime.budget import governor_for
from nf_policy_ros.runtime.history import SnapshotHistory
from nf_policy_ros.runtime.inference import PolicyRunner
from nf_policy_ros.runtime.plan import replan_period_s


class ConfigureError(RuntimeError):
    """The node cannot run with this checkpoint and these parameters."""


@dataclass(frozen=True)
class Setup:
    runner: PolicyRunner
    joint_names: tuple[str, ...]  # checkpoint names, model order
    robot_joint_names: tuple[str, ...]  # the robot's names of the same joints (joint_name_map)
    routes: tuple[Route, ...]  # one JointTrajectory output per controller group
    fps: float
    times: np.ndarray  # (T_a,) seconds after the observation
    device: torch.device
    warmup_ms: float
    inference_path: str = 'eager'  # what runs the model: eager, inductor, or why not
    calibrated_candidates: int | None = None  # the calibration's best-of-N (None: other mode)
    stride: int = 1  # policy ticks between chunk points
    horizon: int = 1  # chunk points T_a
    execute_points: int = 1  # the checkpoint's chunk points followed per plan
    obs_horizon: int = 1  # observations T_o per plan, one chunk point apart
    calibrated_mode: str = 'best_of_n'  # the sampling mode the confidence was calibrated on

    def replan_period_s(self, config: PolicyNodeConfig) -> float:
        """Seconds between published plans: ``config.execute_points`` (0: the
        checkpoint's) chunk points."""
        points = config.execute_points or self.execute_points
        return replan_period_s(points, self.stride, self.fps)

    def history(self, config: PolicyNodeConfig) -> SnapshotHistory:
        """An empty history of the checkpoint's ``obs_horizon`` observations, one chunk
        point (stride / fps [s]) apart, half a control period of timer jitter allowed."""
        spacing = replan_period_s(1, self.stride, self.fps)
        slack = min(0.5 / config.control_rate_hz, 0.5 * spacing)
        return SnapshotHistory(self.obs_horizon, spacing, slack)


def check_execute_points(config: PolicyNodeConfig, horizon: int) -> None:
    """ConfigError unless ``config.execute_points`` is 0 or 1 to ``horizon``."""
    require(config.execute_points <= horizon, 'execute_points', config.execute_points,
            f"0 (the checkpoint's) or 1 to the checkpoint's horizon {horizon}")


def _device(name: str) -> torch.device:
    if name == 'cuda' and not torch.cuda.is_available():
        raise ConfigureError("device='cuda' but CUDA is not available: use 'auto' or 'cpu'")
    return pick_device(name)


def _checked_facts(config: PolicyNodeConfig, provenance: dict[str, Any],
                   num_cameras: int) -> tuple[tuple[str, ...], float]:
    """Joint names and fps agreed by checkpoint and parameters."""
    joints = tuple(provenance.get('joint_names') or config.joint_names)
    fps = float(provenance.get('fps') or config.fps)
    if not joints or fps <= 0:
        raise ConfigureError('the checkpoint records no joint_names/fps: set the parameters '
                             'joint_names and fps')
    if config.joint_names and tuple(config.joint_names) != joints:
        raise ConfigureError(f'parameter joint_names={list(config.joint_names)} but the '
                             f'checkpoint was trained on {list(joints)}')
    if config.fps and abs(config.fps - fps) > 1e-6:
        raise ConfigureError(f'parameter fps={config.fps} but the checkpoint was trained at '
                             f'{fps} Hz')
    if len(config.camera_topics) != num_cameras:
        raise ConfigureError(f'camera_topics={list(config.camera_topics)} has '
                             f'{len(config.camera_topics)} topics but the checkpoint expects '
                             f'{num_cameras} cameras')
    limits = config.safety.joint_lower
    if limits and len(limits) != len(joints):
        raise ConfigureError(f'safety.joint_lower/upper have {len(limits)} values: expected '
                             f'{len(joints)} (one per joint {list(joints)})')
    return joints, fps


def calibration_sampling(policy: NFPolicy, provenance: dict[str, Any]) -> dict[str, Any]:
    """The sampling the checkpoint's confidence was calibrated with, as training recorded
    it (``training.calibration_sampling``; a checkpoint from before that record was
    calibrated with its config's sampling)."""
    recorded = (provenance.get('training') or {}).get('calibration_sampling')
    return dict(recorded) if recorded else asdict(policy.config.sampling)


def calibrated_candidates(policy: NFPolicy, provenance: dict[str, Any]) -> int | None:
    """The N of the best-of-N the checkpoint's confidence was calibrated with; None if
    calibrated with another mode."""
    sampling = calibration_sampling(policy, provenance)
    return int(sampling['num_candidates']) if sampling.get('mode') == 'best_of_n' else None


def check_candidates(sampling: SamplingConfig, calibrated: int | None,
                     calibrated_mode: str = 'best_of_n') -> str:
    """Raise ConfigError (one line: setting, both numbers, what to change) if best-of-N
    would draw more candidates than the calibration's ``calibrated``; return a warning if it
    draws fewer (the confidence reads low) or samples with another mode than the
    calibration's ``calibrated_mode`` (the confidence is not calibrated for its plans), else
    ''. Module docstring: why."""
    if sampling.mode != calibrated_mode:
        return (f'sampling.mode={sampling.mode} but the confidence was calibrated on '
                f'{calibrated_mode} plans: it is not calibrated for these plans and the gate '
                f'may close early or late (set sampling.mode: {calibrated_mode})')
    if sampling.mode != 'best_of_n' or calibrated is None:
        return ''
    n = sampling.num_candidates
    require(n <= calibrated, 'sampling.num_candidates', n,
            f"at most {calibrated}, the best-of-N the checkpoint's confidence was calibrated "
            'with (more candidates pick likelier plans: the confidence would read high and '
            f'the gate close late); set sampling.num_candidates <= {calibrated}, or retrain '
            f'with sampling.num_candidates: {n}')
    if n < calibrated:
        return (f'sampling.num_candidates={n} is below the {calibrated} the confidence was '
                'calibrated with: the confidence reads low and the gate errs toward holding '
                f'(set {calibrated} for a calibrated confidence)')
    return ''


def check_confidence_source(sampling: SamplingConfig, has_percentile: bool) -> None:
    """Raise ConfigError (one line) if ``sampling.confidence`` reads the context's distance
    percentile but the checkpoint stored no held-out distances (trained before them)."""
    require(sampling.confidence == 'plan' or has_percentile, 'sampling.confidence',
            sampling.confidence, "'plan' for this checkpoint: it stored no held-out context "
            "distances (checkpoints trained since issue 32's confidence store them)")


def _robot_routes(config: PolicyNodeConfig, joints: tuple[str, ...],
                  groups: Sequence[GroupSpec]) -> tuple[tuple[str, ...], tuple[Route, ...]]:
    """The robot's joint names and the outputs, checked against the checkpoint joints."""
    try:
        robot_joints = robot_joint_names(joints, config.joint_name_map)
        return robot_joints, make_routes(robot_joints, groups)
    except ConfigError as exc:
        raise ConfigureError(str(exc)) from exc


def configure_policy(config: PolicyNodeConfig, logger,
                     groups: Sequence[GroupSpec] = ()) -> Setup:
    """Load and check the checkpoint named by ``config`` and route its joints to ``groups``
    (none: one output for all); raise ConfigureError if unusable."""
    if not config.checkpoint:
        raise ConfigureError('no checkpoint configured (parameter checkpoint is empty)')
    torch.set_num_threads(config.num_threads)
    device = _device(config.device)
    logger.info(f'loading {config.checkpoint} (compile={config.compile})')
    try:
        policy, provenance = load_policy(config.checkpoint, device)
    except CheckpointError as exc:
        raise ConfigureError(str(exc)) from exc
    if not policy.calibration.is_calibrated:
        raise ConfigureError(f'checkpoint {config.checkpoint!r} has no confidence '
                             'calibration: train it with the train CLI or node')
    joints, fps = _checked_facts(config, provenance, policy.config.encoder.num_cameras)
    if policy.config.encoder.state_dim != len(joints):
        raise ConfigureError(f'checkpoint state_dim={policy.config.encoder.state_dim} but '
                             f'{len(joints)} joint names')
    actions = policy.config.actions
    calibrated = calibrated_candidates(policy, provenance)
    calibrated_mode = calibration_sampling(policy, provenance).get('mode', 'best_of_n')
    try:
        check_execute_points(config, actions.horizon)
        note = check_candidates(config.sampling, calibrated, calibrated_mode)
        check_confidence_source(config.sampling, policy.context_support.has_percentile)
    except ConfigError as exc:
        raise ConfigureError(str(exc)) from exc
    if note:
        logger.warning(note)
    robot_joints, routes = _robot_routes(config, joints, groups)
    runner = PolicyRunner(policy, robot_joints, config.sampling, device, config.seed,
                          governor_for(config))
    path = 'eager'
    if config.compile == 'inductor':
        compiled = compile_for_inference(policy, runner.blank_observation(), config.sampling)
        path = 'inductor' if compiled.compiled else f'eager (inductor failed: {compiled.reason})'
        if not compiled.compiled:
            logger.warning(f'compile=inductor failed, running eager: {compiled.reason}')
    warmup_ms = runner.warm_up()
    obs_horizon = policy.config.encoder.obs_horizon
    logger.info(f'loaded {config.checkpoint} on {device}: {len(joints)} joints, {fps} Hz, '
                f'horizon {actions.horizon} x stride {actions.stride}, {obs_horizon} '
                f'observation(s) per plan, warm-up {warmup_ms:.0f} ms')
    times = time_from_start(actions, fps, config.lead_steps)
    return Setup(runner, joints, robot_joints, routes, fps, times, device,
                 round(warmup_ms, 1), path, calibrated, actions.stride, actions.horizon,
                 actions.execute_points, obs_horizon, calibrated_mode=calibrated_mode)
