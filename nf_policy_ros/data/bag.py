# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Read the configured topics of a rosbag2 directory into time-stamped arrays.

The only module importing rosbags. Reads sqlite3 and MCAP bags of any metadata version that
``ros2 bag record`` writes (Humble..Kilted), and compressed bags where rosbags supports them.
Times are the bag's receive (log) times in ns: one clock for every topic, whatever the
publishers' header stamps say. Only the configured topics' message types are parsed: other
channels (e.g. ``/<service>/_service_event`` of ``<pkg>/srv/<Name>_Event`` types rosbags
may not know) are listed but never read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from rosbags.interfaces import MessageDefinitionFormat
from rosbags.rosbag2 import Reader
from rosbags.typesys import Stores, get_types_from_idl, get_types_from_msg, get_typestore

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
    intervention: Stream | None = None


def _typestore():
    return get_typestore(Stores.ROS2_HUMBLE)


IDL_SEPARATOR = '=' * 80 + '\n'


def _embedded_types(connection) -> dict:
    """The field definitions a connection carries (ros2msg or IDL text); {} if none."""
    msgdef = connection.msgdef
    if msgdef.format == MessageDefinitionFormat.MSG:
        return get_types_from_msg(msgdef.data, connection.msgtype)
    if msgdef.format != MessageDefinitionFormat.IDL:
        return {}
    types: dict = {}
    for section in msgdef.data.split(IDL_SEPARATOR):
        if section.startswith('IDL: '):
            section = section.split('\n', 1)[1]
        if section.strip():
            types.update(get_types_from_idl(section))
    return types


class BagReader:
    """A rosbag2 directory whose message types are registered per used connection (its
    embedded definition, else the ROS 2 Humble defaults), so unused channels whose types
    cannot be parsed do not stop the bag."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._reader = Reader(path)
        self._reader.open()
        self.typestore = get_typestore(Stores.EMPTY)

    @property
    def connections(self) -> list:
        return self._reader.connections

    def use(self, connections: list) -> None:
        """Register the types of ``connections``; refuse a definition that cannot be parsed
        or whose hash differs from the one the bag recorded."""
        topic = connections[0].topic
        try:
            for conn in connections:
                self._register(conn)
        except Exception as exc:  # rosbags raises several types for bad definitions
            raise BagError(f'bag {str(self.path)!r}, topic {topic!r}: message definition of '
                           f'{connections[0].msgtype} cannot be used ({type(exc).__name__}: '
                           f'{exc}); expected a valid ros2msg or IDL definition') from exc

    def _register(self, conn) -> None:
        known = self.typestore.fielddefs
        types = _embedded_types(conn)
        if not types:
            types = {k: v for k, v in _typestore().fielddefs.items() if k not in known}
        self.typestore.register({k: v for k, v in types.items() if k not in known})
        embedded = conn.msgdef.format != MessageDefinitionFormat.NONE
        if embedded and (conn.digest or '').startswith('RIHS01_'):
            have = self.typestore.hash_rihs01(conn.msgtype)
            if have != conn.digest:
                raise ValueError(f'type hash {have} != {conn.digest} recorded in the bag')

    def messages(self, connections: list | None = None):
        """(connection, log time [ns], raw CDR) of ``connections`` (default: every channel;
        only the registered ones can be deserialized)."""
        return self._reader.messages(connections=connections or self._reader.connections)

    def deserialize(self, raw: bytes, msgtype: str):
        return self.typestore.deserialize_cdr(raw, msgtype)

    def close(self) -> None:
        self._reader.close()


OUTCOME_KEY = 'nf_policy_ros.outcome'


def yaml_problem(exc: Exception) -> str:
    """A YAML/OS error in one line: 'line L, column C: what' where YAML knows it."""
    mark, problem = getattr(exc, 'problem_mark', None), getattr(exc, 'problem', None)
    if mark is not None and problem:
        return f'line {mark.line + 1}, column {mark.column + 1}: {problem}'
    return ' '.join(str(exc).split())


def read_metadata(path: str | Path) -> dict:
    """The ``rosbag2_bagfile_information`` mapping of a bag's metadata.yaml; an unreadable,
    empty or foreign file is a BagError naming the file."""
    import yaml

    metadata = Path(path) / 'metadata.yaml'
    expected = 'expected the rosbag2 metadata written by ros2 bag record'
    try:
        data = yaml.safe_load(metadata.read_text())
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise BagError(f'{str(metadata)!r}: cannot be read as YAML ({yaml_problem(exc)}); '
                       f'{expected}'
                       ) from exc
    info = data.get('rosbag2_bagfile_information') if isinstance(data, dict) else None
    if not isinstance(info, dict):
        found = 'empty' if data is None else f'a {type(data).__name__} without it'
        raise BagError(f'{str(metadata)!r}: rosbag2_bagfile_information mapping missing (file '
                       f'is {found}); {expected}')
    return info


def bag_outcome(path: str | Path) -> str | None:
    """The outcome label demo_recorder stored with the bag (success | failure), or None."""
    if not (Path(path) / 'metadata.yaml').is_file():
        return None
    custom = read_metadata(path).get('custom_data')
    return custom.get(OUTCOME_KEY) if isinstance(custom, dict) else None


def open_reader(path: Path) -> BagReader:
    """An opened BagReader; clear errors for a missing directory or metadata."""
    if not path.is_dir():
        raise BagError(f'bag {str(path)!r}: not a directory; expected a rosbag2 directory')
    if not (path / 'metadata.yaml').exists():
        raise BagError(f'bag {str(path)!r}: metadata.yaml is missing; expected a rosbag2 '
                       'directory as written by ros2 bag record (sqlite3 or mcap)')
    read_metadata(path)
    try:
        reader = BagReader(path)
    except Exception as exc:  # rosbags raises several types for broken bags
        raise BagError(f'bag {str(path)!r}: cannot be opened ({type(exc).__name__}: {exc})'
                       ) from exc
    return reader


def _connection(reader: BagReader, path: Path, topic: str, types: tuple[str, ...]):
    found = [c for c in reader.connections if c.topic == topic]
    if not found:
        have = sorted({c.topic for c in reader.connections})
        raise BagError(f'bag {str(path)!r}: topic {topic!r} not found; the bag has {have}')
    if found[0].msgtype not in types:
        raise BagError(f'bag {str(path)!r}, topic {topic!r}: type {found[0].msgtype} is not '
                       f'supported; expected one of {list(types)}')
    reader.use(found)
    return found


def _messages(reader: BagReader, path: Path, connections):
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


def read_camera(reader: BagReader, path: Path, topic: str,
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


def read_joints(reader: BagReader, path: Path, topic: str, joint_names: tuple[str, ...],
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


def read_markers(reader: BagReader, path: Path, topic: str) -> np.ndarray:
    """Receive times (M,) [ns] of the episode marker topic."""
    conns = _connection(reader, path, topic, ('std_msgs/msg/String', 'std_msgs/msg/Empty'))
    return np.asarray([stamp for _, stamp, _ in _messages(reader, path, conns)], np.int64)


def read_flags(reader: BagReader, path: Path, topic: str) -> Stream:
    """Receive times (N,) [ns] and values (N,) bool of a std_msgs/Bool topic; a bag
    without the topic (no takeover was possible there) gives an empty stream."""
    if not any(c.topic == topic for c in reader.connections):
        return Stream(topic, np.zeros(0, np.int64), np.zeros(0, bool))
    conns = _connection(reader, path, topic, ('std_msgs/msg/Bool',))
    stamps, values = [], []
    for _, stamp, msg in _messages(reader, path, conns):
        stamps.append(stamp)
        values.append(bool(msg.data))
    return Stream(topic, np.asarray(stamps, np.int64), np.asarray(values, bool))


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
        flags = (read_flags(reader, path, config.intervention_topic)
                 if config.intervention_topic else None)
    finally:
        reader.close()
    return BagStreams(path, cameras, joints, action, markers, skipped, flags)
