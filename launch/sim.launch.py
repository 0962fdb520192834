# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The simulated Sawyer arm, optionally with the demo recorder and/or a trained policy.

    # record demonstrations (then: ros2 run nf_policy_ros collect_demos --demos 30)
    ros2 launch nf_policy_ros sim.launch.py record:=true output_dir:=demos
    # let a trained policy drive it (arm it: ros2 service call /nf_policy/enable_output ...)
    ros2 launch nf_policy_ros sim.launch.py checkpoint:=runs/sim/policy.pt \
        real_time_factor:=0.25 rviz:=true
    # learning from corrections: the policy hands the arm to the scripted operator when
    # unsure; record each episode with `evaluate --record` (docs/robot.md, section 8)
    ros2 launch nf_policy_ros sim.launch.py checkpoint:=runs/sim/policy.pt gate:=takeover \
        operator:=ticks record:=true output_dir:=sim_corrections

Everything runs on the simulator's /clock (use_sim_time). The same commands without
`ros2 launch` are in scripts/demo.sh.
"""

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, OpaqueFunction, Shutdown
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
from launch_ros.actions import LifecycleNode, Node
from launch_ros.substitutions import FindPackageShare

from nf_policy_ros.node_config.launch_files import LAUNCH_FILES, PACKAGE

# the arguments and what each one does: nf_policy_ros/node_config/launch_files.py
SPEC = LAUNCH_FILES['sim.launch.py']


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
