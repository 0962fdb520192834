# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""launch_pytest tests of policy.launch.py and sim.launch.py (need a full ROS 2 install).

The same behaviour is covered without `launch` by test_foundation.py and test_policy_node.py,
which start the installed executable with the shipped params file.
"""

from __future__ import annotations

import pytest

launch_pytest = pytest.importorskip(
    'launch_pytest', reason='launch/launch_pytest are not installable from PyPI on this '
    'machine; this test runs on a full ROS 2 install (apt ros-<distro>-launch-pytest)')

from launch import LaunchDescription
from launch.actions import ExecuteProcess
from launch_pytest.tools import process as process_tools


@pytest.fixture
def policy_launch():
    """`ros2 launch` of the installed launch file, as a user runs it."""
    return ExecuteProcess(cmd=['ros2', 'launch', 'nf_policy_ros', 'policy.launch.py',
                               'log_level:=info'], cached_output=True, output='screen')


@launch_pytest.fixture
def launch_description(policy_launch):
    return LaunchDescription([policy_launch, launch_pytest.actions.ReadyToTest()])


@pytest.mark.launch(fixture=launch_description, shutdown=True)
def test_policy_launch_starts_the_node_fail_safe(policy_launch, launch_context):
    """Without a checkpoint the launched node stays up and says why it publishes nothing."""
    def says_unconfigured(output: str) -> None:
        assert 'unconfigured: no checkpoint configured' in output

    assert process_tools.wait_for_output_sync(launch_context, policy_launch,
                                              says_unconfigured, timeout=60)


@pytest.fixture
def manual_launch():
    return ExecuteProcess(cmd=['ros2', 'launch', 'nf_policy_ros', 'policy.launch.py',
                               'autostart:=false'], cached_output=True, output='screen')


@launch_pytest.fixture
def manual_launch_description(manual_launch):
    return LaunchDescription([manual_launch, launch_pytest.actions.ReadyToTest()])


@pytest.mark.launch(fixture=manual_launch_description, shutdown=True)
def test_policy_launch_without_autostart_waits_for_configure(manual_launch, launch_context):
    """autostart:=false: the LifecycleNode waits, unconfigured, for `ros2 lifecycle set`."""
    def waits(output: str) -> None:
        assert 'unconfigured: waiting for the configure transition' in output

    assert process_tools.wait_for_output_sync(launch_context, manual_launch, waits,
                                              timeout=60)


@pytest.fixture
def sim_launch():
    return ExecuteProcess(cmd=['ros2', 'launch', 'nf_policy_ros', 'sim.launch.py',
                               'real_time_factor:=0.0'], cached_output=True, output='screen')


@launch_pytest.fixture
def sim_launch_description(sim_launch):
    return LaunchDescription([sim_launch, launch_pytest.actions.ReadyToTest()])


@pytest.mark.launch(fixture=sim_launch_description, shutdown=True)
def test_sim_launch_starts_the_robot(sim_launch, launch_context):
    """sim.launch.py brings up the simulated arm (test_sim_ros.py covers it without launch)."""
    def robot_up(output: str) -> None:
        assert 'drawer-open: 12.5 ms per step' in output

    assert process_tools.wait_for_output_sync(launch_context, sim_launch, robot_up, timeout=60)
