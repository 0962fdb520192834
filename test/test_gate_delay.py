# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""benchmarks.gate_delay: the fault injection and the delay / false-alarm count."""

from __future__ import annotations

import torch

from benchmarks.gate_delay import FAULTS, FaultyCamera, episode_row
from nf_policy_ros.sim.rollout import Action
from nf_policy_ros.structs import Observation


class Recorder:
    """An actor that keeps the images it was shown."""

    name, stride, device, observes_images = 'recorder', 2, torch.device('cpu'), True

    def __init__(self) -> None:
        self.seen: list[torch.Tensor] = []

    def act(self, obs: Observation) -> Action:
        self.seen.append(obs.images.clone())
        return Action(torch.zeros(1, 4, 3), torch.ones(1))


def frames(count: int) -> list[Observation]:
    return [Observation(torch.full((1, 1, 3, 4, 4), float(i + 1)), torch.zeros(1, 3))
            for i in range(count)]


def test_the_camera_fails_from_the_fault_plan_on():
    black, frozen = Recorder(), Recorder()
    for actor in (FaultyCamera(black, 2, FAULTS[0]), FaultyCamera(frozen, 2, FAULTS[1])):
        for obs in frames(4):
            actor.act(obs)
    assert [float(x.mean()) for x in black.seen] == [1.0, 2.0, 0.0, 0.0]
    assert [float(x.mean()) for x in frozen.seen] == [1.0, 2.0, 2.0, 2.0]


def test_delay_counts_plans_from_the_fault_and_false_alarms_before_it():
    row = episode_row([0.5, 0.01, 0.6, 0.3, 0.2, 0.04, 0.0], fault_plan=3, threshold=0.05)
    assert row == {'false_alarms': 1, 'plans_before': 3, 'delay_plans': 2, 'plans_after': 4}
    never = episode_row([0.5, 0.5, 0.5], fault_plan=1, threshold=0.05)
    assert never['delay_plans'] is None and never['false_alarms'] == 0
