# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""How a policy reads its inputs: the state and action normalizers, the observation encoder
and its compiled path, and the normalized chunk of the modelled action dimensions.

Every policy that conditions on an observation (NF-P, and any baseline compared with it on
the same inputs) is an ``ObservationPath`` with its own head, so the encoding code is one
and no policy carries code for another. The submodules keep the names NF-P's checkpoints
have always used (``encoder.*``, ``state_normalizer.*``, ``action_normalizer.*``).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from nf_policy_ros.config import NFPConfig
from nf_policy_ros.core.encoder import ObservationEncoder
from nf_policy_ros.core.normalizer import Normalizer
from nf_policy_ros.data.windows import WindowDataset
from nf_policy_ros.structs import Observation


def stack_observations(frames: Sequence[Observation]) -> Observation:
    """T_o observations (state (B, D_s), images (B, N_c, 3, H, W) or None), oldest first ->
    one of state (B, T_o, D_s) and images (B, T_o, N_c, 3, H, W) or None: what
    ``ObservationPath.context`` takes with an observation horizon T_o > 1."""
    images = (None if frames[0].images is None
              else torch.stack([f.images for f in frames], dim=1))
    return Observation(images, torch.stack([f.state for f in frames], dim=1))


class ObservationPath(nn.Module):
    """Observation -> context (B, T_o * C) and robot-unit chunks -> normalized flat chunks.

    :param obs_horizon: T_o, observations the context is made of, one chunk point apart
        (1 = the tick's own); each is encoded alone and their contexts stand side by side,
        oldest first."""

    def __init__(self, config: NFPConfig, obs_horizon: int = 1) -> None:
        super().__init__()
        if obs_horizon < 1:
            raise ValueError(f'obs_horizon={obs_horizon!r}: expected >= 1')
        self.config, self.obs_horizon = config, obs_horizon
        self.encoder = ObservationEncoder(config.encoder, config.actions)
        self.state_normalizer = Normalizer(config.encoder.state_dim)
        self.action_normalizer = Normalizer(config.actions.action_dim)
        self.register_buffer('modelled', torch.tensor(config.actions.modelled_dims,
                                                      dtype=torch.long), persistent=False)
        self._compiled_encoder = None

    @property
    def context_width(self) -> int:
        """W = T_o * C: the width of ``context``."""
        return self.config.encoder.context_dim * self.obs_horizon

    @property
    def chunk_shape(self) -> tuple[int, int]:
        """(T_a, D_a): a chunk in robot units, mirrors included."""
        return (self.config.actions.horizon, self.config.actions.action_dim)

    def fit_normalizers(self, data: WindowDataset) -> None:
        """Set the state/action normalizers from the training windows' statistics (each
        action's spread at least ``train.action_noise_floor``)."""
        stats = {k: torch.from_numpy(v) for k, v in data.statistics().items()}
        stats['action_std'] = stats['action_std'].clamp_min(
            self.config.train.action_noise_floor)
        for name, normalizer in (('state', self.state_normalizer),
                                 ('action', self.action_normalizer)):
            normalizer.fit(stats[f'{name}_mean'], stats[f'{name}_std'],
                           stats[f'{name}_low'], stats[f'{name}_high'])

    def compile_encoder(self, enabled: bool, **compile_args) -> None:
        """Use a ``torch.compile`` of the encoder wherever autograd is off and the policy is
        in eval mode (``enabled=False``: back to eager). See core/compiled.py."""
        self._compiled_encoder = (torch.compile(self.encoder.forward, dynamic=False,
                                                **compile_args)
                                  if enabled else None)

    def encode(self, obs: Observation,
               generator: torch.Generator | None = None) -> torch.Tensor:
        """One observation -> context (B, C); in training mode random crops and
        ``train.state_noise_std`` Gaussian noise on the normalized state."""
        state = self.state_normalizer.normalize(obs.state)
        noise_std = self.config.train.state_noise_std
        if self.training and noise_std > 0:
            state = state + noise_std * torch.randn(state.shape, generator=generator,
                                                    device=state.device)
        last_action = obs.last_action
        if last_action is not None:
            last_action = self.action_normalizer.normalize(last_action)
        compiled = self._compiled_encoder
        if compiled is not None and not self.training and not torch.is_grad_enabled():
            return compiled(obs.images, state, last_action)
        return self.encoder(obs.images, state, last_action, generator)

    def context(self, obs: Observation,
                generator: torch.Generator | None = None) -> torch.Tensor:
        """The condition (B, T_o * C): the plain (B, D_s) observation encoded when T_o = 1;
        else each of the T_o observations (state (B, T_o, D_s), images (B, T_o, N_c, 3, H,
        W) or None) encoded alone, oldest first."""
        horizon = self.obs_horizon
        if horizon == 1:
            return self.encode(obs, generator)
        state = obs.state
        if state.ndim != 3 or state.shape[1] != horizon:
            raise ValueError(f'observation state has shape {tuple(state.shape)}: expected '
                             f'(B, {horizon}, D_s) for obs_horizon={horizon}')
        images = None if obs.images is None else obs.images.flatten(0, 1)
        flat = Observation(images, state.flatten(0, 1))
        return self.encode(flat, generator).view(state.shape[0], -1)

    def flatten_actions(self, actions: torch.Tensor) -> torch.Tensor:
        """(B, T_a, D_a) robot units -> (B, T_a * M) normalized, M = the modelled
        dimensions (``actions.mirror_dims`` are left out: they follow their source)."""
        if tuple(actions.shape[1:]) != self.chunk_shape:
            raise ValueError(f'actions have shape {tuple(actions.shape)}: expected '
                             f'(B, {self.chunk_shape[0]}, {self.chunk_shape[1]})')
        normalized = self.action_normalizer.normalize(actions)
        return normalized.index_select(-1, self.modelled).flatten(1)
