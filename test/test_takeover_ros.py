# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Takeovers over real DDS (issue 35), no policy node needed: the test plays its part
(the latched /nf_policy/takeover flag, the per-tick /nf_policy/intervention flag, the
~/release_takeover service, forwarding teleop commands to the robot).

- demo_recorder bags the std_msgs/Bool intervention flag with the other topics, and the
  data layer reads it back per tick;
- sim_robot_node's scripted expert, as the operator, commands on teleop only while the
  takeover is on, stops after its tick budget and asks for release, and counts its ticks
  in the episode's JSON.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
import threading
import time

import numpy as np
import pytest
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from ros_helpers import NodeProcess, RosTestNode, call_service, wait_for
from sensor_msgs.msg import JointState
from std_msgs.msg import Bool
from std_srvs.srv import SetBool, Trigger
from trajectory_msgs.msg import JointTrajectory

from nf_policy_ros.config import DataConfig
from nf_policy_ros.data.bag import read_bag
from nf_policy_ros.data.episodes import build_episodes

TAKEOVER, INTERVENTION = '/nf_policy/takeover', '/nf_policy/intervention'
RELEASE, TELEOP = '/nf_policy/release_takeover', '/teleop/joint_trajectory'
LATCHED = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                     durability=DurabilityPolicy.TRANSIENT_LOCAL)
JOINTS = '/tk/joint_states'


# -- the recorder bags the flag -----------------------------------------------------------

def test_the_recorder_bags_the_intervention_flag_and_the_data_layer_reads_it(tmp_path):
    test = RosTestNode('takeover_recorder_test')
    node, tick = test.node, [0]
    joints = node.create_publisher(JointState, JOINTS, 10)
    flag = node.create_publisher(Bool, INTERVENTION, 10)

    def publish() -> None:  # joints at 50 Hz; the flag at 25 Hz, true on every other second
        tick[0] += 1
        joints.publish(JointState(name=['j1'], position=[0.01 * tick[0]]))
        if tick[0] % 2 == 0:
            flag.publish(Bool(data=(tick[0] // 50) % 2 == 1))

    node.create_timer(0.02, publish)
    bags = tmp_path / 'bags'
    recorder = NodeProcess('demo_recorder', [
        '-p', f'output_dir:={bags}', '-p', f'topics:=[{JOINTS}, {INTERVENTION}]',
        '-p', f'optional_topics:=[{INTERVENTION}]'], tmp_path)
    try:
        started = call_service(node, Trigger, '/demo_recorder/start', process=recorder,
                               repeat_safe=False)
        assert started.success, started.message
        time.sleep(2.5)
        stopped = call_service(node, SetBool, '/demo_recorder/stop',
                               SetBool.Request(data=True), recorder, repeat_safe=False)
        assert stopped.success, stopped.message
        reply = json.loads(stopped.message)
        assert reply['counts'][INTERVENTION] >= 40, reply  # 25 Hz for 2.5 s
        config = DataConfig(fps=10.0, joint_names=('j1',), camera_topics=(),
                            joint_state_topic=JOINTS, intervention_topic=INTERVENTION,
                            max_joint_age_s=0.1, min_episode_ticks=1)
        streams = read_bag(Path(reply['path']), config, (32, 32))
        assert streams.intervention.values.dtype == bool
        assert len(streams.intervention.values) == reply['counts'][INTERVENTION]
        assert streams.intervention.values.any() and not streams.intervention.values.all()
        (episode,), report = build_episodes(streams, config)
        assert 0 < report.intervention_ticks < len(episode)
        flagged, _ = build_episodes(streams, dataclasses.replace(config, keep='interventions'))
        assert sum(len(e) for e in flagged) == report.intervention_ticks
    finally:
        assert recorder.stop() == 0, recorder.output()
        test.close()


# -- the sim operator ---------------------------------------------------------------------

SIM_ARGS = ['-p', 'task:=drawer-open', '-p', 'image_width:=32', '-p', 'image_height:=32',
            '-p', 'real_time_factor:=1.0', '-p', 'operator_rate_hz:=20.0']


class PolicyStandIn:
    """The policy node's side of a takeover: the latched flag, the release service (which
    clears the flag, as the node does) and, optionally, forwarding teleop to the robot."""

    def __init__(self, forward: bool = False) -> None:
        self.test = RosTestNode('takeover_policy_stand_in')
        node = self.test.node
        self.lock = threading.Lock()
        self.commands: list[tuple[float, JointTrajectory]] = []
        self.releases = 0
        self._flag = node.create_publisher(Bool, TAKEOVER, LATCHED)
        self._robot = node.create_publisher(JointTrajectory, '/joint_trajectory', 10)
        self._forward = forward
        node.create_subscription(JointTrajectory, TELEOP, self._on_teleop, 10)
        node.create_service(Trigger, RELEASE, self._on_release)
        self.set(False)

    def set(self, on: bool) -> None:
        with self.lock:
            self.takeover = on
        self._flag.publish(Bool(data=on))

    def _on_teleop(self, msg: JointTrajectory) -> None:
        with self.lock:
            self.commands.append((time.monotonic(), msg))
        if self._forward:
            self._robot.publish(msg)

    def _on_release(self, request, response):
        with self.lock:
            self.releases += 1
        self.set(False)
        response.success, response.message = True, 'released'
        return response

    def count(self) -> int:
        with self.lock:
            return len(self.commands)

    def episode(self, sim: NodeProcess) -> dict:
        reply = call_service(self.test.node, Trigger, '/sim_robot/success', process=sim)
        return json.loads(reply.message)


@pytest.fixture
def operator_rig(request, tmp_path):
    mode, ticks = request.param
    sim = NodeProcess('sim_robot_node', [*SIM_ARGS, '-p', f'operator:={mode}',
                                         '-p', f'operator_ticks:={ticks}'], tmp_path)
    stand_in = PolicyStandIn(forward=mode == 'until_released')
    yield sim, stand_in
    try:
        assert sim.stop() == 0, sim.output()
    finally:
        stand_in.test.close()


@pytest.mark.parametrize('operator_rig', [('ticks', 6)], indirect=True)
def test_the_operator_commands_its_tick_budget_then_asks_for_release(operator_rig):
    sim, policy = operator_rig
    wait_for(lambda: policy.test.node.count_publishers(TELEOP) == 1, 60,
             'the operator to advertise teleop', sim)
    time.sleep(1.0)
    assert policy.count() == 0, 'nothing commanded without a takeover'
    policy.set(True)
    wait_for(lambda: policy.releases == 1, 30, 'the release request', sim)
    time.sleep(1.0)  # 20 more command ticks' time: none may come
    assert policy.count() == 6, policy.count()
    assert policy.releases == 1 and not policy.takeover
    msg = policy.commands[0][1]
    assert msg.joint_names[:7] == [f'right_j{i}' for i in range(7)] and len(msg.points) == 8
    times = [p.time_from_start.sec + 1e-9 * p.time_from_start.nanosec for p in msg.points]
    assert np.allclose(np.diff(times), 0.05, atol=1e-6)  # one 20 Hz tick apart
    stamps = [m.header.stamp.sec + 1e-9 * m.header.stamp.nanosec for _, m in policy.commands]
    assert np.allclose(np.diff(stamps), 0.05, atol=1e-6), stamps  # every tick, simulated time
    episode = policy.episode(sim)
    assert episode['expert_ticks'] == 6 and episode['takeovers'] == 1, episode
    policy.set(True)  # a second takeover gets a fresh budget
    wait_for(lambda: policy.releases == 2, 30, 'the second release', sim)
    assert policy.count() == 12 and policy.episode(sim)['expert_ticks'] == 12


@pytest.mark.parametrize('operator_rig', [('until_released', 1)], indirect=True)
def test_the_operator_commands_until_the_takeover_ends_and_solves_the_task(operator_rig):
    sim, policy = operator_rig
    wait_for(lambda: policy.test.node.count_publishers(TELEOP) == 1, 60,
             'the operator to advertise teleop', sim)
    policy.set(True)  # from the start: the expert's commands, forwarded, solve the episode
    wait_for(lambda: policy.episode(sim)['success'], 45, 'the task solved by the operator',
             sim, period=0.5)
    policy.set(False)
    time.sleep(0.3)  # a command already in flight may still arrive
    stopped_at = policy.count()
    time.sleep(1.0)
    assert policy.count() == stopped_at, 'commands after the takeover ended'
    assert policy.releases == 0, 'until_released never asks for release'
    episode = policy.episode(sim)
    assert episode['expert_ticks'] == stopped_at and episode['takeovers'] == 1, episode
