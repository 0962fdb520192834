# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The policy node's trajectory outputs on ROS: the controller-group parameters and one
JointTrajectory publisher per route. Which joints go where: node_config/routing.py (no ROS)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy
from trajectory_msgs.msg import JointTrajectory

from nf_policy_ros.config import ConfigError
from nf_policy_ros.config_tree import READ_AT_START_UP
from nf_policy_ros.node_config.routing import (
    GROUP_NAME,
    GroupSpec,
    Route,
    check_distinct_topics,
    group_parameters,
)
from nf_policy_ros.nodes.common.params import declare_parameters
from nf_policy_ros.nodes.policy import messages
from nf_policy_ros.runtime.plan import Plan

TRAJECTORY_QOS = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE)


def declare_groups(node: Node, names: Iterable[str]) -> dict[str, str]:
    """Declare ``groups.<name>.joints`` / ``.topic`` (read-only: fixed at start-up, like
    ``controller_groups``) for each well-formed name; a malformed one is refused by the
    config's validation. Returns parameter name -> why its start-up value was refused."""
    valid = dict.fromkeys(name for name in names if GROUP_NAME.fullmatch(name))
    specs = {key: spec for name in valid for key, spec in group_parameters(name).items()}
    return declare_parameters(node, specs, read_only=True,
                              when=dict.fromkeys(specs, READ_AT_START_UP))


def read_groups(node: Node, names: Sequence[str]) -> tuple[GroupSpec, ...]:
    """The groups ``names`` as their parameters give them; ConfigError for a topic that is
    no valid name or that another group's resolves to as well."""
    groups = tuple(GroupSpec(name, tuple(node.get_parameter(f'groups.{name}.joints').value),
                             node.get_parameter(f'groups.{name}.topic').value)
                   for name in names)
    check_distinct_topics(groups, [resolve_topic(node, f'groups.{g.name}.topic', g.topic)
                                   for g in groups])
    return groups


def resolve_topic(node: Node, parameter: str, topic: str) -> str:
    """``topic`` after namespace and remapping; ConfigError naming ``parameter`` if the name
    is invalid."""
    try:
        return node.resolve_topic_name(topic)
    except RuntimeError as exc:  # RCLError: 'failed to resolve name: <why>, at <file>:<line>'
        reason = str(exc).removeprefix('failed to resolve name: ').split(', at ')[0]
        raise ConfigError(f'{parameter}={topic!r} is invalid: expected a valid topic name '
                          f'({reason})') from exc


class TrajectoryOutputs:
    """One JointTrajectory publisher (reliable, depth 1) per route of a configured node."""

    def __init__(self, node: Node, routes: Sequence[Route]) -> None:
        self._node = node
        self._publishers = [(route, node.create_publisher(JointTrajectory, route.topic,
                                                          TRAJECTORY_QOS))
                            for route in routes]

    def publish(self, plan: Plan, stamp) -> None:
        """Every route's part of ``plan`` (checkpoint joint order), same stamp and times."""
        for route, publisher in self._publishers:
            publisher.publish(messages.route_trajectory(plan, route, stamp))

    def describe(self) -> str:
        """'<resolved topic> [joints]; ...' for the log."""
        return '; '.join(f'{publisher.topic_name} {list(route.joint_names)}'
                         for route, publisher in self._publishers)

    def destroy(self) -> None:
        for _, publisher in self._publishers:
            self._node.destroy_publisher(publisher)
        self._publishers = []
