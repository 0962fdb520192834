# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Strided windows against a written table, including the end-of-episode rule."""

from __future__ import annotations

import numpy as np
import pytest

from nf_policy_ros.chunks import (
    time_from_start,
    window_indices,
    window_offsets,
    window_starts,
)
from nf_policy_ros.config import ActionConfig
from nf_policy_ros.data.windows import Episode, WindowDataset

# Episode of 10 steps, horizon 3, stride 4: the chunk at t is a(t), a(t+4), a(t+8).
# repeat_last clamps indices past the end to the last step (9).
TABLE = {
    0: [0, 4, 8],
    1: [1, 5, 9],
    2: [2, 6, 9],
    5: [5, 9, 9],
    6: [6, 9, 9],
    9: [9, 9, 9],
}


def config(padding: str = 'repeat_last') -> ActionConfig:
    return ActionConfig(action_dim=2, horizon=3, stride=4, padding=padding)


def test_offsets_are_multiples_of_the_stride():
    assert window_offsets(config()).tolist() == [0, 4, 8]


@pytest.mark.parametrize('start, expected', sorted(TABLE.items()))
def test_window_indices_follow_the_table(start, expected):
    assert window_indices(start, 10, config()).tolist() == expected


def test_repeat_last_starts_a_window_at_every_tick():
    assert window_starts(10, config()).tolist() == list(range(10))


def test_drop_keeps_only_windows_inside_the_episode():
    assert window_starts(10, config('drop')).tolist() == [0, 1]
    assert window_starts(8, config('drop')).tolist() == []


def test_time_from_start_is_strided_and_led():
    times = time_from_start(config(), fps=10.0, lead_steps=1.0)
    assert np.allclose(times, [0.1, 0.5, 0.9])


def test_dataset_gathers_chunks_from_the_right_episode():
    """Two episodes back to back: a chunk never reads into the next episode."""
    def episode(length: int, base: float, name: str) -> Episode:
        steps = np.arange(length, dtype=np.float32)[:, None] + base
        return Episode(np.zeros((length, 0, 3, 4, 4), np.uint8), np.repeat(steps, 2, 1),
                       np.repeat(steps, 2, 1), name)

    data = WindowDataset([episode(10, 0.0, 'a'), episode(5, 100.0, 'b')], config())
    assert len(data) == 15
    batch = data.batch(np.array([1, 12]))
    assert batch['actions'][0, :, 0].tolist() == [1.0, 5.0, 9.0]
    assert batch['actions'][1, :, 0].tolist() == [102.0, 104.0, 104.0]
    assert batch['state'][1, 0] == 102.0


def test_dataset_refuses_episodes_without_windows():
    short = Episode(np.zeros((3, 0, 3, 4, 4), np.uint8), np.zeros((3, 2), np.float32),
                    np.zeros((3, 2), np.float32), 'short')
    with pytest.raises(ValueError, match='yield no window'):
        WindowDataset([short], config('drop'))
