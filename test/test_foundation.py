# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The package as users get it: layering, colcon install layout, a real node process."""

from __future__ import annotations

import subprocess
import sys
import threading

from ament_index_python.packages import get_package_prefix, get_package_share_directory
from diagnostic_msgs.msg import DiagnosticArray
import pytest
from ros_helpers import EXECUTABLES, INSTALL, ROOT, SHARE, NodeProcess, RosTestNode, wait_for

ROS_FREE_MODULES = [
    'nf_policy_ros.config', 'nf_policy_ros.structs', 'nf_policy_ros.core.policy',
    'nf_policy_ros.core.training', 'nf_policy_ros.core.checkpoint',
    'nf_policy_ros.core.sampling', 'nf_policy_ros.data.windows', 'nf_policy_ros.data.bag',
    'nf_policy_ros.tools.train', 'nf_policy_ros.sim.experts',
]


@pytest.mark.parametrize('module', ROS_FREE_MODULES)
def test_core_and_data_never_load_ros(module):
    code = ('import sys, importlib; importlib.import_module(sys.argv[1]); '
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('rclpy', 'rosidl_parser')"
            " or m.split('.')[0].endswith('_msgs') or m.split('.')[0].endswith('_srvs'));"
            'print(bad); sys.exit(1 if bad else 0)')
    result = subprocess.run([sys.executable, '-c', code, module], capture_output=True,
                            text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, f'{module} loaded ROS modules: {result.stdout}{result.stderr}'


def test_layering_check_catches_a_ros_import():
    """The check above must be able to fail: importing rclpy is detected."""
    code = ("import sys, rclpy; bad = [m for m in sys.modules if m.split('.')[0] == 'rclpy'];"
            'sys.exit(1 if bad else 0)')
    assert subprocess.run([sys.executable, '-c', code], timeout=60).returncode == 1


def test_colcon_install_layout():
    marker = INSTALL / 'share' / 'ament_index' / 'resource_index' / 'packages' / 'nf_policy_ros'
    assert marker.exists()
    assert (SHARE / 'package.xml').exists()
    assert (SHARE / 'config' / 'policy.yaml').exists()
    assert (SHARE / 'config' / 'train.yaml').exists()
    assert (SHARE / 'config' / 'nf_policy.rviz').exists()
    assert (SHARE / 'launch' / 'train.launch.py').exists()
    assert (SHARE / 'launch' / 'policy.launch.py').exists()
    assert (SHARE / 'launch' / 'sim.launch.py').exists()
    assert (SHARE / 'config' / 'sim_policy.yaml').exists()
    for name in ('policy_node', 'train_node', 'bag_to_dataset', 'train', 'sim_robot_node',
                 'demo_recorder', 'collect_demos', 'evaluate'):
        assert (EXECUTABLES / name).exists(), name


def test_ament_index_finds_the_package():
    assert get_package_share_directory('nf_policy_ros') == str(SHARE)
    assert get_package_prefix('nf_policy_ros') == str(INSTALL)


def test_installed_node_reads_params_file_and_exits_cleanly(tmp_path):
    """policy_node with the shipped params file (+ one override) on real DDS."""
    test = RosTestNode()
    seen: list[DiagnosticArray] = []
    lock = threading.Lock()

    def on_diag(msg: DiagnosticArray) -> None:
        with lock:
            seen.append(msg)

    test.node.create_subscription(DiagnosticArray, '/diagnostics', on_diag, 10)
    node = NodeProcess('policy_node', ['--params-file', str(SHARE / 'config' / 'policy.yaml'),
                                       '-p', 'control_rate_hz:=12.5'], tmp_path)
    try:
        def reported() -> bool:
            with lock:
                return any(v.key == 'control_rate_hz' and v.value == '12.5'
                           for msg in seen for s in msg.status for v in s.values)
        wait_for(reported, 60, 'diagnostics with control_rate_hz=12.5', node)
        with lock:
            status = seen[-1].status[0]
        assert 'no checkpoint' in status.message
        assert node.stop() == 0
    finally:
        if node.alive():
            node.stop()
        test.close()


def test_ruff_lint_passes():
    result = subprocess.run([sys.executable, '-m', 'ruff', 'check', '.'], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
