# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Strided action windows: which recorded steps form the chunk predicted at tick t.

The chunk predicted at tick t is a(t), a(t+S), ..., a(t+(T_a-1)S). A window that runs past
the episode's last step L-1 is either dropped (``padding='drop'``) or padded with the final
action a(L-1) (``padding='repeat_last'``: the demonstrated robot stays at its final pose, so
the padded chunk is what a robot would do after the demo ended).
"""

from __future__ import annotations

import numpy as np

from nf_policy_ros.config import ActionConfig


def window_offsets(actions: ActionConfig) -> np.ndarray:
    """Offsets (T_a,) of the predicted steps from the tick: 0, S, 2S, ..."""
    return np.arange(actions.horizon, dtype=np.int64) * actions.stride


def window_starts(episode_length: int, actions: ActionConfig) -> np.ndarray:
    """Ticks (W,) that start a training window in an episode of ``episode_length`` steps."""
    if episode_length <= 0:
        return np.zeros(0, dtype=np.int64)
    if actions.padding == 'drop':
        last_start = episode_length - 1 - int(window_offsets(actions)[-1])
        return np.arange(max(last_start + 1, 0), dtype=np.int64)
    return np.arange(episode_length, dtype=np.int64)


def window_indices(start: int | np.ndarray, episode_length: int,
                   actions: ActionConfig) -> np.ndarray:
    """Step indices (..., T_a) of the chunk at ``start``, clamped to the last step."""
    idx = np.asarray(start, dtype=np.int64)[..., None] + window_offsets(actions)
    return np.minimum(idx, episode_length - 1)


def time_from_start(actions: ActionConfig, fps: float, lead_steps: float = 0.0) -> np.ndarray:
    """Times (T_a,) [s] of the predicted steps after the observation: (k*S + lead) / fps."""
    return (window_offsets(actions).astype(np.float64) + lead_steps) / fps
