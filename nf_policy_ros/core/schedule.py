# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The three-stage learning-rate / batch-size schedule (stages configurable).

The paper trains with three stages of (learning rate, batch size) but does not publish the
values; our defaults (config.TrainConfig) step the learning rate down and the batch size up
together, which lowers gradient noise twice as training settles. A linear warm-up precedes
stage one.
"""

from __future__ import annotations

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
            return StagePoint(i, lr, config.stage_batch_size[i])
    raise AssertionError('unreachable: TrainConfig validates at least one stage')
