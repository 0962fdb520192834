# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Start the NF-P policy node (a lifecycle node, launch_ros LifecycleNode).

    ros2 launch nf_policy_ros policy.launch.py checkpoint:=/path/policy.pt \
        image:=/camera/color/image_raw joint_states:=/joint_states \
        joint_trajectory:=/arm_controller/joint_trajectory enable_output:=false

By default the node configures and activates itself (``autostart``); with autostart:=false
it waits for a lifecycle manager or ``ros2 lifecycle set /nf_policy configure`` / ``activate``.

Arguments left empty keep the value from the params file. A camera topic ending in
/compressed (image:=/camera/color/image_raw/compressed) is read as sensor_msgs/CompressedImage
(jpeg/png). The params files key the node as /**/nf_policy, so namespace:=robot1 keeps them.
"""

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, OpaqueFunction
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
from launch_ros.actions import LifecycleNode, Node
from launch_ros.substitutions import FindPackageShare

ARGUMENTS = {
    'params_file': 'Parameters YAML of the policy node.',
    'checkpoint': 'NF-P checkpoint file (.pt); empty = keep the params file value.',
    'namespace': 'Namespace of the node and its relative topics.',
    'image': 'Camera topic of the first camera: sensor_msgs/Image, or '
             'sensor_msgs/CompressedImage (jpeg/png) for a name ending in /compressed.',
    'joint_states': 'Joint state topic (sensor_msgs/JointState).',
    'joint_trajectory': 'Output topic (trajectory_msgs/JointTrajectory), e.g. a '
                        "joint_trajectory_controller's ~/joint_trajectory (without "
                        'controller_groups; groups name their topics in the params file).',
    'forward_position': 'Topic of the optional position stream (std_msgs/Float64MultiArray), '
                        "e.g. a forward_command_controller's ~/commands.",
    'forward_position_rate_hz': 'Rate of that stream [Hz]; 0 = off; empty = params file.',
    'use_sim_time': 'Use /clock (true with a simulator).',
    'enable_output': 'Publish trajectories from the start (else call ~/enable_output).',
    'autostart': 'Configure and activate at start-up (true), or wait for the lifecycle '
                 'transitions (false); empty = params file.',
    'log_level': 'Logger level of the node.',
    'rviz': 'Also start rviz2 with config/nf_policy.rviz (robot, planned ghost, camera, '
            'confidence marker).',
}
DEFAULTS = {
    'params_file': PathJoinSubstitution([FindPackageShare('nf_policy_ros'), 'config',
                                         'policy.yaml']),
    'checkpoint': '', 'namespace': '', 'image': 'image', 'joint_states': 'joint_states',
    'joint_trajectory': 'joint_trajectory', 'forward_position': '~/forward_position',
    'forward_position_rate_hz': '', 'use_sim_time': 'false', 'enable_output': '',
    'autostart': '',
    'log_level': 'info', 'rviz': 'false',
}


def _policy_node(context, *args, **kwargs):
    value = {name: LaunchConfiguration(name).perform(context) for name in ARGUMENTS}
    overrides = {'use_sim_time': value['use_sim_time'].lower() == 'true'}
    if value['checkpoint']:
        overrides['checkpoint'] = value['checkpoint']
    if value['enable_output']:
        overrides['output_enabled'] = value['enable_output'].lower() == 'true'
    if value['autostart']:
        overrides['autostart'] = value['autostart'].lower() == 'true'
    if value['forward_position_rate_hz']:
        overrides['forward_position_rate_hz'] = float(value['forward_position_rate_hz'])
    actions = []
    if value['rviz'].lower() == 'true':
        rviz_config = PathJoinSubstitution([FindPackageShare('nf_policy_ros'), 'config',
                                            'nf_policy.rviz'])
        actions.append(Node(package='rviz2', executable='rviz2', arguments=['-d', rviz_config],
                            output='screen'))
    return actions + [LifecycleNode(
        package='nf_policy_ros', executable='policy_node', name='nf_policy',
        namespace=value['namespace'], output='screen', emulate_tty=True,
        parameters=[value['params_file'], overrides],
        remappings=[('image', value['image']), ('joint_states', value['joint_states']),
                    ('joint_trajectory', value['joint_trajectory']),
                    ('~/forward_position', value['forward_position'])],
        arguments=['--ros-args', '--log-level', value['log_level']])]


def generate_launch_description() -> LaunchDescription:
    declared = [DeclareLaunchArgument(name, default_value=DEFAULTS[name], description=text)
                for name, text in ARGUMENTS.items()]
    return LaunchDescription([*declared, OpaqueFunction(function=_policy_node)])
