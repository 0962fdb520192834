# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Shared fixtures: small configs and synthetic episodes that train in seconds on one core."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch

from nf_policy_ros.config import ActionConfig, EncoderConfig, FlowConfig, NFPConfig, TrainConfig
from nf_policy_ros.data.windows import Episode

torch.set_num_threads(1)


def _worker_domain() -> None:
    """Under pytest-xdist each worker talks ROS on its own domain (the run's ROS_DOMAIN_ID
    shifted by the worker's index and wrapped into the 1..101 that scripts/test.sh draws
    from: worker k gets (base + k) % 101 + 1), so two files' nodes of the same name never
    meet. Set before any test creates a context or starts a node process (they inherit
    the environment)."""
    worker = os.environ.get('PYTEST_XDIST_WORKER', '')  # 'gw0', 'gw1', ... or unset
    if not worker.startswith('gw'):
        return
    base = int(os.environ.get('ROS_DOMAIN_ID', '0') or 0)
    os.environ['ROS_DOMAIN_ID'] = str((base + int(worker[2:])) % 101 + 1)


_worker_domain()


def small_config(num_cameras: int = 0, state_dim: int = 3, action_dim: int = 3,
                 horizon: int = 4, stride: int = 2, steps: tuple[int, ...] = (150, 100, 50),
                 backend: str = 'fast', image_size: int = 32, **train) -> NFPConfig:
    """A few-thousand-parameter NF-P: 4 couplings, 64 hidden units."""
    train_cfg = dict(stage_steps=steps, stage_lr=(3e-3, 1e-3, 3e-4)[:len(steps)],
                     stage_batch_size=(32, 32, 48)[:len(steps)], warmup_steps=10,
                     val_every=100, checkpoint_every=100, ema_decay=0.9)
    train_cfg.update(train)
    return NFPConfig(
        encoder=EncoderConfig(num_cameras=num_cameras, state_dim=state_dim, context_dim=64,
                              image_height=image_size, image_width=image_size,
                              num_keypoints=8),
        actions=ActionConfig(action_dim=action_dim, horizon=horizon, stride=stride),
        flow=FlowConfig(num_layers=4, hidden_units=64, hidden_blocks=1, backend=backend),
        train=TrainConfig(**train_cfg))


def sine_episode(length: int = 40, dims: int = 3, num_cameras: int = 0,
                 image_size: int = 32, phase: float = 0.0, name: str = 'sine') -> Episode:
    """Smooth joint path; the action at t is the state at t+1 (last one held)."""
    t = np.linspace(0.0, 0.8, length)
    state = np.stack([np.sin(2 * np.pi * t + i + phase) for i in range(dims)], 1)
    state = state.astype(np.float32)
    actions = np.concatenate([state[1:], state[-1:]])
    images = np.zeros((length, num_cameras, 3, image_size, image_size), np.uint8)
    return Episode(images, state, actions, name)


@pytest.fixture
def generator() -> torch.Generator:
    return torch.Generator().manual_seed(1234)
