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
import torch.distributed as dist

from nf_policy_ros.core.observation import ObservationPath
from nf_policy_ros.core.precision import reduced_dtype
from nf_policy_ros.core.train_state import batch_to_device

FROZEN = 0.0


class EncoderWarmup:
    """The first ``train.encoder_warmup_steps`` of a training loop, for any policy on an
    ``ObservationPath`` (NF-P, the benchmarks' Diffusion Policy): a linear
    read-out (context (B, W) -> normalized flat chunk (B, T_a * D_a)) and its AdamW, both
    discarded after the warm-up."""

    def __init__(self, policy: ObservationPath, device: torch.device) -> None:
        self.steps = policy.config.train.encoder_warmup_steps
        flat_dim = policy.config.actions.flat_dim
        self.readout = nn.Linear(policy.context_width, flat_dim).to(device)
        self.just_froze = False  # the latest step froze the image groups
        self.trunk_dtype = reduced_dtype(policy.config.train.warmup_precision, device)
        self.optimizer = torch.optim.AdamW(self.readout.parameters())
        if _world_size() > 1:  # every replica starts from rank 0's read-out
            for tensor in self.readout.parameters():
                dist.broadcast(tensor.data, src=0)

    @staticmethod
    def of(policy: ObservationPath, device: torch.device) -> EncoderWarmup | None:
        """The warm-up of ``policy``'s training, or None (no warm-up steps or no camera)."""
        config = policy.config
        if config.train.encoder_warmup_steps == 0 or config.encoder.num_cameras == 0:
            return None
        return EncoderWarmup(policy, device)

    def step(self, step: int, policy: ObservationPath, optimizer: torch.optim.Optimizer,
             batch: dict[str, np.ndarray], lr: float, generator: torch.Generator,
             device: torch.device, clip: float) -> float | None:
        """Training step ``step`` (0-based): a regression step inside the warm-up (returns
        its mean squared error per normalized chunk dimension); after it, the image groups
        are frozen and None says "take the policy's own training step"."""
        self.just_froze = False
        if step >= self.steps:
            # a DDP wrapper built before must be rebuilt: its reducer waits for these grads
            self.just_froze = freeze_image_groups(optimizer)
            return None
        for opt in (optimizer, self.optimizer):
            for group in opt.param_groups:
                group['lr'] = lr  # every encoder group at the full rate
        actions, obs = batch_to_device(batch, device)
        modelled = list(policy.config.actions.modelled_dims)
        target = policy.action_normalizer.normalize(actions)[..., modelled].flatten(1)
        policy.encoder.trunk_dtype = self.trunk_dtype
        try:
            context = policy.context(obs, generator)
        finally:
            policy.encoder.trunk_dtype = None
        loss = torch.mean((self.readout(context) - target) ** 2)
        optimizer.zero_grad(set_to_none=True)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if _world_size() > 1:
            _average_gradients([policy, self.readout])
        if clip > 0:
            torch.nn.utils.clip_grad_norm_(policy.encoder.parameters(), clip)
        optimizer.step()
        self.optimizer.step()
        return loss.item()


def _world_size() -> int:
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def _average_gradients(modules: list[nn.Module]) -> None:
    """Average every gradient of ``modules`` over the processes, as DDP does for the
    likelihood steps. The warm-up's backward does not pass through the DDP wrapper, whose
    reducer then leaves the gradients alone (it syncs only after its own forward)."""
    grads = [p.grad for m in modules for p in m.parameters() if p.grad is not None]
    flat = torch.cat([g.flatten() for g in grads])
    dist.all_reduce(flat)
    flat /= dist.get_world_size()
    offset = 0
    for g in grads:
        g.copy_(flat[offset:offset + g.numel()].view_as(g))
        offset += g.numel()


def freeze_image_groups(optimizer: torch.optim.Optimizer) -> bool:
    """After the warm-up: the image trunks' and keypoint heads' group (every group after the
    first: training.parameter_groups puts them there) gets learning rate 0 and stops
    requiring gradients, so AdamW leaves it exactly as it is and the backward pass no longer
    goes through the trunks (most of a likelihood step's time at 48 px on a CPU:
    docs/benchmarks/train_step.md). Their gradients then no longer count in the
    gradient-norm clip either.
    Returns whether this call froze anything (False: frozen before)."""
    newly = False
    for group in optimizer.param_groups[1:]:
        group['lr_scale'] = FROZEN
        for parameter in group['params']:
            newly |= parameter.requires_grad
            parameter.requires_grad_(False)
    return newly
