# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Synthetic rosbag2 recordings (for tests, benchmarks and trying the pipeline without a
robot), written the way a recorder does: serialized CDR bytes per message."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
from rosbags.rosbag2 import CompressionFormat, CompressionMode, StoragePlugin, Writer
from rosbags.typesys import Stores, get_typestore

TYPESTORE = get_typestore(Stores.ROS2_HUMBLE)
TYPES = TYPESTORE.types
STORAGE = {'mcap': StoragePlugin.MCAP, 'sqlite3': StoragePlugin.SQLITE3}


def header(t_ns: int):
    stamp = TYPES['builtin_interfaces/msg/Time'](sec=t_ns // 10**9, nanosec=t_ns % 10**9)
    return TYPES['std_msgs/msg/Header'](stamp=stamp, frame_id='')


def image(t_ns: int, pixels: np.ndarray, encoding: str = 'rgb8', pad: int = 0):
    """sensor_msgs/Image of (H, W, C) uint8 ``pixels``, rows padded by ``pad`` bytes."""
    h, w = pixels.shape[:2]
    rows = pixels.reshape(h, -1)
    step = rows.shape[1] + pad
    data = np.zeros((h, step), np.uint8)
    data[:, :rows.shape[1]] = rows
    return TYPES['sensor_msgs/msg/Image'](header=header(t_ns), height=h, width=w,
                                          encoding=encoding, is_bigendian=0, step=step,
                                          data=data.reshape(-1))


def compressed_image(t_ns: int, pixels: np.ndarray, fmt: str = 'png', quality: int = 90):
    """sensor_msgs/CompressedImage of (H, W, 3) uint8 RGB ``pixels``, as image_transport's
    compressed plugin publishes it: ``fmt`` 'png' (lossless) or 'jpeg' (``quality`` 1-95)."""
    import io

    from PIL import Image as PILImage

    buffer = io.BytesIO()
    PILImage.fromarray(pixels).save(buffer, format=fmt.upper(), quality=quality)
    return TYPES['sensor_msgs/msg/CompressedImage'](
        header=header(t_ns), format=f'rgb8; {fmt} compressed rgb8',
        data=np.frombuffer(buffer.getvalue(), np.uint8))


def joint_state(t_ns: int, names, positions):
    return TYPES['sensor_msgs/msg/JointState'](
        header=header(t_ns), name=list(names), position=np.asarray(positions, np.float64),
        velocity=np.zeros(0), effort=np.zeros(0))


def write_bag(path: Path, messages: Iterable[tuple[str, int, object]],
              storage: str = 'mcap', version: int = 9, compression: str = 'none') -> Path:
    """Write (topic, receive time [ns], message) tuples, in time order; returns ``path``.

    ``version`` is the rosbag2 metadata version (8: Jazzy, 9: Kilted); ``compression``
    'none', 'file' or 'message' (zstd, as ``ros2 bag record --compression-mode``)."""
    writer = Writer(path, version=version, storage_plugin=STORAGE[storage])
    if compression != 'none':
        writer.set_compression(CompressionMode[compression.upper()], CompressionFormat.ZSTD)
    with writer:
        connections = {}
        for topic, t_ns, msg in sorted(messages, key=lambda m: m[1]):
            if topic not in connections:
                connections[topic] = writer.add_connection(topic, msg.__msgtype__,
                                                           typestore=TYPESTORE)
            raw = TYPESTORE.serialize_cdr(msg, msg.__msgtype__)
            writer.write(connections[topic], t_ns, bytes(raw))
    return path


def moving_robot(seconds: float, camera_hz: float, joint_hz: float, joints: tuple[str, ...],
                 image_shape: tuple[int, int], start_ns: int = 10**18, phase: float = 0.0):
    """(topic, time, message) of a camera whose brightness is the frame index and joints on
    sines (published in reverse name order: readers must reorder by name)."""
    messages = []
    for k in range(int(seconds * camera_hz)):
        t = start_ns + int(k * 1e9 / camera_hz)
        messages.append(('/image', t, image(t, np.full((*image_shape, 3), k % 256, np.uint8))))
    for k in range(int(seconds * joint_hz)):
        t = start_ns + int(k * 1e9 / joint_hz) + 1000
        s = k / joint_hz
        values = [np.sin(s + phase + i) for i in range(len(joints))]
        messages.append(('/joint_states', t, joint_state(t, joints[::-1], values[::-1])))
    return messages


def marker(text: str):
    """std_msgs/String, as an episode marker (``data.episode_split: topic``)."""
    return TYPES['std_msgs/msg/String'](data=text)


def arm_pose(seconds: float, num_joints: int, phase: float) -> np.ndarray:
    """(D,) joint positions [rad] of a synthetic arm ``seconds`` into a demonstration."""
    return np.array([0.5 * np.sin(0.8 * seconds + phase + 0.7 * i) for i in range(num_joints)])


def camera_view(pose: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """(H, W, 3) uint8 picture of ``pose``: a bright square whose place follows the first
    two joints, on a gray background (so the image carries the state, as a camera would)."""
    height, width = shape
    pixels = np.full((height, width, 3), 60, np.uint8)
    side = max(2, min(height, width) // 4)
    x = int((0.5 + 0.4 * np.tanh(pose[0])) * (width - side))
    y = int((0.5 + 0.4 * np.tanh(pose[min(1, len(pose) - 1)])) * (height - side))
    pixels[y:y + side, x:x + side] = (230, 200, 40)
    return pixels


def robot_demo(joints: tuple[str, ...], camera_topics: tuple[str, ...], joint_topic: str,
               seconds: float, start_ns: int, phase: float = 0.0, action_topic: str = '',
               image_shape: tuple[int, int] = (48, 64), camera_hz: float = 15.0,
               joint_hz: float = 50.0):
    """(topic, receive time [ns], message) of one demonstration shaped like a robot's
    recording: JointState on ``joint_topic`` at ``joint_hz``, each camera at ``camera_hz``
    (sensor_msgs/CompressedImage as jpeg for a topic ending in /compressed, else rgb8
    sensor_msgs/Image), and, with ``action_topic``, the commanded positions 0.1 s ahead
    (a leader arm's JointState)."""
    messages = []
    for k in range(int(seconds * joint_hz)):
        s = k / joint_hz
        t = start_ns + int(s * 1e9)
        messages.append((joint_topic, t, joint_state(t, joints, arm_pose(s, len(joints),
                                                                         phase))))
        if action_topic:
            ahead = arm_pose(s + 0.1, len(joints), phase)
            messages.append((action_topic, t + 500, joint_state(t + 500, joints, ahead)))
    for k in range(int(seconds * camera_hz)):
        s = k / camera_hz
        t = start_ns + int(s * 1e9) + 2000
        pixels = camera_view(arm_pose(s, len(joints), phase), image_shape)
        for topic in camera_topics:
            msg = (compressed_image(t, pixels, 'jpeg') if topic.endswith('/compressed')
                   else image(t, pixels))
            messages.append((topic, t, msg))
    return messages
