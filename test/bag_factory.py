# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Write tiny rosbag2 directories the way a recorder does (serialized CDR bytes)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from rosbags.rosbag2 import StoragePlugin, Writer
from rosbags.typesys import Stores, get_typestore

TYPESTORE = get_typestore(Stores.ROS2_HUMBLE)
T = TYPESTORE.types
JOINTS = ('j1', 'j2', 'j3')
STORAGE = {'mcap': StoragePlugin.MCAP, 'sqlite3': StoragePlugin.SQLITE3}


def header(t_ns: int):
    stamp = T['builtin_interfaces/msg/Time'](sec=t_ns // 10**9, nanosec=t_ns % 10**9)
    return T['std_msgs/msg/Header'](stamp=stamp, frame_id='')


def image(t_ns: int, pixels: np.ndarray, encoding: str = 'rgb8', pad: int = 0):
    """sensor_msgs/Image of (H, W, C) uint8 ``pixels``, rows padded by ``pad`` bytes."""
    h, w = pixels.shape[:2]
    rows = pixels.reshape(h, -1)
    step = rows.shape[1] + pad
    data = np.zeros((h, step), np.uint8)
    data[:, :rows.shape[1]] = rows
    return T['sensor_msgs/msg/Image'](header=header(t_ns), height=h, width=w,
                                      encoding=encoding, is_bigendian=0, step=step,
                                      data=data.reshape(-1))


def joint_state(t_ns: int, names, positions):
    return T['sensor_msgs/msg/JointState'](
        header=header(t_ns), name=list(names), position=np.asarray(positions, np.float64),
        velocity=np.zeros(0), effort=np.zeros(0))


def write_bag(path: Path, messages: list[tuple[str, int, object]],
              storage: str = 'mcap') -> Path:
    """Write (topic, receive time [ns], message) tuples; returns the bag directory."""
    with Writer(path, version=9, storage_plugin=STORAGE[storage]) as writer:
        connections = {}
        for topic, t_ns, msg in sorted(messages, key=lambda m: m[1]):
            if topic not in connections:
                connections[topic] = writer.add_connection(topic, msg.__msgtype__,
                                                           typestore=TYPESTORE)
            raw = TYPESTORE.serialize_cdr(msg, msg.__msgtype__)
            writer.write(connections[topic], t_ns, bytes(raw))
    return path


def demo_messages(seconds: float = 3.0, camera_hz: float = 10.0, joint_hz: float = 50.0,
                  start_ns: int = 10**18, size: int = 8, phase: float = 0.0):
    """A camera whose brightness encodes time and joints moving along sines."""
    messages = []
    for k in range(int(seconds * camera_hz)):
        t = start_ns + int(k * 1e9 / camera_hz)
        pixels = np.full((size, size, 3), k % 256, np.uint8)
        messages.append(('/image', t, image(t, pixels)))
    for k in range(int(seconds * joint_hz)):
        t = start_ns + int(k * 1e9 / joint_hz) + 1000
        s = k / joint_hz
        messages.append(('/joint_states', t, joint_state(
            t, JOINTS[::-1], [np.sin(s + phase + i) for i in range(3)][::-1])))
    return messages
