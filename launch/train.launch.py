# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Train NF-P from a dataset cache with the training node.

    ros2 launch nf_policy_ros train.launch.py dataset:=data/pick output_dir:=runs/pick \
        exit_when_done:=true

Progress: `ros2 topic echo /nf_policy_train/status`; stop (resumable):
`ros2 service call /nf_policy_train/stop std_srvs/srv/Trigger`, or Ctrl-C. With
exit_when_done:=true the launch ends when training does (done, stopped or failed);
otherwise the node stays up with its final status until Ctrl-C. resume:=true continues a
run from its last.pt.
"""

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, OpaqueFunction, Shutdown
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
from launch_ros.actions import LifecycleNode, Node
from launch_ros.substitutions import FindPackageShare

from nf_policy_ros.node_config.launch_files import LAUNCH_FILES, PACKAGE

# the arguments and what each one does: nf_policy_ros/node_config/launch_files.py
SPEC = LAUNCH_FILES['train.launch.py']


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
