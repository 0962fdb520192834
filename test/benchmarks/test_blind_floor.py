# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Wider object placement and the blind-floor measurement."""

from __future__ import annotations

import numpy as np
import pytest

from nf_policy_ros.sim.task import JointTask, TaskConfig


def test_placement_scale_widens_the_start_box_about_its_centre():
    base = JointTask(TaskConfig(task='drawer-open', image_height=32, image_width=32))
    wide = JointTask(TaskConfig(task='drawer-open', object_range_scale=2.0,
                                image_height=32, image_width=32))
    try:
        a, b = base.env._random_reset_space, wide.env._random_reset_space
        assert np.allclose((a.low + a.high) / 2, (b.low + b.high) / 2)
        assert np.allclose((b.high - b.low)[:2], 2 * (a.high - a.low)[:2])
        assert np.allclose((b.high - b.low)[2], (a.high - a.low)[2])  # height untouched
        spread = np.ptp([_object_x(wide, s) for s in range(30)])
        assert spread > (a.high - a.low)[0]  # seeds really place it wider
    finally:
        base.close()
        wide.close()


def _object_x(task: JointTask, seed: int) -> float:
    task.reset(seed)
    return float(task.env._last_rand_vec[0])


@pytest.mark.parametrize('scale', [0.0, -1.0, float('nan')])
def test_a_bad_placement_scale_is_named(scale):
    with pytest.raises(ValueError, match='object_range_scale'):
        JointTask(TaskConfig(task='drawer-open', object_range_scale=scale))


def test_blind_floor_script_measures_and_renders(capsys):
    from benchmarks.experiments import blind_floor

    assert blind_floor.main(['--tasks', 'drawer-open', '--scales', '2', '--seeds', '3']) == 0
    out = capsys.readouterr().out
    assert '| drawer-open | 2 | 3 |' in out
