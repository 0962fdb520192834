# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""``demo_recorder`` (node name ``demo_recorder``): one rosbag2 per demonstration episode.

For machines without ``ros2 bag``, and for what ``ros2 bag record`` lacks: episode
boundaries and outcome labels. Messages are written as the serialized bytes the subscription
received (no deserialization), with the message definitions rosbag2 expects, so the bags
open in ``ros2 bag play``/``info`` and in the data layer.

Services:
- ``~/start`` (std_srvs/Trigger): discover the topics' types (waits up to
  ``discovery_timeout_s``), open ``<output_dir>/<prefix>_<NNNN>``; message = the bag path.
  Refused (success false, one line, nothing written, the node records on): a topic not
  published yet, a topic whose type has no definition installed here (message_types.py
  finds those rosbags lacks, e.g. service ``*_Event`` types), an ``output_dir`` that
  cannot be a directory, or a bag that cannot be opened.
- ``~/stop`` (std_srvs/SetBool): close the bag with ``data`` as its outcome label
  (custom_data ``nf_policy_ros.outcome``: success | failure); message = JSON of the path,
  the message count per topic and the outcome. An episode with no message on a topic not in
  ``optional_topics`` is refused: the bag is deleted, success is false, and the message is
  one line naming the empty topics, with the counts.
- ``~/discard`` (std_srvs/Trigger): close and delete the open bag.
The parameter ``episode_label`` (free text, e.g. the task and seed) is stored with each bag.

Each topic is subscribed with the reliability its publishers offer, as rosbag2 does: best
effort if any publisher is best effort (a reliable subscription would match none of those, a
camera driver's usual QoS), reliable otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import importlib
import json
from pathlib import Path
import shutil
import struct
import time

from rcl_interfaces.msg import ParameterDescriptor
from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy
from rclpy.topic_endpoint_info import TopicEndpointInfo
from rosbags.rosbag2 import StoragePlugin, Writer
from std_srvs.srv import SetBool, Trigger

from nf_policy_ros.node_config.sim import RecorderConfig
from nf_policy_ros.nodes.common.params import declare_config, read_config
from nf_policy_ros.nodes.common.spin import spin_node
from nf_policy_ros.nodes.recording.message_types import DefinitionError, MessageTypes
from nf_policy_ros.tools.cli import check_output_dir

NODE_NAME = 'demo_recorder'
OUTCOME_KEY = 'nf_policy_ros.outcome'
LABEL_KEY = 'nf_policy_ros.episode_label'
STORAGE = {'mcap': StoragePlugin.MCAP, 'sqlite3': StoragePlugin.SQLITE3}


def message_class(type_name: str) -> type:
    """'sensor_msgs/msg/Image' -> the rclpy message class."""
    package, kind, name = type_name.split('/')
    return getattr(importlib.import_module(f'{package}.{kind}'), name)


def starts_with_stamp(msg_class: type) -> bool:
    """Whether the serialized message begins with a builtin_interfaces/Time (a header)."""
    fields = list(msg_class.get_fields_and_field_types().items())
    return bool(fields) and fields[0][1] in ('std_msgs/Header', 'builtin_interfaces/Time')


def header_stamp_ns(raw: bytes) -> int:
    """Stamp [ns] of a CDR message whose first field is a Time (after the 4-byte
    encapsulation header: int32 sec, uint32 nanosec, in the encapsulation's byte order)."""
    order = '<' if raw[1] & 1 else '>'
    sec, nanosec = struct.unpack_from(f'{order}iI', raw, 4)
    return sec * 10**9 + nanosec


def offered_reliability(publishers: list[TopicEndpointInfo]) -> ReliabilityPolicy:
    """BEST_EFFORT if any publisher offers it, else RELIABLE (rosbag2's rule)."""
    if any(p.qos_profile.reliability == ReliabilityPolicy.BEST_EFFORT for p in publishers):
        return ReliabilityPolicy.BEST_EFFORT
    return ReliabilityPolicy.RELIABLE


@dataclass
class OpenBag:
    """The bag being written and what went into it."""

    path: Path
    writer: Writer
    connections: dict[str, object]
    counts: dict[str, int] = field(default_factory=dict)


class DemoRecorder(Node):
    """Subscribes to the configured topics (raw) and writes them while an episode is open."""

    def __init__(self) -> None:
        super().__init__(NODE_NAME)
        declare_config(self, RecorderConfig())
        self.declare_parameter('episode_label', '', ParameterDescriptor(
            description='Free-text label stored with the next bags (task, seed, operator).'))
        self.config = read_config(self, RecorderConfig, RecorderConfig())
        self._types: dict[str, str] = {}
        self._definitions: dict[str, tuple[str, str]] = {}  # topic -> (msgdef, type hash)
        self._unrecordable: dict[str, str] = {}  # topic -> why it cannot be recorded
        self._message_types = MessageTypes()
        self._header_stamped: dict[str, bool] = {}
        self._bag: OpenBag | None = None
        self._index = 0
        self.create_service(Trigger, '~/start', self._on_start)
        self.create_service(SetBool, '~/stop', self._on_stop)
        self.create_service(Trigger, '~/discard', self._on_discard)
        self.get_logger().info(f'ready to record {list(self.config.topics)} into '
                               f'{self.config.output_dir}')

    # -- topics -------------------------------------------------------------------------

    def _known(self, topic: str) -> bool:
        """Whether ``topic`` (resolved) was discovered: subscribed, or found unrecordable."""
        return topic in self._types or topic in self._unrecordable

    def _discover(self) -> list[str]:
        """Subscribe to every configured topic not yet subscribed; returns those still
        missing after ``discovery_timeout_s``."""
        deadline = time.monotonic() + self.config.discovery_timeout_s
        while True:
            graph = dict(self.get_topic_names_and_types())
            for topic in self.config.topics:
                name = self.resolve_topic_name(topic)
                if not self._known(name) and graph.get(name):
                    self._subscribe(name, graph[name][0])
            missing = [t for t in self.config.topics
                       if not self._known(self.resolve_topic_name(t))]
            if not missing or time.monotonic() > deadline:
                return missing
            time.sleep(0.05)

    def _subscribe(self, topic: str, type_name: str) -> None:
        """Subscribe (raw) if the type can be written to a bag, else note why not."""
        try:
            self._definitions[topic] = self._message_types.definition(type_name)
            msg_class = message_class(type_name)
        except (DefinitionError, ImportError, AttributeError, ValueError) as exc:
            reason = str(exc) if isinstance(exc, DefinitionError) else f'{type_name}: {exc}'
            self._unrecordable[topic] = f'{topic}: {reason}'
            self.get_logger().error(f'cannot record {self._unrecordable[topic]}')
            return
        reliability = offered_reliability(self.get_publishers_info_by_topic(topic))
        qos = QoSProfile(depth=100, reliability=reliability)
        self.get_logger().info(f'{topic} ({type_name}): {reliability.name.lower()}')
        self.create_subscription(msg_class, topic, lambda raw, t=topic: self._on_raw(t, raw),
                                 qos, raw=True)
        self._types[topic] = type_name
        self._header_stamped[topic] = starts_with_stamp(msg_class)

    def _on_raw(self, topic: str, raw: bytes) -> None:
        bag = self._bag
        if bag is None:
            return
        log_ns = 0
        if self.config.log_time == 'header' and self._header_stamped[topic]:
            log_ns = header_stamp_ns(raw)
        if log_ns <= 0:
            log_ns = self.get_clock().now().nanoseconds
        bag.writer.write(bag.connections[topic], log_ns, raw)
        bag.counts[topic] = bag.counts.get(topic, 0) + 1

    # -- episodes -----------------------------------------------------------------------

    def _next_path(self) -> Path:
        """The next free episode directory; OSError or ValueError (one line) if
        ``output_dir`` cannot be a directory."""
        root = check_output_dir('output_dir', self.config.output_dir)
        root.mkdir(parents=True, exist_ok=True)
        while (path := root / f'{self.config.prefix}_{self._index:04d}').exists():
            self._index += 1
        return path

    def _refusal(self) -> str | None:
        """Why no episode can start now (one line), or None."""
        if self._bag is not None:
            return f'already recording {self._bag.path}'
        missing = self._discover()
        if missing:
            return (f'topics {missing} not published after '
                    f'{self.config.discovery_timeout_s} s: nothing recorded')
        unrecordable = [self._unrecordable[name] for name in self._configured()
                        if name in self._unrecordable]
        if unrecordable:
            return f'cannot record {"; ".join(unrecordable)}: nothing recorded'
        return None

    def _configured(self) -> list[str]:
        return [self.resolve_topic_name(t) for t in self.config.topics]

    def _open(self, path: Path) -> OpenBag:
        """A new bag at ``path`` with a connection per configured topic."""
        writer = Writer(path, version=9, storage_plugin=STORAGE[self.config.storage])
        writer.set_custom_data(LABEL_KEY, str(self.get_parameter('episode_label').value))
        writer.open()
        try:
            connections = {}
            for topic in self._configured():
                msgdef, type_hash = self._definitions[topic]
                connections[topic] = writer.add_connection(topic, self._types[topic],
                                                           msgdef=msgdef, rihs01=type_hash)
        except BaseException:
            writer.close()
            raise
        return OpenBag(path, writer, connections, dict.fromkeys(connections, 0))

    def _on_start(self, request, response):
        refusal = self._refusal()
        if refusal is None:
            path = None
            try:
                path = self._next_path()
                self._bag = self._open(path)
            except Exception as exc:  # any failure: one line, no half-written episode
                if path is not None:
                    shutil.rmtree(path, ignore_errors=True)
                text = ' '.join(str(exc).split()) or type(exc).__name__
                refusal = f'cannot open an episode: {text}: nothing recorded'
        if refusal is not None:
            response.success, response.message = False, refusal
            self.get_logger().error(refusal)
            return response
        response.success, response.message = True, str(self._bag.path)
        self.get_logger().info(f'recording {self._bag.path}')
        return response

    def _close(self) -> OpenBag | None:
        bag, self._bag = self._bag, None
        if bag is not None:
            bag.writer.close()
            self._index += 1
        return bag

    def _on_stop(self, request, response):
        if self._bag is None:
            response.success, response.message = False, 'not recording'
            return response
        counts = dict(self._bag.counts)
        optional = {self.resolve_topic_name(t) for t in self.config.optional_topics}
        empty = [t for t, n in counts.items() if n == 0 and t not in optional]
        if empty:
            bag = self._close()
            shutil.rmtree(bag.path, ignore_errors=True)
            response.success = False
            response.message = (f'episode refused, nothing saved: 0 messages on required '
                                f'topic(s) {empty}; counts {counts}')
            self.get_logger().error(response.message)
            return response
        self._bag.writer.set_custom_data(OUTCOME_KEY, 'success' if request.data else 'failure')
        bag = self._close()
        response.success = True
        response.message = json.dumps({'path': str(bag.path), 'counts': bag.counts,
                                       'outcome': 'success' if request.data else 'failure'})
        self.get_logger().info(f'closed {bag.path}: {bag.counts}')
        return response

    def _on_discard(self, request, response):
        bag = self._close()
        if bag is not None:
            shutil.rmtree(bag.path, ignore_errors=True)
        response.success = bag is not None
        response.message = f'discarded {bag.path}' if bag else 'not recording'
        return response

    def close(self) -> None:
        """On shutdown an open bag is closed (labelled neither success nor failure)."""
        self._close()


def main(argv: list[str] | None = None) -> int:
    return spin_node(DemoRecorder, argv, num_threads=1)


if __name__ == '__main__':
    raise SystemExit(main())
