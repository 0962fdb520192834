# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Train NF-P from a dataset cache with the training node.

    ros2 launch nf_policy_ros train.launch.py dataset:=data/pick output_dir:=runs/pick

Progress: `ros2 topic echo /nf_policy_train/status`; stop (resumable):
`ros2 service call /nf_policy_train/stop std_srvs/srv/Trigger`.
"""

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
from launch_ros.actions import Node
from launch_ros.substitutions import FindPackageShare


def generate_launch_description() -> LaunchDescription:
    args = [
        DeclareLaunchArgument('params_file', default_value=PathJoinSubstitution(
            [FindPackageShare('nf_policy_ros'), 'config', 'train.yaml']),
            description='Training parameters (config/train.yaml).'),
        DeclareLaunchArgument('dataset', description='Directory from bag_to_dataset.'),
        DeclareLaunchArgument('output_dir', description='Run directory.'),
        DeclareLaunchArgument('device', default_value='auto', description='auto|cpu|cuda'),
        DeclareLaunchArgument('resume', default_value='false', description='Continue a run.'),
    ]
    node = Node(package='nf_policy_ros', executable='train_node', name='nf_policy_train',
                output='screen', parameters=[
                    LaunchConfiguration('params_file'),
                    {'dataset': LaunchConfiguration('dataset'),
                     'output_dir': LaunchConfiguration('output_dir'),
                     'device': LaunchConfiguration('device'),
                     'resume': LaunchConfiguration('resume')}])
    return LaunchDescription([*args, node])
