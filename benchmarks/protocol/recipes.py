# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""NF-P's recipe changes studied on the tuning split (benchmarks.experiments.nfp_recipe,
docs/benchmarks/nfp_recipe.md) and the recipe frozen from them (issue 32): TrainConfig and
ActionConfig fields over the state tier's recipe (benchmarks.protocol.tier.tier_config).

The values were fixed before any run of the study: dequantization 0.1 of the +-1 gripper
command; a noise floor of 0.005 rad (0.3 degrees) on every action dimension; action noise
0.2 of each joint's motion between chunk points; state noise 0.1 of each observation's
spread (normalized units); half-cosine decay.
"""

from __future__ import annotations

from typing import Any

# Meta-World's two finger setpoints are +-1 times the gripper command (sim.task.
# finger_setpoints): the second mirrors the first, and the first is a binary command.
GRIPPER_MIRROR: dict[str, Any] = {'mirror_dims': (8,), 'mirror_sources': (7,),
                                  'mirror_gains': (-1.0,), 'discrete_dims': (7,)}
REPRESENTATION_TRAINING: dict[str, Any] = {'dequantize_std': 0.1, 'action_noise_floor': 0.005}
ACTION_NOISE: dict[str, Any] = {'action_noise_step': 0.2, 'action_noise_floor': 0.005}
STATE_NOISE: dict[str, Any] = {'state_noise_std': 0.1}
COSINE: dict[str, Any] = {'lr_schedule': 'cosine'}
VAL_EVERY = 250  # [steps] between held-out NLL evaluations

# The frozen recipe (nfp_recipe.md: `selected-zero`, chosen by its SELECTION_RULE and
# SAMPLER_RULE): the representation, state noise and cosine decay; four chunk points (16
# ticks) followed per plan; the zero latent at inference.
FROZEN_TRAINING: dict[str, Any] = {**REPRESENTATION_TRAINING, **STATE_NOISE, **COSINE}
FROZEN_EXECUTE_POINTS = 4
FROZEN_ACTIONS: dict[str, Any] = {**GRIPPER_MIRROR, 'execute_points': FROZEN_EXECUTE_POINTS}
