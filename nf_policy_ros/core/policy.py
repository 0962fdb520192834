# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""NF-P: observation encoder + conditional spline flow over a strided, normalized chunk."""

from __future__ import annotations

import torch

from nf_policy_ros.config import NFPConfig, SamplingConfig
from nf_policy_ros.core import sampling
from nf_policy_ros.core.confidence import Calibration, ContextSupport, confidence_of
from nf_policy_ros.core.flow import build_flow
from nf_policy_ros.core.observation import ObservationPath
from nf_policy_ros.structs import Observation, Prediction

# A state farther than this fraction of the demonstrated range outside it is out of support.
# There the flow's likelihood extrapolates and can *rise* (a known trait of flows; measured
# on toy data in test_policy.py), so its confidence is set to 0 instead of trusted.
SUPPORT_MARGIN = 0.1


class NFPolicy(ObservationPath):
    """p(a | o) for chunks a (B, T_a, D_a) in robot units and observations o: the flow on
    the context (B, T_o * C) of its ``ObservationPath`` (encoder, normalizers, compiled
    path) over ``encoder.obs_horizon`` observations T_o. With T_o = 1 an observation is
    state (B, D_s) and images (B, N_c, 3, H, W); with T_o > 1 state (B, T_o, D_s) and
    images (B, T_o, N_c, 3, H, W), oldest first.

    Normalization statistics (with the demonstrated state range) and the confidence
    calibration are part of the module state, so a checkpoint is self-contained.
    Log-likelihoods are of the *normalized* chunk; use ``log_prob_per_dim`` to compare
    across action spaces.
    """

    def __init__(self, config: NFPConfig) -> None:
        super().__init__(config, config.encoder.obs_horizon)
        self.flow = build_flow(config.actions.flat_dim, self.context_width, config.flow)
        actions = config.actions
        self.register_buffer('mirror_dims', torch.tensor(actions.mirror_dims,
                                                         dtype=torch.long), persistent=False)
        self.register_buffer('mirror_sources', torch.tensor(actions.mirror_sources,
                                                            dtype=torch.long),
                             persistent=False)
        self.register_buffer('mirror_gains', torch.tensor(actions.mirror_gains,
                                                          dtype=torch.float32),
                             persistent=False)
        # training noise std per action dimension (D_a,) in normalized units; set by
        # core.training.fit_action_noise from the data (not saved: a resumed run refits it)
        self.register_buffer('action_noise', torch.zeros(actions.action_dim),
                             persistent=False)
        self.calibration = Calibration()
        self.context_support = ContextSupport()

    def unflatten_actions(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T_a * M) normalized -> (B, T_a, D_a) robot units; each mirror dimension
        is its gain times its source (robot units)."""
        horizon, dim = self.chunk_shape
        modelled = x.view(x.shape[0], horizon, len(self.modelled))
        if len(self.modelled) == dim:
            return self.action_normalizer.denormalize(modelled)
        full = modelled.new_zeros(x.shape[0], horizon, dim)
        full[..., self.modelled] = modelled
        actions = self.action_normalizer.denormalize(full)
        actions[..., self.mirror_dims] = (actions[..., self.mirror_sources]
                                          * self.mirror_gains.to(actions.dtype))
        return actions

    def noisy(self, x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        """Training noise on flattened normalized chunks x (B, T_a * M): per dimension
        ``action_noise`` (set from the data, see core.training.fit_action_noise) and, on top,
        ``train.action_noise_std`` in normalized units."""
        std = self.action_noise.index_select(0, self.modelled).repeat(
            self.config.actions.horizon)
        extra = self.config.train.action_noise_std
        if extra > 0:
            std = torch.sqrt(std.square() + extra ** 2)
        if not bool((std > 0).any()):
            return x
        return x + std * torch.randn(x.shape, generator=generator, device=x.device)

    def log_prob(self, actions: torch.Tensor, obs: Observation,
                 context: torch.Tensor | None = None) -> torch.Tensor:
        """log p(a | o) (B,) of normalized chunks [nats]."""
        if context is None:
            context = self.context(obs)
        return self.flow.log_prob(self.flatten_actions(actions), context)

    def loss(self, actions: torch.Tensor, obs: Observation,
             generator: torch.Generator | None = None) -> torch.Tensor:
        """Mean negative log-likelihood per action dimension [nats/dim] (the training loss);
        in training mode the normalized chunk gets ``train.action_noise_std`` Gaussian noise."""
        context = self.context(obs, generator)
        x = self.flatten_actions(actions)
        if self.training:
            x = self.noisy(x, generator)
        log_p = self.flow.log_prob(x, context)
        return -(log_p / self.config.actions.flat_dim).mean()

    def forward(self, actions: torch.Tensor, obs: Observation,
                generator: torch.Generator | None = None) -> torch.Tensor:
        """The training loss (so DistributedDataParallel can wrap the policy)."""
        return self.loss(actions, obs, generator)

    @torch.no_grad()
    def predict(self, obs: Observation, config: SamplingConfig | None = None,
                generator: torch.Generator | None = None) -> Prediction:
        """One chunk per observation, in robot units, with its likelihood and confidence.

        The observation is encoded once; every candidate of ``best_of_n`` shares it. It is
        in support when every one of its T_o joint states is and its context is; the
        confidence reads ``config.confidence`` (core/confidence.py, ``confidence_of``).
        """
        config = config or self.config.sampling
        context = self.context(obs)
        x, log_p = sampling.draw(self.flow, context, config, generator)
        per_dim = log_p / self.config.actions.flat_dim
        in_range = self.state_normalizer.within_range(obs.state, SUPPORT_MARGIN)
        in_range = in_range.flatten(1).all(dim=1) if in_range.ndim > 1 else in_range
        in_support = in_range & self.context_support.contains(context)
        share = (None if config.confidence == 'plan'  # not computed where it is not read
                 else self.context_support.percentile(context))
        confidence = confidence_of(config.confidence, self.calibration.confidence(per_dim),
                                   share)
        confidence = torch.where(in_support, confidence, torch.zeros_like(confidence))
        return Prediction(actions=self.unflatten_actions(x), log_prob=log_p,
                          log_prob_per_dim=per_dim, confidence=confidence,
                          in_support=in_support)
