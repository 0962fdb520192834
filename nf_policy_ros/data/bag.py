# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Read the configured topics of a rosbag2 directory into time-stamped arrays.

The only module importing rosbags. Reads sqlite3 and MCAP bags of any metadata version that
``ros2 bag record`` writes (Humble..Kilted), and compressed bags where rosbags supports them.
Times are the bag's receive (log) times in ns: one clock for every topic, whatever the
publishers' header stamps say.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from rosbags.highlevel import AnyReader
from rosbags.typesys import Stores, get_typestore

from nf_policy_ros.config import DataConfig
from nf_policy_ros.data.convert import (
    ConversionError,
    camera_frame,
    joint_positions,
    trajectory_first_point,
)

IMAGE_TYPES = ('sensor_msgs/msg/Image', 'sensor_msgs/msg/CompressedImage')
JOINT_TYPES = ('sensor_msgs/msg/JointState', 'trajectory_msgs/msg/JointTrajectory')


class BagError(ValueError):
    """A bag cannot be used; the message names the bag, the topic and the field."""


@dataclass
class Stream:
    """One topic: receive times (N,) [ns] and values (N, ...)."""

    topic: str
    stamps_ns: np.ndarray
    values: np.ndarray


@dataclass
class BagStreams:
    """Everything a bag contributes, plus counts of messages skipped and why."""

    path: Path
    cameras: list[Stream]
    joints: Stream
    action: Stream | None
    markers: np.ndarray
    skipped: dict[str, int] = field(default_factory=dict)


def _typestore():
    return get_typestore(Stores.ROS2_HUMBLE)


OUTCOME_KEY = 'nf_policy_ros.outcome'


def bag_outcome(path: str | Path) -> str | None:
    """The outcome label demo_recorder stored with the bag (success | failure), or None."""
    import yaml

    metadata = Path(path) / 'metadata.yaml'
    if not metadata.is_file():
        return None
    info = yaml.safe_load(metadata.read_text()).get('rosbag2_bagfile_information', {})
    return (info.get('custom_data') or {}).get(OUTCOME_KEY)


def open_reader(path: Path) -> AnyReader:
    """An opened AnyReader; clear errors for a missing directory or metadata."""
    if not path.is_dir():
        raise BagError(f'bag {str(path)!r}: not a directory; expected a rosbag2 directory')
    if not (path / 'metadata.yaml').exists():
        raise BagError(f'bag {str(path)!r}: metadata.yaml is missing; expected a rosbag2 '
                       'directory as written by ros2 bag record (sqlite3 or mcap)')
    reader = AnyReader([path], default_typestore=_typestore())
    try:
        reader.open()
    except Exception as exc:  # rosbags raises several types for broken bags
        raise BagError(f'bag {str(path)!r}: cannot be opened ({type(exc).__name__}: {exc})'
                       ) from exc
    return reader


def _connection(reader: AnyReader, path: Path, topic: str, types: tuple[str, ...]):
    found = [c for c in reader.connections if c.topic == topic]
    if not found:
        have = sorted({c.topic for c in reader.connections})
        raise BagError(f'bag {str(path)!r}: topic {topic!r} not found; the bag has {have}')
    if found[0].msgtype not in types:
        raise BagError(f'bag {str(path)!r}, topic {topic!r}: type {found[0].msgtype} is not '
                       f'supported; expected one of {list(types)}')
    return found


def _messages(reader: AnyReader, path: Path, connections):
    """(index, receive time [ns], message) for the connections, with read errors named."""
    topic = connections[0].topic
    try:
        for i, (conn, stamp, raw) in enumerate(reader.messages(connections=connections)):
            yield i, stamp, reader.deserialize(raw, conn.msgtype)
    except BagError:
        raise
    except Exception as exc:
        raise BagError(f'bag {str(path)!r}, topic {topic!r}: reading failed '
                       f'({type(exc).__name__}: {exc}); the storage file may be truncated '
                       'or corrupt') from exc


def read_camera(reader: AnyReader, path: Path, topic: str,
                size: tuple[int, int]) -> Stream:
    """Frames (N, 3, H, W) uint8 resized to ``size``; the source size must not change."""
    conns = _connection(reader, path, topic, IMAGE_TYPES)
    stamps, frames, source = [], [], None
    for i, stamp, msg in _messages(reader, path, conns):
        shape = (int(getattr(msg, 'height', 0)), int(getattr(msg, 'width', 0)))
        if source is not None and shape != source:
            raise BagError(f'bag {str(path)!r}, topic {topic!r}, message {i}: height x width '
                           f'changed from {source} to {shape}; expected a fixed image size')
        source = shape
        try:
            frames.append(camera_frame(msg, size))
        except ConversionError as exc:
            raise BagError(f'bag {str(path)!r}, topic {topic!r}, message {i}: {exc}') from exc
        stamps.append(stamp)
    return Stream(topic, np.asarray(stamps, np.int64),
                  np.stack(frames) if frames else np.zeros((0, 3, *size), np.uint8))


def read_joints(reader: AnyReader, path: Path, topic: str, joint_names: tuple[str, ...],
                skipped: dict[str, int]) -> Stream:
    """Positions (N, D) in ``joint_names`` order. Messages with NaN are skipped and counted;
    missing joints are an error."""
    conns = _connection(reader, path, topic, JOINT_TYPES)
    convert = (trajectory_first_point if conns[0].msgtype.endswith('JointTrajectory')
               else joint_positions)
    stamps, values = [], []
    for i, stamp, msg in _messages(reader, path, conns):
        try:
            values.append(convert(msg, joint_names))
        except ConversionError as exc:
            if 'not finite' in str(exc):
                skipped[f'{topic}: non-finite position'] = skipped.get(
                    f'{topic}: non-finite position', 0) + 1
                continue
            raise BagError(f'bag {str(path)!r}, topic {topic!r}, message {i}: {exc}') from exc
        stamps.append(stamp)
    return Stream(topic, np.asarray(stamps, np.int64),
                  np.asarray(values, np.float32).reshape(len(values), len(joint_names)))


def read_markers(reader: AnyReader, path: Path, topic: str) -> np.ndarray:
    """Receive times (M,) [ns] of the episode marker topic."""
    conns = _connection(reader, path, topic, ('std_msgs/msg/String', 'std_msgs/msg/Empty'))
    return np.asarray([stamp for _, stamp, _ in _messages(reader, path, conns)], np.int64)


def read_bag(path: str | Path, config: DataConfig, image_size: tuple[int, int]) -> BagStreams:
    """All streams ``config`` asks for from one bag directory."""
    path = Path(path)
    if not config.joint_names:
        raise BagError('data.joint_names is empty: expected the joints of state and action')
    reader = open_reader(path)
    skipped: dict[str, int] = {}
    try:
        cameras = [read_camera(reader, path, t, image_size) for t in config.camera_topics]
        joints = read_joints(reader, path, config.joint_state_topic, config.joint_names,
                             skipped)
        action = (read_joints(reader, path, config.action_topic, config.joint_names, skipped)
                  if config.action_topic else None)
        markers = (read_markers(reader, path, config.episode_topic)
                   if config.episode_split == 'topic' else np.zeros(0, np.int64))
    finally:
        reader.close()
    return BagStreams(path, cameras, joints, action, markers, skipped)
