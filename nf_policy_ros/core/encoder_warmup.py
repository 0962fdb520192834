# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Regression warm-up of the image encoder before likelihood training (issue 18).

Measured on Meta-World drawer-open (48 px): likelihood training alone drives the image
trunk to an image-independent output (keypoint spread across episodes 0.04 at init,
2e-4 after 3000 steps: docs/benchmarks/image_use.md), even with the joint state hidden;
the same encoder trained by regressing the chunk from the image keeps its spread and reads
the arm pose. So the first ``train.encoder_warmup_steps`` steps train the observation
encoder with a linear read-out of the normalized chunk (mean squared error), and the image
trunks and keypoint heads are then frozen while the flow (and the encoder's context MLP)
learn the likelihood. The read-out is discarded; the deployable policy is unchanged.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from nf_policy_ros.core.policy import NFPolicy
from nf_policy_ros.core.train_state import batch_to_device

FROZEN = 0.0


class ChunkReadout(nn.Module):
    """context (B, C) -> normalized flat chunk (B, T_a * D_a): the warm-up's linear head."""

    def __init__(self, policy: NFPolicy) -> None:
        super().__init__()
        self.linear = nn.Linear(policy.config.encoder.context_dim,
                                policy.config.actions.flat_dim)

    def forward(self, context: torch.Tensor) -> torch.Tensor:
        return self.linear(context)


def warms_up(policy: NFPolicy) -> bool:
    """Whether this policy's training starts with an encoder warm-up."""
    return policy.config.train.encoder_warmup_steps > 0 and policy.config.encoder.num_cameras > 0


def warmup_step(policy: NFPolicy, readout: ChunkReadout, optimizer: torch.optim.Optimizer,
                readout_optimizer: torch.optim.Optimizer, batch: dict[str, np.ndarray],
                lr: float, generator: torch.Generator, device: torch.device,
                clip: float) -> float:
    """One regression step of encoder + read-out (every encoder group at the full ``lr``);
    returns the mean squared error per normalized chunk dimension."""
    for opt in (optimizer, readout_optimizer):
        for group in opt.param_groups:
            group['lr'] = lr
    actions, obs = batch_to_device(batch, device)
    prediction = readout(policy.encode(obs, generator))
    loss = torch.mean((prediction - policy.flatten_actions(actions)) ** 2)
    optimizer.zero_grad(set_to_none=True)
    readout_optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if clip > 0:
        torch.nn.utils.clip_grad_norm_(policy.encoder.parameters(), clip)
    optimizer.step()
    readout_optimizer.step()
    return loss.item()


def freeze_image_groups(optimizer: torch.optim.Optimizer) -> None:
    """After the warm-up: the image trunks' and keypoint heads' group (every group after the
    first: training.parameter_groups puts them there) gets learning rate 0, which makes
    AdamW leave them exactly as they are (its decoupled weight decay scales with the rate)."""
    for group in optimizer.param_groups[1:]:
        group['lr_scale'] = FROZEN
