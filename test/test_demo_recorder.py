# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""demo_recorder as a real process on real DDS: subscriptions take the publishers' QoS, the
stop reply counts messages per topic, an episode with an empty topic is refused, a type
rosbags lacks (a service's _Event) is recorded from its installed definition or refused in
one line, and an unusable output_dir is refused in one line (the recorder records on)."""

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
EVENTS = '/rec/calibrate/_service_event'  # a service introspection topic
EVENT_TYPE = 'std_srvs/srv/Trigger_Event'  # not in rosbags' type store


class Rig:
    """A best-effort camera (as camera drivers publish) and reliable joint states at 50 Hz
    from a test node, and the recorder process writing into ``<tmp>/bags``."""

    def __init__(self, tmp_path: Path, bags: Path | None = None, events: bool = False,
                 env: dict[str, str] | None = None) -> None:
        self.bags = bags or tmp_path / 'bags'
        self.test = RosTestNode('recorder_test')
        node = self.test.node
        self.image_on = True
        self.image_pub = node.create_publisher(Image, IMAGE, qos_profile_sensor_data)
        self.joint_pub = node.create_publisher(JointState, JOINTS, 10)
        self.event_pub = node.create_publisher(Trigger.Event, EVENTS, 10) if events else None
        node.create_timer(0.02, self._publish)
        topics = [IMAGE, JOINTS, *([EVENTS] if events else [])]
        self.proc = NodeProcess('demo_recorder', [
            '-p', f'output_dir:={self.bags}', '-p', f'topics:=[{", ".join(topics)}]',
            '-p', 'discovery_timeout_s:=10.0'], tmp_path, env=env)

    def _publish(self) -> None:
        if self.image_on:
            msg = Image(height=4, width=4, encoding='rgb8', step=12)
            msg.data = np.zeros(48, np.uint8).tobytes()
            self.image_pub.publish(msg)
        self.joint_pub.publish(JointState(name=['j1'], position=[0.0]))
        if self.event_pub is not None:
            event = Trigger.Event()
            event.info.event_type = event.info.RESPONSE_SENT
            event.info.sequence_number = 7
            event.response = [Trigger.Response(success=True, message='calibrated')]
            self.event_pub.publish(event)

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


def read_messages(path: Path, topic: str) -> list:
    """The messages of ``topic`` in the bag, deserialized with the bag's own definitions."""
    from rosbags.highlevel import AnyReader

    with AnyReader([path]) as reader:
        connections = [c for c in reader.connections if c.topic == topic]
        return [reader.deserialize(raw, c.msgtype)
                for c, _, raw in reader.messages(connections=connections)]


def test_a_service_event_topic_is_recorded_with_its_installed_definition(tmp_path):
    """Finding 6: a type outside rosbags' store used to kill the recorder (TypesysError) and
    leave a bag without metadata.yaml; its definition is read from the installed .idl."""
    import json

    from ament_index_python.packages import get_package_share_directory

    rig = Rig(tmp_path, events=True)
    try:
        stopped = rig.episode(1.0)
        assert stopped.success, stopped.message
        reply = json.loads(stopped.message)
        assert reply['counts'][EVENTS] >= 20, reply
        path = Path(reply['path'])
        assert (path / 'metadata.yaml').is_file()
        events = read_messages(path, EVENTS)
        assert len(events) == reply['counts'][EVENTS]
        assert events[0].info.sequence_number == 7
        assert [r.message for r in events[0].response] == ['calibrated'] and not events[0].request
        reader = open_reader(path)
        try:
            (connection,) = [c for c in reader.connections if c.topic == EVENTS]
        finally:
            reader.close()
        assert connection.msgtype == EVENT_TYPE
        hashes = json.loads((Path(get_package_share_directory('std_srvs')) / 'srv' /
                             'Trigger.json').read_text())['type_hashes']
        assert connection.digest == next(h['hash_string'] for h in hashes
                                         if h['type_name'] == EVENT_TYPE), 'the ROS type hash'
        assert rig.proc.alive()
    finally:
        assert rig.close() == 0, rig.proc.output()


def test_a_type_without_an_installed_definition_is_refused_in_one_line(tmp_path):
    """Finding 6: with std_srvs' share directory out of the ament index, the _Event type has
    no definition here: ~/start says so in one line, writes nothing, and the recorder lives."""
    from ros_helpers import INSTALL

    rig = Rig(tmp_path, events=True, env={'AMENT_PREFIX_PATH': str(INSTALL)})
    try:
        started = rig.call(Trigger, 'start')
        assert not started.success
        assert started.message.splitlines() == [started.message], started.message
        assert started.message == (
            f'cannot record {EVENTS}: {EVENT_TYPE}: package std_srvs is not installed (not in '
            'the ament index, AMENT_PREFIX_PATH): nothing recorded'), started.message
        assert not rig.bags.exists() or list(rig.bags.iterdir()) == []
        assert not rig.call(SetBool, 'stop', SetBool.Request(data=True)).success
        assert rig.proc.alive()
    finally:
        assert rig.close() == 0, rig.proc.output()


def test_an_output_dir_under_a_file_is_refused_in_one_line_and_the_recorder_lives(tmp_path):
    """Finding 5: a file in place of output_dir's parent used to raise NotADirectoryError
    in the ~/start callback (no answer, no recorder)."""
    (tmp_path / 'a_file').write_text('')
    rig = Rig(tmp_path, bags=tmp_path / 'a_file' / 'bags')
    try:
        for _ in range(2):  # answered every time, the node up
            started = rig.call(Trigger, 'start')
            assert not started.success
            assert started.message == (
                f"cannot open an episode: output_dir '{tmp_path}/a_file/bags': "
                f"'{tmp_path}/a_file' is a file: expected a directory there: nothing "
                'recorded'), started.message
        assert rig.proc.alive()
        assert rig.call(SetBool, 'stop', SetBool.Request(data=True)).message == 'not recording'
        assert (tmp_path / 'a_file').read_text() == ''
    finally:
        assert rig.close() == 0, rig.proc.output()
