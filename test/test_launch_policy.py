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


def ros2_launch(launch_file: str, *arguments: str) -> ExecuteProcess:
    """`ros2 launch` of an installed launch file, as a user runs it."""
    return ExecuteProcess(cmd=['ros2', 'launch', 'nf_policy_ros', launch_file, *arguments],
                          cached_output=True, output='screen')


def wait_for_line(context, action: ExecuteProcess, text: str, timeout: float = 60) -> None:
    """Wait (while the launch runs) until ``text`` appears on the action's stdout; the
    check returns a bool as launch_pytest's waiter expects, and the assert below names
    what was missing."""
    process_tools.wait_for_output_sync(context, action, lambda out: text in out, timeout)
    assert text in action.get_stdout(), f'{text!r} not printed within {timeout} s'


@pytest.fixture
def policy_launch():
    return ros2_launch('policy.launch.py', 'log_level:=info')


@launch_pytest.fixture
def launch_description(policy_launch):
    return LaunchDescription([policy_launch, launch_pytest.actions.ReadyToTest()])


@pytest.mark.launch(fixture=launch_description)
def test_policy_launch_starts_the_node_fail_safe(policy_launch, launch_context):
    """Without a checkpoint the launched node stays up and says why it publishes nothing."""
    wait_for_line(launch_context, policy_launch, 'unconfigured: no checkpoint configured')


@pytest.fixture
def manual_launch():
    return ros2_launch('policy.launch.py', 'autostart:=false')


@launch_pytest.fixture
def manual_launch_description(manual_launch):
    return LaunchDescription([manual_launch, launch_pytest.actions.ReadyToTest()])


@pytest.mark.launch(fixture=manual_launch_description)
def test_policy_launch_without_autostart_waits_for_configure(manual_launch, launch_context):
    """autostart:=false: the LifecycleNode waits, unconfigured, for `ros2 lifecycle set`."""
    wait_for_line(launch_context, manual_launch,
                  'unconfigured: waiting for the configure transition')


@pytest.fixture
def sim_launch():
    return ros2_launch('sim.launch.py', 'real_time_factor:=0.0')


@launch_pytest.fixture
def sim_launch_description(sim_launch):
    return LaunchDescription([sim_launch, launch_pytest.actions.ReadyToTest()])


@pytest.mark.launch(fixture=sim_launch_description)
def test_sim_launch_starts_the_robot(sim_launch, launch_context):
    """sim.launch.py brings up the simulated arm (test_sim_ros.py covers it without launch)."""
    wait_for_line(launch_context, sim_launch, 'drawer-open: 12.5 ms per step')
