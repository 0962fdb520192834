# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Configure step of the policy node: load the checkpoint, check it, warm the model up.

Every check that can fail does so here, loudly, before the robot is ever commanded: a
missing or unsafe file, a checkpoint without calibration, joint names / fps / camera count
that contradict the parameters, joint limits of the wrong length, a joint-name map or
controller groups that do not fit the checkpoint's joints, CUDA asked but absent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from nf_policy_ros.chunks import time_from_start
from nf_policy_ros.config import ConfigError
from nf_policy_ros.core.checkpoint import CheckpointError, load_policy
from nf_policy_ros.core.compiled import compile_for_inference
from nf_policy_ros.core.train_state import pick_device
from nf_policy_ros.node_config.policy import PolicyNodeConfig
from nf_policy_ros.node_config.routing import GroupSpec, Route, make_routes, robot_joint_names
from nf_policy_ros.nodes.policy.budget import CandidateGovernor
from nf_policy_ros.nodes.policy.inference import PolicyRunner


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
    governor = CandidateGovernor(config.sampling.num_candidates, config.min_candidates,
                                 config.model_budget_fraction * 1e3 / config.control_rate_hz)
    robot_joints, routes = _robot_routes(config, joints, groups)
    runner = PolicyRunner(policy, robot_joints, config.sampling, device, config.seed, governor)
    path = 'eager'
    if config.compile == 'inductor':
        compiled = compile_for_inference(policy, runner.blank_observation(), config.sampling)
        path = 'inductor' if compiled.compiled else f'eager (inductor failed: {compiled.reason})'
        if not compiled.compiled:
            logger.warning(f'compile=inductor failed, running eager: {compiled.reason}')
    warmup_ms = runner.warm_up()
    logger.info(f'loaded {config.checkpoint} on {device}: {len(joints)} joints, {fps} Hz, '
                f'horizon {actions.horizon} x stride {actions.stride}, warm-up '
                f'{warmup_ms:.0f} ms')
    times = time_from_start(actions, fps, config.lead_steps)
    return Setup(runner, joints, robot_joints, routes, fps, times, device,
                 round(warmup_ms, 1), path)
