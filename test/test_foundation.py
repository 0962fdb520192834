# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The package as users get it: ROS-free layers, colcon install layout, a real node process."""

from __future__ import annotations

import json
import subprocess
import sys
import threading

from ament_index_python.packages import get_package_prefix, get_package_share_directory
from diagnostic_msgs.msg import DiagnosticArray
from layers import ROS_FREE, layer_of, module_name, package_modules
from ros_helpers import EXECUTABLES, INSTALL, ROOT, SHARE, NodeProcess, RosTestNode, wait_for

# Imports every module of the ROS-free layers in one fresh interpreter and names, for each
# ROS module that got loaded, the package module whose import loaded it (through any
# third-party import too: test_layers.py reads only the package's own import statements).
LOADS_ROS = (
    'import importlib, json, sys\n'
    'sys.path.insert(0, sys.argv[1])\n'
    'from layers import is_ros\n'
    'loaded = {}\n'
    'for name in sys.argv[2:]:\n'
    '    before = {m for m in sys.modules if is_ros(m)}\n'
    '    importlib.import_module(name)\n'
    '    new = {m for m in sys.modules if is_ros(m)} - before\n'
    '    if new:\n'
    "        loaded[name] = sorted({m.split('.')[0] for m in new})\n"
    'print(json.dumps(loaded))\n')


def ros_loaded_by(modules: list[str]) -> dict[str, list[str]]:
    """Module -> the ROS packages its import loaded (none: not in the dict)."""
    result = subprocess.run([sys.executable, '-c', LOADS_ROS, str(ROOT / 'test'), *modules],
                            capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_the_ros_free_layers_never_load_ros():
    """Every module below nodes/ (walked, not listed), imported as training on a GPU box
    without ROS would."""
    modules = [module_name(p) for p in package_modules() if layer_of(p) in ROS_FREE]
    assert 'nf_policy_ros.core.training' in modules and 'nf_policy_ros.data.bag' in modules
    assert ros_loaded_by(modules) == {}


def test_the_ros_check_names_the_module_that_loads_ros():
    """The check above can fail: a module that imports rclpy is named with what it loaded."""
    loaded = ros_loaded_by(['nf_policy_ros.config', 'nf_policy_ros.nodes.common.spin'])
    assert list(loaded) == ['nf_policy_ros.nodes.common.spin']
    assert 'rclpy' in loaded['nf_policy_ros.nodes.common.spin']


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
                 'demo_recorder', 'collect_demos', 'evaluate', 'policy_ctl'):
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
