# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""ROS message builders for the policy node's outputs."""

from __future__ import annotations

from builtin_interfaces.msg import Duration
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint
from visualization_msgs.msg import Marker

from nf_policy_ros.nodes.plan import Plan


def duration(seconds: float) -> Duration:
    whole = int(seconds)
    return Duration(sec=whole, nanosec=int(round((seconds - whole) * 1e9)))


def trajectory_msg(plan: Plan, joint_names: tuple[str, ...], stamp) -> JointTrajectory:
    """JointTrajectory with positions, velocities and ``time_from_start`` per point."""
    msg = JointTrajectory(joint_names=list(joint_names))
    msg.header.stamp = stamp
    for positions, velocities, t in zip(plan.positions, plan.velocities, plan.times):
        msg.points.append(JointTrajectoryPoint(
            positions=positions.tolist(), velocities=velocities.tolist(),
            time_from_start=duration(float(t))))
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


def diagnostics_msg(name: str, level: int, message: str, values: dict[str, object],
                    stamp) -> DiagnosticArray:
    status = DiagnosticStatus(level=level, name=name, hardware_id=name.split(':')[0],
                              message=message)
    status.values = [KeyValue(key=k, value=str(v)) for k, v in values.items()]
    msg = DiagnosticArray(status=[status])
    msg.header.stamp = stamp
    return msg


OK, WARN, ERROR = DiagnosticStatus.OK, DiagnosticStatus.WARN, DiagnosticStatus.ERROR
