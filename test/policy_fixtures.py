# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""A tiny trained checkpoint and a camera + joint-state publisher for policy node tests."""

from __future__ import annotations

from dataclasses import replace
from functools import partial
import io
from pathlib import Path
import threading

from conftest import sine_episode, small_config
import numpy as np
from PIL import Image as PILImage
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import CompressedImage, Image, JointState
from trajectory_msgs.msg import JointTrajectory

from nf_policy_ros.core.training import run_training
from nf_policy_ros.data.windows import WindowDataset

JOINTS = ('j1', 'j2', 'j3')
FPS = 10.0


def make_checkpoint(out: Path, obs_horizon: int = 1) -> Path:
    """A calibrated one-camera checkpoint (32x32 images) trained for a few steps, conditioned
    on ``obs_horizon`` observations one chunk point apart."""
    config = small_config(num_cameras=1, steps=(30,), image_size=32)
    config = replace(config, encoder=replace(config.encoder, obs_horizon=obs_horizon))
    data = WindowDataset([sine_episode(num_cameras=1), sine_episode(num_cameras=1, phase=1)],
                         config.actions, obs_horizon)
    result = run_training(config, data, data, out, {'joint_names': list(JOINTS), 'fps': FPS},
                          progress=False)
    return result.policy_path


class FakeRobot:
    """Publishes a 48x64 camera at ~30 Hz and joint states at ~100 Hz from the test node
    (``timers=False``: only when the test calls ``publish_image``/``publish_joints``).
    ``image_topic`` ending in /compressed: the camera is a PNG sensor_msgs/CompressedImage.

    ``image_mode``: 'ok' | 'off' | 'bad_encoding' (Image) | 'garbage' (CompressedImage data);
    ``joint_mode``: 'ok' | 'nan' | 'missing'. ``joint_names``: the robot's names of the
    checkpoint's joints; ``extra_joints``: more joints (name -> position) in each JointState.
    Trajectories are recorded per topic of ``trajectory_topics``.
    """

    def __init__(self, node, timers: bool = True, image_topic: str = 'image',
                 joint_names: tuple[str, ...] = JOINTS,
                 extra_joints: dict[str, float] | None = None,
                 trajectory_topics: tuple[str, ...] = ('joint_trajectory',)) -> None:
        self.node = node
        self.joint_names = tuple(joint_names)
        self.extra_joints = dict(extra_joints or {})
        self.image_mode = 'ok'
        self.joint_mode = 'ok'
        self.position = np.array([0.1, -0.2, 0.3])
        self.now = lambda: node.get_clock().now().to_msg()  # header stamps
        self.compressed = image_topic.endswith('/compressed')
        self.image_pub = node.create_publisher(CompressedImage if self.compressed else Image,
                                               image_topic, qos_profile_sensor_data)
        self.joint_pub = node.create_publisher(JointState, 'joint_states',
                                               qos_profile_sensor_data)
        self.trajectories: dict[str, list[JointTrajectory]] = {t: [] for t in trajectory_topics}
        self.lock = threading.Lock()
        for topic in trajectory_topics:
            node.create_subscription(JointTrajectory, topic, partial(self._on_trajectory, topic),
                                     10)
        if timers:
            node.create_timer(1 / 30, self.publish_image)
            node.create_timer(1 / 100, self.publish_joints)

    def _on_trajectory(self, topic: str, msg: JointTrajectory) -> None:
        with self.lock:
            self.trajectories[topic].append(msg)

    def received(self, topic: str = 'joint_trajectory') -> list[JointTrajectory]:
        with self.lock:
            return list(self.trajectories[topic])

    def publish_image(self) -> None:
        if self.image_mode == 'off':
            return
        pixels = np.full((48, 64, 3), 90, np.uint8)
        if self.compressed:
            msg = CompressedImage(format='png')
            buffer = io.BytesIO()
            PILImage.fromarray(pixels).save(buffer, format='PNG')
            msg.data = b'garbage' if self.image_mode == 'garbage' else buffer.getvalue()
        else:
            msg = Image(height=48, width=64, encoding='rgb8', step=64 * 3)
            msg.data = pixels.tobytes()
            if self.image_mode == 'bad_encoding':
                msg.encoding = 'yuv422'
        msg.header.stamp = self.now()
        self.image_pub.publish(msg)

    def publish_joints(self) -> None:
        names, position = list(self.joint_names), self.position.tolist()
        if self.joint_mode == 'nan':
            position[1] = float('nan')
        elif self.joint_mode == 'missing':
            names, position = names[:2], position[:2]
        names += list(self.extra_joints)
        position += list(self.extra_joints.values())
        msg = JointState(name=names[::-1], position=position[::-1])
        msg.header.stamp = self.now()
        self.joint_pub.publish(msg)


def assert_valid_trajectory(msg: JointTrajectory, horizon: int | None) -> None:
    """What joint_trajectory_controller accepts: names, finite values, increasing times."""
    assert list(msg.joint_names) == list(JOINTS)
    assert msg.points, 'a trajectory needs points'
    if horizon is not None:
        assert len(msg.points) == horizon
    times = [p.time_from_start.sec + p.time_from_start.nanosec * 1e-9 for p in msg.points]
    assert times[0] > 0 and all(b > a for a, b in zip(times, times[1:])), times
    for point in msg.points:
        assert len(point.positions) == len(JOINTS) and np.isfinite(point.positions).all()
        assert len(point.velocities) == len(JOINTS) and np.isfinite(point.velocities).all()
    assert list(msg.points[-1].velocities) == [0.0] * len(JOINTS)
