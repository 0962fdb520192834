# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""What the control loop (control_loop.py) may use of the policy node: a narrow port.

The loop never sees ``PolicyNode``: it gets a ``LoopPort`` with the live config (a getter:
a parameter set applies from the next tick), the lifecycle state as rclpy reports it, the
control clock, the confidence gate and statistics the node owns (they outlive a
configure), the publishers that exist in every state, and a way to report at once. ``ros``
is the plain rclpy node the loop creates its own subscriptions, timers and trajectory
publishers on, and logs with. The node builds the port; nothing here imports node.py (no
import cycle).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
import time

from rclpy.lifecycle import LifecycleNode
from rclpy.node import Node
from rclpy.publisher import Publisher
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import JointState
from std_msgs.msg import Bool, Float32, Float64MultiArray

from nf_policy_ros.node_config.policy import PolicyNodeConfig
from nf_policy_ros.nodes.policy import messages
from nf_policy_ros.runtime.plan import ConfidenceGate
from nf_policy_ros.runtime.stats import RollingStats


@dataclass(frozen=True)
class LoopPublishers:
    """The loop's outputs that exist in every lifecycle state (the trajectories come and go
    with configure)."""

    planned: Publisher  # ~/planned_joint_states, sensor_msgs/JointState
    confidence: Publisher  # ~/confidence, std_msgs/Float32
    log_likelihood: Publisher  # ~/log_likelihood, std_msgs/Float32
    marker: Publisher  # ~/confidence_marker, visualization_msgs/Marker
    forward: Publisher  # ~/forward_position, std_msgs/Float64MultiArray
    takeover: Publisher  # ~/takeover, std_msgs/Bool, latched: whether a takeover is active
    intervention: Publisher  # ~/intervention, std_msgs/Bool: the same, every control tick

    @classmethod
    def create(cls, node: Node) -> LoopPublishers:
        """The publishers; ~/takeover starts latched at False."""
        reliable = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE)
        latched = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                             durability=DurabilityPolicy.TRANSIENT_LOCAL)
        publishers = cls(
            planned=node.create_publisher(JointState, '~/planned_joint_states', 10),
            confidence=node.create_publisher(Float32, '~/confidence', 10),
            log_likelihood=node.create_publisher(Float32, '~/log_likelihood', 10),
            marker=node.create_publisher(messages.Marker, '~/confidence_marker', 10),
            forward=node.create_publisher(Float64MultiArray, '~/forward_position', reliable),
            takeover=node.create_publisher(Bool, '~/takeover', latched),
            intervention=node.create_publisher(Bool, '~/intervention', 10))
        publishers.takeover.publish(Bool(data=False))
        return publishers


@dataclass(frozen=True)
class LoopPort:
    """The node as the control loop sees it (module docstring)."""

    ros: Node
    config: Callable[[], PolicyNodeConfig]  # the live parameters
    lifecycle_state: Callable[[], str]  # rclpy's label: unconfigured, inactive, active, ...
    control_now: Callable[[], float]  # now on the control clock [s]
    gate: ConfidenceGate
    stats: RollingStats
    publishers: LoopPublishers
    report_now: Callable[[], None]  # publish /diagnostics and ~/status now (a takeover)

    @property
    def logger(self):
        return self.ros.get_logger()

    def ros_now(self):
        """Now on the ROS clock, as a builtin_interfaces/Time (header stamps)."""
        return self.ros.get_clock().now().to_msg()

    def ros_seconds(self) -> float:
        """Now on the ROS clock [s] (what header stamps are compared with)."""
        return self.ros.get_clock().now().nanoseconds * 1e-9


def lifecycle_state(node: LifecycleNode) -> str:
    """The label of ``node``'s current lifecycle state as rclpy's state machine holds it
    (``unconfigured``, ``inactive``, ``active``, ``finalized``, or a transition's
    ``configuring`` ...): the one source, never a copy kept beside it."""
    return node._state_machine.current_state[1]  # rclpy's own accessor (trigger_shutdown)


def control_now(node: Node) -> float:
    """Now on the control clock [s]: the ROS clock (simulated time) under ``use_sim_time``
    (read from the clock: follows a change at run time), else ``time.monotonic()`` (immune
    to wall-clock jumps)."""
    clock = node.get_clock()
    if clock.ros_time_is_active:
        return clock.now().nanoseconds * 1e-9
    return time.monotonic()
