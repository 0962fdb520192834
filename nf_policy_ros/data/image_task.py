# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""A synthetic task whose correct action depends only on the image.

Each observation is a black image with one white square at a random position; the joint
state is constant (it carries no information), and the action chunk points at the square:
every step of the chunk is the square's centre in [-1, 1] image coordinates. A policy that
ignores its camera can do no better than the mean position. Used by the tests that check a
camera policy looks (test/test_camera_matters.py) and by the encoder probe benchmark.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

STATE_DIM = 2
ACTION_DIM = 2


class ImageBatch(NamedTuple):
    """images (B, 1, 3, H, W) in [0, 1]; state (B, 2) zeros; actions (B, T_a, 2) and the
    square's centre (B, 2) in [-1, 1] (x right, y down)."""

    images: torch.Tensor
    state: torch.Tensor
    actions: torch.Tensor
    centres: torch.Tensor


def square_batch(n: int, size: int, horizon: int, generator: torch.Generator,
                 square: int = 4, action_noise: float = 0.05) -> ImageBatch:
    """``n`` images of ``size`` px with a ``square`` px white square placed uniformly.

    Each chunk step gets independent Gaussian noise of std ``action_noise`` (a demonstrator
    is never exact; without it the chunk lies on a 2-D surface in T_a * 2 dimensions and
    the likelihood is unbounded)."""
    corners = torch.randint(0, size - square + 1, (n, 2), generator=generator)
    images = torch.zeros(n, 1, 3, size, size)
    for i, (top, left) in enumerate(corners.tolist()):
        images[i, 0, :, top:top + square, left:left + square] = 1.0
    centre_px = corners.float() + (square - 1) / 2.0           # (row, col)
    centres = (2.0 * centre_px / (size - 1) - 1.0).flip(-1)      # (x, y) in [-1, 1]
    actions = centres.unsqueeze(1).expand(n, horizon, ACTION_DIM)
    actions = actions + action_noise * torch.randn(actions.shape, generator=generator)
    return ImageBatch(images, torch.zeros(n, STATE_DIM), actions, centres)


def r_squared(predicted: torch.Tensor, target: torch.Tensor) -> float:
    """Coefficient of determination over all entries of (N, D) predictions: 1 - SSE/SST,
    SST about each column's mean (a blind constant predictor scores <= 0)."""
    sse = (predicted - target).pow(2).sum()
    sst = (target - target.mean(0, keepdim=True)).pow(2).sum()
    return float(1.0 - sse / sst)
