# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""ament_python package definition: the repository root is the ROS 2 package."""

from glob import glob

from setuptools import find_packages, setup

PACKAGE = 'nf_policy_ros'

CONSOLE_SCRIPTS = [
    'policy_node = nf_policy_ros.nodes.policy.node:main',
    'train_node = nf_policy_ros.nodes.training.train_node:main',
    'bag_to_dataset = nf_policy_ros.tools.bag_to_dataset:main',
    'train = nf_policy_ros.tools.train:main',
    'sim_robot_node = nf_policy_ros.nodes.sim.robot_node:main',
    'demo_recorder = nf_policy_ros.nodes.recording.demo_recorder:main',
    'collect_demos = nf_policy_ros.nodes.sim.collect_demos:main',
    'evaluate = nf_policy_ros.nodes.sim.evaluate:main',
    'policy_ctl = nf_policy_ros.nodes.clients.policy_ctl:main',
]

setup(
    name=PACKAGE,
    version='0.1.0',
    packages=find_packages(include=[PACKAGE, f'{PACKAGE}.*']),
    data_files=[
        ('share/ament_index/resource_index/packages', [f'resource/{PACKAGE}']),
        (f'share/{PACKAGE}', ['package.xml']),
        (f'share/{PACKAGE}/launch', glob('launch/*.launch.py')),
        (f'share/{PACKAGE}/config', glob('config/*.yaml') + glob('config/*.rviz')),
    ],
    install_requires=['setuptools'],
    zip_safe=True,
    maintainer='nf_policy_ros maintainers',
    maintainer_email='maintainers@nf-policy-ros.invalid',
    description='Normalizing Flows Policy (NF-P) for closed-loop robot control on ROS 2',
    license='Apache-2.0',
    tests_require=['pytest'],
    entry_points={'console_scripts': CONSOLE_SCRIPTS},
)
