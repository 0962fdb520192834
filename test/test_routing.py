# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Joint-name map and controller groups (node_config/routing.py, no ROS)."""

from __future__ import annotations

import numpy as np
import pytest

from nf_policy_ros.config import ConfigError
from nf_policy_ros.node_config.policy import PolicyNodeConfig
from nf_policy_ros.node_config.routing import (
    GroupSpec,
    check_distinct_topics,
    group_parameters,
    make_routes,
    robot_joint_names,
)
from nf_policy_ros.runtime.plan import Plan

LEADER = ('leader_joint1', 'leader_joint2', 'leader_gripper')
ROBOT = ('joint1', 'joint2', 'gripper')
FULL_MAP = ('leader_joint1=joint1', 'leader_joint2=joint2', 'leader_gripper=gripper')


def test_the_map_renames_checkpoint_joints_in_checkpoint_order():
    assert robot_joint_names(LEADER, FULL_MAP[::-1]) == ROBOT
    assert robot_joint_names(LEADER, ('leader_gripper=gripper',)) == (
        'leader_joint1', 'leader_joint2', 'gripper'), 'unmapped joints keep their names'
    assert robot_joint_names(LEADER, ()) == LEADER


@pytest.mark.parametrize('entries, message', [
    (('leader_joint1',), "joint_name_map[0]='leader_joint1' is invalid: expected "
                         "checkpoint_name=robot_name"),
    (('a=b=c',), "joint_name_map[0]='a=b=c' is invalid"),
    (('leader_joint1: joint1',), "joint_name_map[0]='leader_joint1: joint1' is invalid"),
    (('leader_joint1=joint1', 'leader_joint1=joint9'),
     "joint_name_map[1]='leader_joint1=joint9' is invalid: expected each checkpoint joint "
     "mapped once ('leader_joint1' is mapped before)"),
    (('leader_joint1=joint1', 'leader_joint2=joint1'),
     "joint_name_map=['leader_joint1=joint1', 'leader_joint2=joint1'] is invalid: expected "
     "a different robot name for each joint (['joint1'] given to several)"),
    (('leader_joint9=joint9',), "joint_name_map[0]='leader_joint9=joint9' is invalid: "
                                "expected a checkpoint joint before '=', one of "
                                "['leader_joint1', 'leader_joint2', 'leader_gripper']"),
    (('leader_joint1=leader_joint2',), "joint_name_map=['leader_joint1=leader_joint2'] is "
                                       'invalid: expected robot names distinct from the '
                                       "unmapped checkpoint joints (['leader_joint2'] would"),
])
def test_a_bad_map_is_refused_in_one_line_naming_the_entry(entries, message):
    with pytest.raises(ConfigError) as info:
        robot_joint_names(LEADER, entries)
    assert str(info.value).startswith(message) and '\n' not in str(info.value)


def test_without_groups_one_route_carries_every_joint_on_joint_trajectory():
    (route,) = make_routes(ROBOT, ())
    assert (route.topic, route.columns, route.joint_names) == ('joint_trajectory', (0, 1, 2),
                                                               ROBOT)


def test_groups_take_their_columns_in_their_own_order():
    arm = GroupSpec('arm_controller', ('joint2', 'joint1'), 'arm_controller/joint_trajectory')
    gripper = GroupSpec('gripper_controller', ('gripper',), '/gripper/joint_trajectory')
    routes = make_routes(ROBOT, (arm, gripper))
    assert [(r.topic, r.columns, r.joint_names) for r in routes] == [
        ('arm_controller/joint_trajectory', (1, 0), ('joint2', 'joint1')),
        ('/gripper/joint_trajectory', (2,), ('gripper',))]
    plan = np.arange(12.0).reshape(4, 3)  # (T_a, D): column j holds 3k + j
    assert np.array_equal(routes[0].select(plan), plan[:, [1, 0]])
    assert np.array_equal(routes[1].select(plan[-1]), [11.0])


def group(name: str, *joints: str) -> GroupSpec:
    return GroupSpec(name, joints, f'{name}/joint_trajectory')


@pytest.mark.parametrize('groups, message', [
    ((group('arm', 'joint1', 'joint2', 'joint7'), group('hand', 'gripper')),
     "groups.arm.joints=['joint1', 'joint2', 'joint7'] is invalid: expected policy joints "
     "(robot names, after joint_name_map) among ['joint1', 'joint2', 'gripper']; ['joint7'] "
     'are not'),
    ((group('arm', 'joint1', 'joint2'), group('hand', 'joint2', 'gripper')),
     "groups.hand.joints=['joint2', 'gripper'] is invalid: expected joints in no other group "
     "(['joint2'] in groups.arm.joints)"),
    ((group('arm', 'joint1', 'joint1', 'joint2'), group('hand', 'gripper')),
     "groups.arm.joints=['joint1', 'joint1', 'joint2'] is invalid: expected each joint once"),
    ((group('arm', 'joint1', 'joint2', 'gripper'), group('hand')),
     'groups.hand.joints=[] is invalid: expected the robot joint names this controller '
     'takes'),
    ((group('arm', 'joint1', 'joint2'),),
     "controller_groups=['arm'] is invalid: expected every policy joint in a group "
     "(['gripper'] in none would never be commanded)"),
])
def test_bad_groups_are_refused_in_one_line_naming_the_parameter(groups, message):
    with pytest.raises(ConfigError) as info:
        make_routes(ROBOT, groups)
    assert str(info.value) == message


def test_two_groups_on_one_resolved_topic_are_refused():
    groups = (group('arm', 'joint1'), GroupSpec('hand', ('gripper',), '/arm/joint_trajectory'))
    check_distinct_topics(groups, ['/arm/joint_trajectory', '/hand/joint_trajectory'])
    with pytest.raises(ConfigError, match=r"^groups.hand.topic='/arm/joint_trajectory' is "
                                          r'invalid: expected a topic of its own '
                                          r'\(/arm/joint_trajectory is also the topic of '
                                          r'group arm\)$'):
        check_distinct_topics(groups, ['/arm/joint_trajectory', '/arm/joint_trajectory'])


def test_group_parameters_default_to_the_ros2_control_topic():
    params = group_parameters('gripper_controller')
    assert params['groups.gripper_controller.topic'][0] == 'gripper_controller/joint_trajectory'
    assert params['groups.gripper_controller.joints'][:2] == ((), tuple[str, ...])


@pytest.mark.parametrize('field, value, message', [
    ('controller_groups', ('arm', 'arm'), "controller_groups=['arm', 'arm'] is invalid: "
                                          'expected unique names'),
    ('controller_groups', ('arm.x',), "controller_groups[0]='arm.x' is invalid: expected a "
                                      'name of letters, digits and _ that starts with a '
                                      'letter'),
    ('joint_name_map', ('j1:joint1',), "joint_name_map[0]='j1:joint1' is invalid"),
])
def test_the_node_config_checks_what_needs_no_checkpoint(field, value, message):
    with pytest.raises(ConfigError) as info:
        PolicyNodeConfig(**{field: value})
    assert str(info.value).startswith(message)


def test_a_route_trajectory_keeps_the_plan_times_and_stamp():
    from builtin_interfaces.msg import Time

    from nf_policy_ros.nodes.policy.messages import route_trajectory

    positions = np.arange(12.0).reshape(4, 3)
    plan = Plan(positions, positions * 10, np.array([0.1, 0.3, 0.5, 0.7]))
    (arm, hand) = make_routes(ROBOT, (group('arm', 'joint2', 'joint1'), group('hand',
                                                                            'gripper')))
    stamp = Time(sec=5, nanosec=7)
    msgs = [route_trajectory(plan, route, stamp) for route in (arm, hand)]
    assert [list(m.joint_names) for m in msgs] == [['joint2', 'joint1'], ['gripper']]
    assert all(m.header.stamp == stamp for m in msgs)
    for msg in msgs:
        assert [p.time_from_start.nanosec for p in msg.points] == [1e8, 3e8, 5e8, 7e8]
    assert list(msgs[0].points[2].positions) == [7.0, 6.0]
    assert list(msgs[1].points[2].velocities) == [80.0]


def test_the_planned_state_keeps_the_measured_joints_outside_the_policy():
    from builtin_interfaces.msg import Time
    from sensor_msgs.msg import JointState

    from nf_policy_ros.nodes.policy.messages import planned_joint_state

    measured = JointState(name=['base_yaw', 'gripper', 'joint1', 'joint2'],
                          position=[0.7, 0.0, 0.0, 0.0])
    msg = planned_joint_state(np.array([0.1, 0.2, 0.03]), ROBOT, measured, Time(sec=3))
    assert dict(zip(msg.name, msg.position)) == pytest.approx(
        {'joint1': 0.1, 'joint2': 0.2, 'gripper': 0.03, 'base_yaw': 0.7})
    assert msg.header.stamp.sec == 3 and len(msg.name) == 4
