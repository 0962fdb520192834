# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Start the NF-P policy node (a lifecycle node, launch_ros LifecycleNode).

    ros2 launch nf_policy_ros policy.launch.py checkpoint:=/path/policy.pt \
        image:=/camera/color/image_raw joint_states:=/joint_states \
        joint_trajectory:=/arm_controller/joint_trajectory enable_output:=false

By default the node configures and activates itself (``autostart``); with autostart:=false
it waits for a lifecycle manager or ``ros2 lifecycle set /nf_policy configure`` / ``activate``.

Arguments left empty keep the value from the params file. ``image`` replaces the first of
the params file's ``camera_topics``; a camera topic ending in /compressed
(image:=/camera/color/image_raw/compressed) is read as sensor_msgs/CompressedImage
(jpeg/png). The params files key the node as /**/nf_policy, so namespace:=robot1 keeps them.
Every argument: ``ros2 launch nf_policy_ros policy.launch.py --show-args`` or
docs/reference.md.
"""

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, OpaqueFunction, Shutdown
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
from launch_ros.actions import LifecycleNode, Node
from launch_ros.substitutions import FindPackageShare

from nf_policy_ros.node_config.launch_files import LAUNCH_FILES, PACKAGE

# the arguments and what each one does: nf_policy_ros/node_config/launch_files.py
SPEC = LAUNCH_FILES['policy.launch.py']


def _declare(arg) -> DeclareLaunchArgument:
    default = arg.default
    if arg.in_share:  # a file of the installed package
        default = PathJoinSubstitution([FindPackageShare(PACKAGE), arg.default])
    return DeclareLaunchArgument(arg.name, default_value=default, description=arg.description)


def _start(context, *args, **kwargs):
    """The nodes for the performed argument values (a bad value: one error line)."""
    values = {name: LaunchConfiguration(name).perform(context) for name in SPEC.names}
    share = FindPackageShare(PACKAGE).perform(context)
    return [(LifecycleNode if node.lifecycle else Node)(
        **node.node_kwargs(),
        on_exit=Shutdown(reason=f'{node.executable} exited') if node.ends_launch else None)
        for node in SPEC.nodes(values, share)]


def generate_launch_description() -> LaunchDescription:
    return LaunchDescription([*map(_declare, SPEC.arguments), OpaqueFunction(function=_start)])
