# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The three-stage learning-rate / batch-size schedule (stages configurable).

The paper trains with three stages of (learning rate, batch size) but does not publish the
values; our defaults (config.TrainConfig) step the learning rate down and the batch size up
together, which lowers gradient noise twice as training settles. A linear warm-up precedes
stage one. ``lr_schedule='cosine'`` (Diffusion Policy's) scales the stage rate after the
warm-up by a half cosine that falls from 1 at the warm-up's end to 0 at the last step.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from nf_policy_ros.config import TrainConfig


class StagePoint(NamedTuple):
    stage: int
    lr: float
    batch_size: int


def stage_at(config: TrainConfig, step: int) -> StagePoint:
    """Stage index, learning rate and batch size for optimizer step ``step`` (0-based)."""
    end = 0
    for i, steps in enumerate(config.stage_steps):
        end += steps
        if step < end or i == len(config.stage_steps) - 1:
            lr = config.stage_lr[i]
            if config.warmup_steps > 0 and step < config.warmup_steps:
                lr *= (step + 1) / config.warmup_steps
            elif config.lr_schedule == 'cosine':
                lr *= cosine_factor(config, step)
            return StagePoint(i, lr, config.stage_batch_size[i])
    raise AssertionError('unreachable: TrainConfig validates at least one stage')


def cosine_factor(config: TrainConfig, step: int) -> float:
    """0.5 (1 + cos(pi p)) at the fraction p of the steps after the warm-up that ``step``
    (0-based) has reached: 1 at the warm-up's end, 0 at ``total_steps``."""
    after = max(1, config.total_steps - config.warmup_steps)
    progress = min(1.0, max(0.0, (step - config.warmup_steps) / after))
    return 0.5 * (1.0 + math.cos(math.pi * progress))
