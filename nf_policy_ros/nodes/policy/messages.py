# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""ROS message builders for the policy node's outputs."""

from __future__ import annotations

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
import numpy as np
from sensor_msgs.msg import JointState
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint
from visualization_msgs.msg import Marker

from nf_policy_ros.node_config.routing import Route
from nf_policy_ros.nodes.common.time_msgs import duration
from nf_policy_ros.runtime.plan import Plan


def trajectory_msg(plan: Plan, joint_names: tuple[str, ...], stamp) -> JointTrajectory:
    """JointTrajectory with positions, velocities and ``time_from_start`` per point."""
    msg = JointTrajectory(joint_names=list(joint_names))
    msg.header.stamp = stamp
    for positions, velocities, t in zip(plan.positions, plan.velocities, plan.times):
        msg.points.append(JointTrajectoryPoint(
            positions=positions.tolist(), velocities=velocities.tolist(),
            time_from_start=duration(float(t))))
    return msg


def route_trajectory(plan: Plan, route: Route, stamp) -> JointTrajectory:
    """The part of ``plan`` (checkpoint joint order) one controller takes: ``route``'s
    joints, by robot name, with the plan's stamp and times (every group stays in step)."""
    part = Plan(route.select(plan.positions), route.select(plan.velocities), plan.times)
    return trajectory_msg(part, route.joint_names, stamp)


def planned_joint_state(end: np.ndarray, robot_names: tuple[str, ...], measured: JointState,
                        stamp) -> JointState:
    """Where the plan ends, for a second robot_state_publisher (a ghost robot in rviz).

    :param end: (D,) the plan's last point [rad or m], checkpoint joint order.
    :param robot_names: (D,) the robot's names of those joints.
    :param measured: the JointState the plan started from: its other joints (a base, a
        second arm) keep their measured positions, so every link of the ghost is placed.
    """
    names, positions = list(robot_names), [float(x) for x in end]
    planned = set(robot_names)
    for name, position in zip(measured.name, measured.position):
        if name not in planned:
            names.append(name)
            positions.append(float(position))
    msg = JointState(name=names, position=positions)
    msg.header.stamp = stamp
    return msg


def confidence_marker(confidence: float, frame_id: str, stamp) -> Marker:
    """A text marker for rviz: the confidence, colored red (0) to green (1)."""
    marker = Marker(ns='nf_policy', id=0, type=Marker.TEXT_VIEW_FACING, action=Marker.ADD,
                    text=f'NF-P confidence {confidence:.2f}')
    marker.header.frame_id = frame_id
    marker.header.stamp = stamp
    marker.pose.position.z = 1.0
    marker.pose.orientation.w = 1.0
    marker.scale.z = 0.08
    marker.color.r, marker.color.g = float(1.0 - confidence), float(confidence)
    marker.color.b, marker.color.a = 0.1, 1.0
    return marker


def diagnostic_status(name: str, level: int, message: str,
                      values: dict[str, object]) -> DiagnosticStatus:
    """One status named ``name`` (``<fully qualified node name>: <part>``: unique per node,
    so namespaced or renamed nodes never collide); its hardware_id is the node's name."""
    status = DiagnosticStatus(level=level, name=name, hardware_id=name.split(':')[0],
                              message=message)
    status.values = [KeyValue(key=k, value=str(v)) for k, v in values.items()]
    return status


def diagnostics_msg(status: DiagnosticStatus, stamp) -> DiagnosticArray:
    msg = DiagnosticArray(status=[status])
    msg.header.stamp = stamp
    return msg


OK, WARN, ERROR = DiagnosticStatus.OK, DiagnosticStatus.WARN, DiagnosticStatus.ERROR
