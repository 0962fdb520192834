# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The simulated Sawyer arm, optionally with the demo recorder and/or a trained policy.

    # record demonstrations (then: ros2 run nf_policy_ros collect_demos --demos 30)
    ros2 launch nf_policy_ros sim.launch.py record:=true output_dir:=demos
    # let a trained policy drive it (arm it: ros2 service call /nf_policy/enable_output ...)
    ros2 launch nf_policy_ros sim.launch.py checkpoint:=runs/sim/policy.pt \
        real_time_factor:=0.25 rviz:=true

Everything runs on the simulator's /clock (use_sim_time). The same commands without
`ros2 launch` are in scripts/demo.sh.
"""

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, OpaqueFunction
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
from launch_ros.actions import Node
from launch_ros.substitutions import FindPackageShare

ARGUMENTS = {
    'task': 'Meta-World v3 task of the robot.',
    'image_size': 'Camera width and height [px].',
    'real_time_factor': 'Simulated seconds per wall second (0 = as fast as possible).',
    'record': 'Start demo_recorder (one MCAP bag per episode; ~/start, ~/stop).',
    'output_dir': 'Where demo_recorder writes its bags.',
    'checkpoint': 'NF-P checkpoint: start policy_node with config/sim_policy.yaml.',
    'rviz': 'Also start rviz2 with config/nf_policy.rviz.',
}
DEFAULTS = {'task': 'drawer-open', 'image_size': '32', 'real_time_factor': '1.0',
            'record': 'false', 'output_dir': 'demos', 'checkpoint': '', 'rviz': 'false'}
RECORDED_TOPICS = ['/image', '/joint_states', '/sim_robot/reference']


def _config(name: str) -> PathJoinSubstitution:
    return PathJoinSubstitution([FindPackageShare('nf_policy_ros'), 'config', name])


def _nodes(context, *args, **kwargs):
    value = {name: LaunchConfiguration(name).perform(context) for name in ARGUMENTS}
    size = int(value['image_size'])
    nodes = [Node(package='nf_policy_ros', executable='sim_robot_node', name='sim_robot',
                  output='screen', parameters=[{
                      'task': value['task'], 'image_width': size, 'image_height': size,
                      'real_time_factor': float(value['real_time_factor'])}])]
    if value['record'].lower() == 'true':
        nodes.append(Node(package='nf_policy_ros', executable='demo_recorder',
                          name='demo_recorder', output='screen', parameters=[{
                              'output_dir': value['output_dir'], 'topics': RECORDED_TOPICS,
                              'log_time': 'header', 'use_sim_time': True}]))
    if value['checkpoint']:
        nodes.append(Node(package='nf_policy_ros', executable='policy_node', name='nf_policy',
                          output='screen', emulate_tty=True,
                          parameters=[_config('sim_policy.yaml'),
                                      {'checkpoint': value['checkpoint']}]))
    if value['rviz'].lower() == 'true':
        nodes.append(Node(package='rviz2', executable='rviz2', output='screen',
                          arguments=['-d', _config('nf_policy.rviz')],
                          parameters=[{'use_sim_time': True}]))
    return nodes


def generate_launch_description() -> LaunchDescription:
    declared = [DeclareLaunchArgument(name, default_value=DEFAULTS[name], description=text)
                for name, text in ARGUMENTS.items()]
    return LaunchDescription([*declared, OpaqueFunction(function=_nodes)])
