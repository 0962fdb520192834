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
