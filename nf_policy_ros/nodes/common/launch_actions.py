# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The launch description of a launch file described in node_config/launch_files.py: its
arguments declared, its nodes started from the performed values (a bad value: one error
line). ``launch`` and ``launch_ros`` are imported when a launch file asks, so this module
imports where they are not installed (a robot computer without ``ros2 launch``, CI)."""

from __future__ import annotations

from typing import Any

from nf_policy_ros.node_config.launch_files import PACKAGE, LaunchFile


def launch_description(spec: LaunchFile) -> Any:
    """The LaunchDescription of ``spec``: one DeclareLaunchArgument per argument, then an
    OpaqueFunction that starts ``spec``'s nodes (a node that ends the launch with it)."""
    from launch import LaunchDescription
    from launch.actions import OpaqueFunction

    def start(context, *args, **kwargs):
        return _nodes(spec, context)

    return LaunchDescription([*map(_declare, spec.arguments), OpaqueFunction(function=start)])


def _declare(arg) -> Any:
    from launch.actions import DeclareLaunchArgument
    from launch.substitutions import PathJoinSubstitution
    from launch_ros.substitutions import FindPackageShare

    default = arg.default
    if arg.in_share:  # a file of the installed package
        default = PathJoinSubstitution([FindPackageShare(PACKAGE), arg.default])
    return DeclareLaunchArgument(arg.name, default_value=default, description=arg.description)


def _nodes(spec: LaunchFile, context) -> list[Any]:
    """The nodes for the argument values performed in ``context``."""
    from launch.actions import Shutdown
    from launch.substitutions import LaunchConfiguration
    from launch_ros.actions import LifecycleNode, Node
    from launch_ros.substitutions import FindPackageShare

    values = {name: LaunchConfiguration(name).perform(context) for name in spec.names}
    share = FindPackageShare(PACKAGE).perform(context)
    return [(LifecycleNode if node.lifecycle else Node)(
        **node.node_kwargs(),
        on_exit=Shutdown(reason=f'{node.executable} exited') if node.ends_launch else None)
        for node in spec.nodes(values, share)]
