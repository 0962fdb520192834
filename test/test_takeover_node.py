# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""policy_node's takeover (issue 35) as a real process on real DDS: the gate or an operator
hands the robot to a teleop source; its commands reach the controllers only while the
takeover is active, under the output rules; stale ones are dropped; release gives the robot
back to the policy."""

from __future__ import annotations

import threading
import time

import numpy as np
from policy_fixtures import JOINTS, make_checkpoint
import pytest
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from rclpy.time import Duration
from ros_helpers import wait_for
from std_msgs.msg import Bool
from std_srvs.srv import Trigger
from test_policy_node import Harness, call_policy, set_parameter
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint

LATCHED = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                     durability=DurabilityPolicy.TRANSIENT_LOCAL)
TELEOP = '/teleop/joint_trajectory'


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    return make_checkpoint(tmp_path_factory.mktemp('ckpt'))


class Teleop:
    """The test's teleop source, and what the node says about takeovers."""

    def __init__(self, h: Harness) -> None:
        node = h.test.node
        self.h = h
        self.pub = node.create_publisher(JointTrajectory, TELEOP, 10)
        self.takeover: list[bool] = []
        self.intervention: list[bool] = []
        self._lock = threading.Lock()
        node.create_subscription(Bool, '/nf_policy/takeover', self._on_takeover, LATCHED)
        node.create_subscription(Bool, '/nf_policy/intervention', self._on_flag, 10)

    def _on_takeover(self, msg: Bool) -> None:
        with self._lock:
            self.takeover.append(msg.data)

    def _on_flag(self, msg: Bool) -> None:
        with self._lock:
            self.intervention.append(msg.data)

    def active(self) -> bool | None:
        with self._lock:
            return self.takeover[-1] if self.takeover else None

    def flags(self) -> list[bool]:
        with self._lock:
            return list(self.intervention)

    def send(self, positions, age_s: float = 0.0, names=JOINTS[::-1]) -> None:
        """One single-point command (``positions`` in ``names`` order) stamped ``age_s`` ago
        on the test's clock (system time, as the node's)."""
        now = self.h.test.node.get_clock().now() - Duration(seconds=age_s)
        msg = JointTrajectory(joint_names=list(names))
        msg.header.stamp = now.to_msg()
        point = JointTrajectoryPoint(positions=[float(x) for x in positions])
        point.time_from_start.nanosec = 200_000_000
        msg.points.append(point)
        self.pub.publish(msg)

    def request(self) -> Trigger.Response:
        return call_policy(self.h, Trigger, '/nf_policy/request_takeover', Trigger.Request())

    def release(self) -> Trigger.Response:
        return call_policy(self.h, Trigger, '/nf_policy/release_takeover', Trigger.Request())


def forwarded(h: Harness, since: int, positions) -> bool:
    """Whether a one-point trajectory at ``positions`` (policy order) arrived after
    message ``since``."""
    return any(len(m.points) == 1 and np.allclose(m.points[0].positions, positions)
               for m in h.robot.received()[since:])


def counter(h: Harness, name: str) -> int:
    return int(h.last_diagnostics().get(f'count.{name}', 0))


def test_the_gate_hands_over_teleop_is_forwarded_while_active_and_release_returns(
        checkpoint, tmp_path):
    """gate: takeover with a threshold no plan reaches (and the fake camera's gray frames
    are outside the support of the black ones trained on): the node holds, announces the
    takeover (latched topic, /diagnostics, the per-tick flag), forwards fresh teleop
    commands in policy joint order and drops stale ones; release (the gate set to warn
    first, or it would close again) gives the robot back to the policy, and teleop is no
    longer forwarded."""
    h = Harness(checkpoint, tmp_path, 'output_enabled:=true', 'safety.gate:=takeover',
                'safety.gate_threshold:=1.0', 'takeover.max_teleop_age_s:=2.0')
    teleop = Teleop(h)
    try:
        wait_for(lambda: teleop.active() is True, 90, 'the gate takeover', h.proc)
        wait_for(lambda: 'takeover: gate: ' in h.last_diagnostics().get('message', ''), 10,
                 'the takeover in /diagnostics', h.proc)
        assert 'takeover (gate: ' in h.proc.output()
        wait_for(lambda: True in teleop.flags(), 10, 'intervention flag true', h.proc)
        wait_for(lambda: len(h.robot.received()[-1].points) == 1, 10, 'the takeover hold',
                 h.proc)  # the last output: nothing of the policy's follows it
        received = h.robot.received()
        hold = len(received) - 1
        assert np.allclose(received[hold].points[0].positions, h.robot.position)
        time.sleep(1.0)
        assert all(len(m.points) == 1 for m in h.robot.received()[hold:]), \
            'no policy plan during the takeover'
        before = len(h.robot.received())
        teleop.send([0.3, 0.2, 0.1])  # j3, j2, j1
        wait_for(lambda: forwarded(h, before, [0.1, 0.2, 0.3]), 10, 'the teleop command',
                 h.proc)
        msg = next(m for m in h.robot.received()[before:] if len(m.points) == 1)
        assert list(msg.joint_names) == list(JOINTS)
        before = len(h.robot.received())
        teleop.send([0.6, 0.5, 0.4], age_s=10.0)
        wait_for(lambda: counter(h, 'stale_teleop') >= 1, 10, 'the stale command counted',
                 h.proc)
        assert not forwarded(h, before, [0.4, 0.5, 0.6]), 'a stale command is dropped'
        assert set_parameter(h, 'safety.gate', 'warn').successful
        reply = teleop.release()
        assert reply.success and 'the policy plans again' in reply.message, reply.message
        wait_for(lambda: teleop.active() is False, 10, 'takeover false', h.proc)
        before = len(h.robot.received())
        wait_for(lambda: any(len(m.points) == 4 for m in h.robot.received()[before:]), 30,
                 'policy plans after the release', h.proc)
        wait_for(lambda: teleop.flags()[-3:] == [False] * 3, 10, 'intervention flag false',
                 h.proc)
        before = len(h.robot.received())
        teleop.send([0.9, 0.8, 0.7])
        time.sleep(1.0)
        assert not forwarded(h, before, [0.7, 0.8, 0.9]), 'no teleop without a takeover'
        assert 'takeover (gate: ' in h.proc.output() and 'ended after' in h.proc.output()
    finally:
        assert h.close() == 0


def test_an_operator_takes_over_under_the_output_rules_and_hands_back(checkpoint, tmp_path):
    """~/request_takeover (refused while disarmed): a command sent before the takeover is
    never replayed, one stamped before it began is dropped, joint limits and max_step hold
    for forwarded commands, a command missing a joint is refused; release: policy plans."""
    h = Harness(checkpoint, tmp_path, 'takeover.max_teleop_age_s:=5.0',
                'safety.joint_lower:=[-0.5, -0.5, -0.5]', 'safety.joint_upper:=[0.5, 0.5, 0.5]',
                'safety.max_step_rad:=0.25')
    teleop = Teleop(h)
    try:
        h.wait_running()
        assert teleop.active() is False, 'latched false at start-up'
        refused = teleop.request()
        assert not refused.success and 'disarmed' in refused.message, refused.message
        h.arm()
        wait_for(lambda: any(len(m.points) == 4 for m in h.robot.received()), 30, 'plans',
                 h.proc)
        teleop.send([0.1, 0.1, 0.1])  # before the takeover: never forwarded
        time.sleep(0.5)
        began = h.test.node.get_clock().now()
        reply = teleop.request()
        assert reply.success and 'operator' in reply.message, reply.message
        assert teleop.request().success, 'asking again is harmless'
        wait_for(lambda: teleop.active() is True, 10, 'takeover true', h.proc)
        before = len(h.robot.received())
        age = (h.test.node.get_clock().now() - began).nanoseconds * 1e-9 + 0.5
        teleop.send([0.2, 0.2, 0.2], age_s=age)  # stamped before the takeover began
        wait_for(lambda: counter(h, 'stale_teleop') >= 1, 10, 'the early stamp dropped',
                 h.proc)
        teleop.send([0.0, 0.0], names=JOINTS[:2])
        wait_for(lambda: counter(h, 'refused_teleop') >= 1, 10, 'a joint missing', h.proc)
        assert 'teleop joint_names=' in h.proc.output()
        teleop.send([9.0, -9.0, 0.05])  # j3, j2, j1: beyond the limits and max_step
        measured = h.robot.position  # [0.1, -0.2, 0.3]
        expected = measured + np.clip(np.clip([0.05, -9.0, 9.0], -0.5, 0.5) - measured,
                                      -0.25, 0.25)
        wait_for(lambda: forwarded(h, before, expected), 10, 'the clamped command', h.proc)
        assert not forwarded(h, before, [0.1, 0.1, 0.1]), 'the early command never replayed'
        assert not forwarded(h, before, [0.2, 0.2, 0.2])
        reply = teleop.release()
        assert reply.success, reply.message
        wait_for(lambda: teleop.active() is False, 10, 'takeover false', h.proc)
        assert teleop.release().message == 'no takeover is active', 'repeat-safe'
        before = len(h.robot.received())
        wait_for(lambda: any(len(m.points) == 4 for m in h.robot.received()[before:]), 30,
                 'policy plans after the release', h.proc)
        assert int(h.last_diagnostics().get('count.teleop_commands', 0)) == 1
    finally:
        assert h.close() == 0
