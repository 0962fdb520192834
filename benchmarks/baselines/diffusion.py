# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The Diffusion Policy baseline (Chi et al., RSS 2023) on NF-P's exact setup.

Same observation encoder, state normalizer and strided action chunk (B, T_a, D_a) as NF-P
(both are an ``nf_policy_ros.core.observation.ObservationPath``); actions scaled to [-1, 1]
by the demonstrated range and denoised samples clipped to it, as Diffusion Policy does; a
1-D temporal U-Net with FiLM conditioning predicts the noise; DDPM training with 100 steps
(squared-cosine schedule); inference with DDPM-100 or DDIM-10 through ``diffusers``'
schedulers. Our own implementation, written from the paper's description; used only by the
benchmarks.
"""

from __future__ import annotations

from dataclasses import dataclass
import math

import torch
from torch import nn

from nf_policy_ros.config import NFPConfig
from nf_policy_ros.core.observation import ObservationPath
from nf_policy_ros.structs import Observation

TRAIN_TIMESTEPS = 100
MIN_HALF_RANGE = 1e-3  # [robot units]: a joint the demos never move keeps a finite scale


@dataclass(frozen=True)
class DiffusionConfig:
    """Size of the denoiser. (256, 512, 1024) is Diffusion Policy's published U-Net.
    ``obs_horizon`` T_o: observations the policy is conditioned on, one chunk point apart
    (Diffusion Policy's published recipe: 2, the current and the previous one); each is
    encoded by the shared encoder and the U-Net sees their contexts side by side."""

    channels: tuple[int, ...] = (256, 512, 1024)
    time_dim: int = 128
    groups: int = 8
    obs_horizon: int = 1

    def __post_init__(self) -> None:
        if self.obs_horizon < 1:
            raise ValueError(f'obs_horizon={self.obs_horizon!r}: expected >= 1')


# the denoiser the state and vision tiers train on CPUs (~5 M parameters)
SMALL_UNET = DiffusionConfig(channels=(64, 128, 256), time_dim=64)


class SinusoidalTime(nn.Module):
    """Diffusion step t (B,) -> (B, dim) sin/cos features."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        half = self.dim // 2
        freqs = torch.exp(-math.log(10_000) * torch.arange(half, device=t.device) / (half - 1))
        angles = t.float()[:, None] * freqs[None]
        return torch.cat([angles.sin(), angles.cos()], dim=-1)


KERNEL = 5  # Diffusion Policy's temporal kernel size


def conv_block(c_in: int, c_out: int, groups: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv1d(c_in, c_out, KERNEL, padding=KERNEL // 2),
                         nn.GroupNorm(groups, c_out), nn.Mish())


class FiLMResidualBlock(nn.Module):
    """Two conv blocks; the condition scales and shifts the first one's output per channel."""

    def __init__(self, c_in: int, c_out: int, cond_dim: int, groups: int) -> None:
        super().__init__()
        self.first = conv_block(c_in, c_out, groups)
        self.second = conv_block(c_out, c_out, groups)
        self.film = nn.Sequential(nn.Mish(), nn.Linear(cond_dim, 2 * c_out))
        self.skip = nn.Conv1d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        scale, shift = self.film(cond).unsqueeze(-1).chunk(2, dim=1)
        h = self.first(x) * (1 + scale) + shift
        return self.second(h) + self.skip(x)


class TemporalUNet(nn.Module):
    """Noise prediction eps(x_t, t, context) for chunks x_t (B, T_a, D_a)."""

    def __init__(self, action_dim: int, context_dim: int, config: DiffusionConfig) -> None:
        super().__init__()
        g, chans = config.groups, config.channels
        self.time = nn.Sequential(SinusoidalTime(config.time_dim),
                                  nn.Linear(config.time_dim, 4 * config.time_dim), nn.Mish(),
                                  nn.Linear(4 * config.time_dim, config.time_dim))
        cond = context_dim + config.time_dim
        widths = [action_dim, *chans]
        self.down = nn.ModuleList()
        for i, (c_in, c_out) in enumerate(zip(widths[:-1], widths[1:])):
            last = i == len(chans) - 1
            self.down.append(nn.ModuleList([
                FiLMResidualBlock(c_in, c_out, cond, g), FiLMResidualBlock(c_out, c_out, cond, g),
                nn.Identity() if last else nn.Conv1d(c_out, c_out, 3, stride=2, padding=1)]))
        self.mid = nn.ModuleList([FiLMResidualBlock(chans[-1], chans[-1], cond, g)
                                  for _ in range(2)])
        self.up = nn.ModuleList()
        for c_low, c_high in reversed(list(zip(chans[:-1], chans[1:]))):
            self.up.append(nn.ModuleList([
                FiLMResidualBlock(2 * c_high, c_low, cond, g),
                FiLMResidualBlock(c_low, c_low, cond, g),
                nn.ConvTranspose1d(c_low, c_low, 4, stride=2, padding=1)]))
        self.out = nn.Sequential(conv_block(chans[0], chans[0], g),
                                 nn.Conv1d(chans[0], action_dim, 1))

    def forward(self, x: torch.Tensor, t: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        cond = torch.cat([context, self.time(t)], dim=-1)
        h = x.transpose(1, 2)
        skips = []
        for first, second, down in self.down:
            h = second(first(h, cond), cond)
            skips.append(h)
            h = down(h)
        for block in self.mid:
            h = block(h, cond)
        for first, second, up in self.up:
            h = torch.cat([h, skips.pop()], dim=1)
            h = up(second(first(h, cond), cond))
        return self.out(h).transpose(1, 2)


def make_scheduler(kind: str, spacing: str = 'leading'):
    """'ddpm' or 'ddim' scheduler over the 100 training steps (squared-cosine betas).

    ``spacing`` places a DDIM schedule's steps: 'leading' (Diffusion Policy's setting:
    90, 80, ..., 0 for 10 steps, so sampling starts from pure noise labelled t=90, where
    the schedule still keeps ~14 % of the signal) or 'trailing' (99, 89, ..., 9: starts
    where the noise really is pure)."""
    from diffusers import DDIMScheduler, DDPMScheduler

    if spacing not in ('leading', 'trailing'):
        raise ValueError(f"spacing={spacing!r}: expected 'leading' or 'trailing'")
    common = dict(num_train_timesteps=TRAIN_TIMESTEPS, beta_schedule='squaredcos_cap_v2',
                  clip_sample=True, clip_sample_range=1.0, prediction_type='epsilon')
    if kind == 'ddpm':
        return DDPMScheduler(**common)
    if kind == 'ddim':
        return DDIMScheduler(**common, set_alpha_to_one=True, steps_offset=0,
                             timestep_spacing=spacing)
    raise ValueError(f'scheduler={kind!r}: expected ddpm or ddim')


class DiffusionPolicy(ObservationPath):
    """p(a | o) by denoising, on the context of NF-P's observation path (encoder and
    normalization) over ``diffusion.obs_horizon`` observations."""

    def __init__(self, config: NFPConfig, diffusion: DiffusionConfig = DiffusionConfig()):
        super().__init__(config, diffusion.obs_horizon)
        self.diffusion = diffusion
        self.denoiser = TemporalUNet(config.actions.action_dim, self.context_width, diffusion)
        self.train_scheduler = make_scheduler('ddpm')

    def forward(self, actions: torch.Tensor, obs: Observation,
                generator: torch.Generator | None = None) -> torch.Tensor:
        return self.loss(actions, obs, generator)

    def _half_range(self) -> tuple[torch.Tensor, torch.Tensor]:
        norm = self.action_normalizer
        return (norm.high + norm.low) / 2, ((norm.high - norm.low) / 2).clamp_min(MIN_HALF_RANGE)

    def to_unit(self, actions: torch.Tensor) -> torch.Tensor:
        """(B, T_a, D_a) robot units -> [-1, 1] over the demonstrated range."""
        center, half = self._half_range()
        return (actions - center) / half

    def from_unit(self, x: torch.Tensor) -> torch.Tensor:
        center, half = self._half_range()
        return x * half + center

    def loss(self, actions: torch.Tensor, obs: Observation,
             generator: torch.Generator | None = None) -> torch.Tensor:
        """Mean squared error of the predicted noise (DDPM's simplified objective)."""
        context = self.context(obs, generator)
        if tuple(actions.shape[1:]) != self.chunk_shape:
            raise ValueError(f'actions have shape {tuple(actions.shape)}: expected '
                             f'(B, {self.chunk_shape[0]}, {self.chunk_shape[1]})')
        x0 = self.to_unit(actions)
        noise = torch.randn(x0.shape, generator=generator, device=x0.device)
        t = torch.randint(0, TRAIN_TIMESTEPS, (x0.shape[0],), generator=generator,
                          device=x0.device)
        noisy = self.train_scheduler.add_noise(x0, noise, t)
        return nn.functional.mse_loss(self.denoiser(noisy, t, context), noise)

    @torch.no_grad()
    def sample(self, obs: Observation, kind: str = 'ddim', steps: int = 10,
               generator: torch.Generator | None = None, spacing: str = 'leading',
               eta: float = 0.0) -> torch.Tensor:
        """One chunk (B, T_a, D_a) in robot units, denoised in ``steps`` steps placed by
        ``spacing`` (see ``make_scheduler``). ``eta`` is DDIM's noise per step: 0 =
        deterministic (Diffusion Policy's), 1 = as much fresh noise as DDPM injects."""
        if eta and kind != 'ddim':
            raise ValueError(f'eta={eta!r} with scheduler={kind!r}: eta is a DDIM setting')
        context = self.context(obs)
        scheduler = make_scheduler(kind, spacing)
        extra = {'eta': eta} if kind == 'ddim' else {}
        scheduler.set_timesteps(steps)
        batch = context.shape[0]
        x = torch.randn((batch, *self.chunk_shape), generator=generator,
                        device=context.device)
        for t in scheduler.timesteps:
            eps = self.denoiser(x, t.expand(batch).to(context.device), context)
            x = scheduler.step(eps, t, x, generator=generator, **extra).prev_sample
        return self.from_unit(x)


def compile_for_inference(policy: DiffusionPolicy) -> None:
    """The same treatment as NF-P's core.compiled: the encoder and the denoiser through
    ``torch.compile`` with frozen weights (inference only: compile after training)."""
    policy.eval()
    policy.compile_encoder(True, options={'freezing': True})
    policy.denoiser.compile(dynamic=False, options={'freezing': True})
