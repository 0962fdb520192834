# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The encoder warm-up (train.encoder_warmup_steps): regression first, then frozen trunks."""

from __future__ import annotations

from conftest import sine_episode, small_config
import numpy as np
import pytest
import torch

from nf_policy_ros.config_tree import ConfigError
from nf_policy_ros.core.checkpoint import read_checkpoint
from nf_policy_ros.core.encoder_warmup import EncoderWarmup
from nf_policy_ros.core.policy import NFPolicy
from nf_policy_ros.core.train_state import batch_to_device
from nf_policy_ros.core.training import (
    IMAGE_PARAMETER_PREFIXES,
    build_optimizer,
    run_training,
)
from nf_policy_ros.data.windows import WindowDataset

WARMUP, TOTAL = 6, 12


def textured_episode(phase: float) -> object:
    """A sine episode whose frames carry random texture (so image gradients are non-zero)."""
    episode = sine_episode(length=24, num_cameras=1, image_size=32, phase=phase)
    rng = np.random.default_rng(int(phase * 10))
    episode.images[:] = rng.integers(0, 256, episode.images.shape, dtype=np.uint8)
    return episode


def image_params(state_dict: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: v for k, v in state_dict.items() if k.startswith(IMAGE_PARAMETER_PREFIXES)}


def test_warmup_trains_the_trunk_then_it_stays_bitwise_frozen_while_the_flow_learns(tmp_path):
    short = small_config(num_cameras=1, steps=(TOTAL,), encoder_warmup_steps=WARMUP,
                         checkpoint_every=WARMUP, val_every=TOTAL)
    data = WindowDataset([textured_episode(p) for p in (0.0, 0.7, 1.4)], short.actions)
    stop_at_warmup = small_config(num_cameras=1, steps=(WARMUP + 1,),
                                  encoder_warmup_steps=WARMUP, checkpoint_every=WARMUP,
                                  val_every=TOTAL)
    # a run of WARMUP + 1 steps: its raw weights after the warm-up's last step are those of
    # every later step for the image groups
    torch.manual_seed(short.train.seed)  # the initial weights, as run_training draws them
    initial = image_params(NFPolicy(short).state_dict())
    logged: dict[int, set[str]] = {}
    first = run_training(stop_at_warmup, data, None, tmp_path / 'a', {}, progress=False,
                         on_metrics=lambda step, m: logged.setdefault(step, set(m)))
    assert 'train/warmup_mse' in logged[WARMUP] and 'train/nll_per_dim' in logged[WARMUP + 1]
    whole = run_training(short, data, None, tmp_path / 'b', {}, progress=False)
    a, b = first.policy.state_dict(), whole.policy.state_dict()
    # the warm-up moved the trunk (the one step after it is frozen) ...
    assert any(not torch.equal(initial[k], a[k]) for k in initial)
    # ... and no likelihood step moves it again, while the flow keeps learning
    for k in image_params(a):
        assert torch.equal(a[k], b[k]), k
    flow = [k for k in a if k.startswith('flow.')]
    assert any(not torch.equal(a[k], b[k]) for k in flow)
    # frozen for autograd too: the likelihood steps' backward skips the trunks
    trunk = [p for n, p in whole.policy.named_parameters()
             if n.startswith(IMAGE_PARAMETER_PREFIXES)]
    assert trunk and not any(p.requires_grad or p.grad is not None for p in trunk)


def test_a_bf16_warmup_runs_the_trunks_in_bf16_and_the_likelihood_steps_in_float32(tmp_path):
    # batches of 4: a CPU without AVX-512 runs a bf16 ResNet18 backward at ~0.7 s a sample
    config = small_config(num_cameras=1, steps=(4,), encoder_warmup_steps=2,
                          warmup_precision='bf16', checkpoint_every=4, val_every=4,
                          stage_batch_size=(4,))
    data = WindowDataset([textured_episode(p) for p in (0.0, 0.7, 1.4)], config.actions)
    policy = NFPolicy(config).train()
    optimizer = build_optimizer(policy, config.train)
    warmup = EncoderWarmup.of(policy, torch.device('cpu'))
    dtypes: list[torch.dtype] = []
    policy.encoder.trunks[0].register_forward_hook(lambda _m, _i, out: dtypes.append(out.dtype))
    batch, generator = data.batch(np.arange(4)), torch.Generator().manual_seed(0)
    assert warmup.step(0, policy, optimizer, batch, 1e-3, generator, torch.device('cpu'), 1.0)
    actions, obs = batch_to_device(batch, torch.device('cpu'))
    policy.loss(actions, obs, generator)  # a likelihood step's forward
    assert dtypes == [torch.bfloat16, torch.float32]
    # a whole run: recorded in the checkpoint, and the trained policy is float32 again
    result = run_training(config, data, None, tmp_path / 'run', {}, progress=False)
    assert result.policy.encoder.trunk_dtype is None
    summary = read_checkpoint(result.policy_path)['provenance']['training']
    assert summary['warmup_trunk_dtype'] == 'bfloat16'


def test_warmup_must_leave_likelihood_steps():
    with pytest.raises(ConfigError, match=r'train.encoder_warmup_steps=12 is invalid: '
                                          r'expected in \[0, 12\)'):
        small_config(num_cameras=1, steps=(12,), encoder_warmup_steps=12)


def test_the_diffusion_baseline_takes_the_same_warmup(tmp_path):
    """DP shares NF-P's encoder: the same warm-up trains its trunk, then freezes it while the
    denoiser learns (raw weights from the baseline's resumable checkpoints)."""
    from benchmarks.baselines.diffusion import DiffusionConfig
    from benchmarks.baselines.diffusion_training import train_diffusion

    tiny_unet = DiffusionConfig(channels=(16, 32), time_dim=16, groups=4)
    runs = {}
    for name, steps in (('a', WARMUP + 1), ('b', TOTAL)):
        config = small_config(num_cameras=1, steps=(steps,), encoder_warmup_steps=WARMUP)
        data = WindowDataset([textured_episode(p) for p in (0.0, 0.7, 1.4)], config.actions)
        path = tmp_path / f'{name}.pt'
        train_diffusion(config, data, tiny_unet, checkpoint=path, checkpoint_every=TOTAL)
        runs[name] = torch.load(path, weights_only=True)['model']
    a, b = runs['a'], runs['b']
    for k in image_params(a):
        assert torch.equal(a[k], b[k]), k
    assert any(not torch.equal(a[k], b[k]) for k in a if k.startswith('denoiser.'))
