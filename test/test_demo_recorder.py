# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""demo_recorder as a real process on real DDS: subscriptions take the publishers' QoS, the
stop reply counts messages per topic, and an episode with an empty topic is refused."""

from __future__ import annotations

import json
from pathlib import Path
import time

import numpy as np
import pytest
from rclpy.qos import qos_profile_sensor_data
from ros_helpers import NodeProcess, RosTestNode, call_service
from sensor_msgs.msg import Image, JointState
from std_srvs.srv import SetBool, Trigger

from nf_policy_ros.data.bag import open_reader

IMAGE, JOINTS = '/rec/image', '/rec/joint_states'


class Rig:
    """A best-effort camera (as camera drivers publish) and reliable joint states at 50 Hz
    from a test node, and the recorder process writing into ``<tmp>/bags``."""

    def __init__(self, tmp_path: Path) -> None:
        self.bags = tmp_path / 'bags'
        self.test = RosTestNode('recorder_test')
        node = self.test.node
        self.image_on = True
        self.image_pub = node.create_publisher(Image, IMAGE, qos_profile_sensor_data)
        self.joint_pub = node.create_publisher(JointState, JOINTS, 10)
        node.create_timer(0.02, self._publish)
        self.proc = NodeProcess('demo_recorder', [
            '-p', f'output_dir:={self.bags}', '-p', f'topics:=[{IMAGE}, {JOINTS}]'], tmp_path)

    def _publish(self) -> None:
        if self.image_on:
            msg = Image(height=4, width=4, encoding='rgb8', step=12)
            msg.data = np.zeros(48, np.uint8).tobytes()
            self.image_pub.publish(msg)
        self.joint_pub.publish(JointState(name=['j1'], position=[0.0]))

    def call(self, srv_type, name: str, request=None):
        return call_service(self.test.node, srv_type, f'/demo_recorder/{name}', request,
                            self.proc, repeat_safe=name not in ('start', 'stop'))

    def episode(self, seconds: float = 1.0):
        """~/start, record ``seconds``, ~/stop (success); the stop reply."""
        started = self.call(Trigger, 'start')
        assert started.success, started.message
        time.sleep(seconds)
        return self.call(SetBool, 'stop', SetBool.Request(data=True))

    def close(self) -> int:
        try:
            return self.proc.stop()
        finally:
            self.test.close()


@pytest.fixture
def rig(tmp_path):
    rig = Rig(tmp_path)
    yield rig
    assert rig.close() == 0, rig.proc.output()


def test_a_best_effort_camera_is_recorded_and_counted_per_topic(rig):
    stopped = rig.episode(1.0)
    assert stopped.success, stopped.message
    reply = json.loads(stopped.message)
    counts = reply['counts']
    assert set(counts) == {IMAGE, JOINTS}
    assert counts[IMAGE] >= 20 and counts[JOINTS] >= 20, counts  # 50 Hz for 1 s
    assert f'{IMAGE} (sensor_msgs/msg/Image): best_effort' in rig.proc.output()
    assert f'{JOINTS} (sensor_msgs/msg/JointState): reliable' in rig.proc.output()
    reader = open_reader(Path(reply['path']))
    try:
        written = {c.topic: c.msgcount for c in reader.connections}
    finally:
        reader.close()
    assert written == counts


def test_an_episode_with_an_empty_topic_is_refused_and_nothing_is_written(rig):
    rig.image_on = False  # the camera is up (discovered) but sends nothing
    stopped = rig.episode(0.5)
    assert not stopped.success
    assert '\n' not in stopped.message
    assert f"0 messages on required topic(s) ['{IMAGE}']" in stopped.message, stopped.message
    assert 'nothing saved' in stopped.message
    assert list(rig.bags.iterdir()) == [], 'no bag left behind'
    rig.image_on = True  # the recorder carries on with the next episode
    assert rig.episode(0.5).success
    assert len(list(rig.bags.iterdir())) == 1
