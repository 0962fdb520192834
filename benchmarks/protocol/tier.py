# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The closed-loop protocol every state-tier experiment shares (state tier, learning curves,
ablations, NF-P recipe study; the vision tier uses its config hash, demos and evaluation):
the shared training recipe, the config hash that names a run, demo collection and the
evaluation of a policy on a split (the tasks and splits: benchmarks.protocol.splits).

Observation: the 9 joint positions + Meta-World's 39-D observation (hand, gripper, objects,
goal); action: the 9 joint targets (chunk of 8, stride 4); policies re-plan every 4 steps.
Demos: the scripted expert replayed in joint space (successful replays only, seeds 0, 1,
...); evaluation start states from 10000 (tuning split) or 20000 (test split).
"""

from __future__ import annotations

import argparse
from dataclasses import asdict
import hashlib
import json
from typing import Any

import numpy as np

from benchmarks.baselines.diffusion import SMALL_UNET, DiffusionConfig
from benchmarks.protocol.splits import SPLIT_EPISODES, SPLIT_SEED0
from nf_policy_ros.config import ActionConfig, EncoderConfig, NFPConfig, TrainConfig
from nf_policy_ros.sim.rollout import record_demo, run_policy
from nf_policy_ros.sim.task import JointTask

STATE_DIM = 9 + 39
# Demos after a training's own (the next successful demo seeds) held out from it: NF-P logs
# their NLL and calibrates its confidence on them (the other networks ignore them).
VAL_DEMOS = 3
EXECUTE_STEPS = 4  # [ticks] followed of each chunk before re-planning (one chunk point)
DP_SIZE = SMALL_UNET
DEFAULT_STEPS = 2000  # the tuning split's training steps unless --steps says otherwise


def tier_config(steps: int, seed: int, stride: int = 4, horizon: int = 8, lr: float = 1e-3,
                ema_warmup: bool = True) -> NFPConfig:
    """The shared recipe: one stage of ``steps`` AdamW steps at ``lr``, batch 64."""
    return NFPConfig(encoder=EncoderConfig(num_cameras=0, state_dim=STATE_DIM),
                     actions=ActionConfig(action_dim=9, horizon=horizon, stride=stride),
                     train=TrainConfig(stage_steps=(steps,), stage_lr=(lr,),
                                       stage_batch_size=(64,), warmup_steps=100,
                                       ema_warmup=ema_warmup, val_every=steps,
                                       checkpoint_every=steps, seed=seed))


def recipe_fields(config: NFPConfig, budget: str = 'fixed') -> dict[str, Any]:
    """What a record says of the training recipe beyond the steps; ``budget``: 'fixed'
    (steps from the command line) or 'tuned' (each policy's own, from the learning curves)."""
    return {'lr': config.train.stage_lr[0], 'ema_warmup': config.train.ema_warmup,
            'budget': budget}


# Settings added after the first records, hashed only when set away from their default, so
# the records and saved trainings from before keep their hash.
HASHED_WHEN_SET = {('train', 'action_noise_std'): 0.0, ('train', 'state_noise_std'): 0.0,
                   ('train', 'lr_schedule'): 'stages', ('train', 'adam_betas'): (0.9, 0.999),
                   ('train', 'ema_power'): 0.0, ('train', 'encoder_warmup_steps'): 0,
                   ('train', 'warmup_precision'): 'fp32',
                   ('sampling', 'candidate_precision'): 'fp32',
                   ('sampling', 'confidence'): 'plan',
                   ('actions', 'mirror_dims'): (), ('actions', 'mirror_sources'): (),
                   ('actions', 'mirror_gains'): (), ('actions', 'discrete_dims'): (),
                   ('train', 'action_noise_step'): 0.0, ('train', 'action_noise_floor'): 0.0,
                   ('train', 'dequantize_std'): 0.0, ('data', 'intervention_topic'): '',
                   ('data', 'intervention_max_age_s'): 0.2, ('data', 'keep'): 'episodes',
                   ('encoder', 'obs_horizon'): 1}
DP_HASHED_WHEN_SET = {'obs_horizon': 1}  # the DP denoiser's settings, likewise
# Settings of execution, not of training: never hashed, so recipes that differ only in them
# share one training (run directory).
NEVER_HASHED = (('actions', 'execute_points'),)


# Revision of the camera path that changes a camera run without changing its settings:
# 2 = standardized spatial softmax and the trunk learning-rate scale (issue 18); 3 (runs
# with an encoder warm-up only) = the trunks frozen for autograd after it, so their
# gradients no longer count in the gradient-norm clip. Camera runs hash it, so runs of an
# older camera path are never taken for new ones.
CAMERA_PATH_VERSION = 2
WARMUP_FREEZE_VERSION = 3


def camera_path(config: NFPConfig) -> int:
    """The camera path revision a camera run of ``config`` trains with (see above)."""
    return WARMUP_FREEZE_VERSION if config.train.encoder_warmup_steps else CAMERA_PATH_VERSION


def config_hash(config: NFPConfig, dp_size: DiffusionConfig = DP_SIZE) -> str:
    """10 hex digits identifying the NF-P config and the DP size of a run."""
    nfp = asdict(config)
    for (group, field), default in HASHED_WHEN_SET.items():
        if nfp[group][field] == default:
            del nfp[group][field]
    for group, field in NEVER_HASHED:
        del nfp[group][field]
    dp = {k: v for k, v in asdict(dp_size).items()
          if k not in DP_HASHED_WHEN_SET or v != DP_HASHED_WHEN_SET[k]}
    payload = {'nfp': nfp, 'dp': dp}
    if config.encoder.num_cameras == 0:
        del nfp['train']['encoder_lr_scale']  # no image trunk: the setting does nothing
    else:
        payload['camera_path'] = camera_path(config)
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def collect(task: JointTask, count: int, images: bool = False) -> list:
    """``count`` successful joint-space demos (fewer if the seeds run out): low-dimensional
    state, or (``images``) camera + joint state."""
    episodes, seed = [], 0
    while len(episodes) < count and seed < 5 * count + 20:
        episode = record_demo(task, seed, images=images, low_dim=not images)
        seed += 1
        if episode is not None:
            episodes.append(episode)
    return episodes


def evaluate(task: JointTask, actor, episodes: int, execute_steps: int = EXECUTE_STEPS,
             low_dim: bool = True, split: str = 'tune') -> dict[str, Any]:
    """Success over the first ``episodes`` start states of ``split`` (SPLIT_SEED0),
    re-planning every ``execute_steps`` steps; the state is
    ``sim.rollout.task_state(task, low_dim)`` (as the policy was trained)."""
    seed0 = SPLIT_SEED0[split]
    rollouts = [run_policy(task, actor, seed0 + i, execute_steps, low_dim=low_dim)
                for i in range(episodes)]
    conf = [c for r in rollouts for c in r.confidence]
    return {'successes': sum(r.success for r in rollouts), 'episodes': episodes,
            'split': split, 'eval_seed0': seed0,
            'episode_success': [bool(r.success) for r in rollouts],
            'diverged': sum(r.diverged for r in rollouts),
            'mean_steps': float(np.mean([r.steps for r in rollouts])),
            'tick_p50_ms': float(np.percentile([t for r in rollouts for t in r.tick_ms], 50)),
            'mean_confidence': float(np.mean(conf)) if conf else None,
            'episode_confidence': [[float(np.mean(r.confidence)), float(np.min(r.confidence))]
                                   if r.confidence else None for r in rollouts],
            'episode_confidence_trace': [[round(c, 4) for c in r.confidence]
                                         for r in rollouts] if conf else None}


def episodes(args: argparse.Namespace) -> int:
    """Start states to evaluate: ``--episodes``, else the split's (SPLIT_EPISODES)."""
    return args.episodes or SPLIT_EPISODES[args.split]
