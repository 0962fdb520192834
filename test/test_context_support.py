# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""ContextSupport: which observations look like the held-out ones (core/confidence.py)."""

from __future__ import annotations

from conftest import small_config
import pytest
import torch

from nf_policy_ros.core.confidence import ContextSupport
from nf_policy_ros.core.policy import NFPolicy


def gaussian(n: int, seed: int, width: int = 8) -> torch.Tensor:
    scale = torch.linspace(0.1, 3.0, width)  # very different spreads per direction
    return torch.randn(n, width, generator=torch.Generator().manual_seed(seed)) * scale + 5.0


def test_held_out_like_contexts_are_inside_and_far_ones_outside():
    support = ContextSupport()
    support.fit(gaussian(2000, 0))
    inside = support.contains(gaussian(2000, 1)).float().mean()
    assert inside >= 0.99  # beyond the largest of 2000 draws: ~1 in 2000
    far = gaussian(100, 2)
    far[:, 0] += 2.0  # 20 standard deviations along the tightest direction
    assert not support.contains(far).any()


def test_unfitted_accepts_everything_and_bad_contexts_are_refused():
    support = ContextSupport()
    assert support.contains(torch.full((3, 8), 1e6)).all()
    with pytest.raises(ValueError, match=r'got shape \(1, 8\)'):
        support.fit(torch.zeros(1, 8))
    bad = gaussian(10, 0)
    bad[3, 2] = float('nan')
    with pytest.raises(ValueError, match='all finite=False'):
        support.fit(bad)


def test_a_fitted_support_survives_the_state_dict_and_an_older_one_loads_unfitted():
    policy = NFPolicy(small_config())
    policy.context_support.fit(gaussian(100, 0, width=policy.config.encoder.context_dim))
    copy = NFPolicy(small_config())
    copy.load_state_dict(policy.state_dict())
    assert torch.equal(copy.context_support.limit, policy.context_support.limit)
    older = {k: v for k, v in policy.state_dict().items()
             if not k.startswith('context_support.')}
    fresh = NFPolicy(small_config())
    fresh.load_state_dict(older)  # strict: the missing buffers are filled as unfitted
    assert not fresh.context_support.is_fitted


def test_the_limit_comes_from_the_held_out_contexts_when_given():
    support = ContextSupport()
    train, held_out = gaussian(500, 0), gaussian(50, 1) * 1.5
    support.fit(train, held_out)
    assert torch.isclose(support.limit[0], support.squared_distance(held_out).max())
    assert support.limit[0] > support.squared_distance(train).max()  # wider held-out spread


def test_the_percentile_ranks_a_context_among_the_held_out_distances():
    support = ContextSupport()
    train, held_out = gaussian(2000, 0), gaussian(200, 1)
    support.fit(train, held_out)
    distances = support.squared_distance(held_out)
    share = support.percentile(held_out)
    # each held-out context: the fraction of held-out ones at least as far out as it is
    expected = (distances[None, :] >= distances[:, None]).float().mean(dim=1)
    assert torch.allclose(share, expected, atol=1e-6)  # 1 - k/n against (n - k)/n in float32
    assert support.percentile(support.mean[None]).item() == 1.0  # nearer than every one
    drifted = gaussian(200, 2)
    drifted[:, -1] += 9.0  # 3 standard deviations along the widest direction: still near
    assert support.percentile(drifted).mean() < 0.25 < share.mean()
    far = gaussian(10, 3)
    far[:, 0] += 2.0
    assert (support.percentile(far) == 0.0).all() and not support.contains(far).any()


def test_a_support_fitted_before_the_stored_distances_has_no_percentile():
    policy = NFPolicy(small_config())
    policy.context_support.fit(gaussian(100, 0, width=policy.config.encoder.context_dim))
    older = {k: v for k, v in policy.state_dict().items()
             if k != 'context_support.sorted_distance'}
    fresh = NFPolicy(small_config())
    fresh.load_state_dict(older)
    assert fresh.context_support.is_fitted and not fresh.context_support.has_percentile
    contexts = gaussian(4, 1, width=policy.config.encoder.context_dim)
    assert torch.isnan(fresh.context_support.percentile(contexts)).all()
    assert torch.equal(fresh.context_support.contains(contexts),
                       policy.context_support.contains(contexts))
