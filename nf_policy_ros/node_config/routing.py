# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Where the plan goes on the robot: joint-name map and controller groups (pure Python).

The checkpoint names its joints as in training (``data.joint_names``, e.g. a leader arm's
``leader_joint1``); the robot's /joint_states and controllers may call them otherwise.
``joint_name_map`` (``checkpoint_name=robot_name`` entries) gives the robot's name of each
renamed joint; the node reads JointState and names every published joint by robot name.

A plan is (T_a, D) in checkpoint joint order. Without groups it goes out whole on
``joint_trajectory``. With ``controller_groups`` (e.g. ``[arm_controller,
gripper_controller]``), group ``<name>`` lists its robot joints in ``groups.<name>.joints``
and gets its own JointTrajectory on ``groups.<name>.topic`` (default
``<name>/joint_trajectory``, a ros2_control controller's topic): the plan's columns of those
joints, in that order, with the same stamp and times as the other groups. Groups must not
overlap and must cover every policy joint (a joint in no group would never be commanded:
configure refuses rather than silently dropping it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
import re

import numpy as np

from nf_policy_ros.config_tree import require

DEFAULT_TOPIC = 'joint_trajectory'
MAP_SEPARATOR = '='
# A group name becomes part of parameter names and of its default topic: one name token.
GROUP_NAME = re.compile(r'[A-Za-z][A-Za-z0-9_]*')


@dataclass(frozen=True)
class GroupSpec:
    """One controller group as its parameters give it."""

    name: str
    joints: tuple[str, ...]  # robot joint names, in the order the controller gets them
    topic: str  # relative (remappable) or absolute JointTrajectory topic


@dataclass(frozen=True)
class Route:
    """One output: the plan's ``columns`` (indices into checkpoint joint order) published on
    ``topic`` as joints ``joint_names`` (robot names)."""

    name: str
    topic: str
    columns: tuple[int, ...]
    joint_names: tuple[str, ...]

    def select(self, values: np.ndarray) -> np.ndarray:
        """This route's joints of ``values`` (..., D) in checkpoint order -> (..., len)."""
        return values[..., list(self.columns)]


def group_topic(name: str) -> str:
    """The default topic of group ``name``: ros2_control's ``<controller>/joint_trajectory``."""
    return f'{name}/{DEFAULT_TOPIC}'


def group_parameters(name: str) -> dict[str, tuple[object, type, str]]:
    """The parameters of group ``name``: parameter name -> (default, type, description)."""
    return {
        f'groups.{name}.joints': ((), tuple[str, ...], 'Robot joint names (after '
                                  'joint_name_map) this controller takes, in its order.'),
        f'groups.{name}.topic': (group_topic(name), str, 'JointTrajectory topic of this '
                                 'controller (relative names are remappable).'),
    }


def check_group_names(names: Sequence[str]) -> None:
    """``controller_groups`` entries: unique name tokens; raises ConfigError."""
    for i, name in enumerate(names):
        require(GROUP_NAME.fullmatch(name) is not None, f'controller_groups[{i}]', name,
                'a name of letters, digits and _ that starts with a letter')
    require(len(set(names)) == len(names), 'controller_groups', list(names), 'unique names')


def parse_name_map(entries: Sequence[str]) -> dict[str, str]:
    """``joint_name_map`` entries ``checkpoint_name=robot_name`` -> {checkpoint: robot};
    raises ConfigError for a malformed entry or a name given twice on either side."""
    mapping: dict[str, str] = {}
    for i, entry in enumerate(entries):
        parts = entry.split(MAP_SEPARATOR)
        require(len(parts) == 2 and all(p.strip() == p and p for p in parts),
                f'joint_name_map[{i}]', entry, 'checkpoint_name=robot_name (two non-empty '
                "names around one '=', no spaces)")
        require(parts[0] not in mapping, f'joint_name_map[{i}]', entry,
                f'each checkpoint joint mapped once ({parts[0]!r} is mapped before)')
        mapping[parts[0]] = parts[1]
    robot = list(mapping.values())
    twice = sorted({name for name in robot if robot.count(name) > 1})
    require(not twice, 'joint_name_map', list(entries),
            f'a different robot name for each joint ({twice} given to several)')
    return mapping


def robot_joint_names(checkpoint_joints: Sequence[str], entries: Sequence[str]) -> \
        tuple[str, ...]:
    """The robot's name of each checkpoint joint (D names, checkpoint order); raises
    ConfigError for a map entry naming no checkpoint joint, or two joints sharing a name."""
    mapping = parse_name_map(entries)
    for i, entry in enumerate(entries):
        name = entry.split(MAP_SEPARATOR)[0]
        require(name in checkpoint_joints, f'joint_name_map[{i}]', entry,
                f"a checkpoint joint before '=', one of {list(checkpoint_joints)}")
    robot = tuple(mapping.get(name, name) for name in checkpoint_joints)
    clash = sorted({name for name in robot if robot.count(name) > 1})
    require(not clash, 'joint_name_map', list(entries),
            f'robot names distinct from the unmapped checkpoint joints ({clash} would name '
            'two joints)')
    return robot


def make_routes(robot_joints: Sequence[str], groups: Sequence[GroupSpec]) -> tuple[Route, ...]:
    """One Route per group, or one for all joints on ``joint_trajectory`` without groups.

    :param robot_joints: (D,) robot names of the policy joints, in checkpoint order.
    :raises ConfigError: a group joint that is no policy joint, a joint in two groups or
        twice in one, an empty group, or a policy joint in no group.
    """
    if not groups:
        return (Route('', DEFAULT_TOPIC, tuple(range(len(robot_joints))), tuple(robot_joints)),)
    column = {name: i for i, name in enumerate(robot_joints)}
    owner: dict[str, str] = {}
    routes = []
    for group in groups:
        name = f'groups.{group.name}.joints'
        joints = list(group.joints)
        require(bool(joints), name, joints, 'the robot joint names this controller takes')
        unknown = [j for j in joints if j not in column]
        require(not unknown, name, joints, f'policy joints (robot names, after joint_name_map)'
                f' among {list(robot_joints)}; {unknown} are not')
        require(len(set(joints)) == len(joints), name, joints, 'each joint once')
        shared = [j for j in joints if j in owner]
        require(not shared, name, joints, f'joints in no other group ({shared} in '
                f'{owner[shared[0]] if shared else ""})')
        owner.update(dict.fromkeys(joints, name))
        routes.append(Route(group.name, group.topic, tuple(column[j] for j in joints),
                            tuple(joints)))
    uncovered = [j for j in robot_joints if j not in owner]
    require(not uncovered, 'controller_groups', [g.name for g in groups],
            f'every policy joint in a group ({uncovered} in none would never be commanded)')
    return tuple(routes)


def check_distinct_topics(groups: Sequence[GroupSpec], resolved: Sequence[str]) -> None:
    """Each group on its own topic; ``resolved`` (after remapping) matches ``groups``."""
    seen: dict[str, str] = {}
    for group, topic in zip(groups, resolved):
        require(topic not in seen, f'groups.{group.name}.topic', group.topic,
                f'a topic of its own ({topic} is also the topic of group {seen.get(topic)})')
        seen[topic] = group.name
