# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Every module of nf_policy_ros/ imports only what its layer may, and every module of
benchmarks/ only what its room may (tables: test/layers.py)."""

from __future__ import annotations

import subprocess
import sys

from layers import (
    BENCH_MAY_IMPORT,
    BENCHMARKS_DIR,
    MAY_IMPORT,
    PACKAGE_DIR,
    ROOT,
    ROS_FREE,
    benchmark_modules,
    layer_folders,
    layer_of,
    package_modules,
    room_of,
    room_violations,
    ruff_config,
    violations,
)
import pytest


def test_every_module_lies_in_a_layer():
    modules = package_modules()
    assert len(modules) > 60  # the walk found the package
    homeless = [str(p.relative_to(ROOT)) for p in modules if layer_of(p) is None]
    assert not homeless, f'modules in no layer of test/layers.py: {homeless}'


def test_no_module_imports_against_its_layer():
    found = [line for path in package_modules() for line in violations(path)]
    assert not found, 'forbidden imports:\n' + '\n'.join(found)


def test_the_node_roles_and_the_layers_below_are_all_there():
    """The folders the table names exist (the table is not describing another tree)."""
    layers = {layer_of(p) for p in package_modules()}
    assert {'base', 'node_config', 'data', 'core', 'sim', 'tools', 'runtime', 'nodes.common',
            'nodes.clients', 'nodes.policy', 'nodes.sim', 'nodes.recording',
            'nodes.training'} <= layers


# What the check must refuse, each as one line naming file, line and module.
FORBIDDEN = [
    ('core/ema.py', 'import rclpy\n', 'core imports rclpy: core is ROS-free'),
    ('data/windows.py', 'x = 1\nfrom nf_policy_ros.core.policy import NFPolicy\n',
     'data/windows.py:2: data imports nf_policy_ros.core.policy: data may import only base'),
    ('tools/train.py', 'from nf_policy_ros import nodes\n',
     'tools imports nf_policy_ros.nodes: tools may import only'),
    ('sim/task.py', 'def f():\n    from sensor_msgs.msg import Image\n',
     'sim/task.py:2: sim imports sensor_msgs.msg: sim is ROS-free'),
    ('core/policy.py', 'from ..nodes.policy import node\n',
     'core imports nf_policy_ros.nodes.policy.node: core may import only base, data, not '
     'nodes.policy'),
    ('runtime/plan.py', 'from rclpy.time import Time\n',
     'runtime/plan.py:1: runtime imports rclpy.time: runtime is ROS-free'),
    ('runtime/budget.py', 'from nf_policy_ros.nodes.policy import outputs\n',
     'runtime imports nf_policy_ros.nodes.policy.outputs: runtime may import only'),
    ('node_config/policy.py', 'import nf_policy_ros.data.windows\n',
     'node_config imports nf_policy_ros.data.windows'),
    ('nodes/policy/node.py', 'from nf_policy_ros.nodes.sim import robot_node\n',
     'nodes.policy imports nf_policy_ros.nodes.sim.robot_node'),
    ('nodes/common/spin.py', 'from nf_policy_ros.nodes.clients.ros_client import RosClient\n',
     'nodes.common imports nf_policy_ros.nodes.clients.ros_client'),
    ('nodes/sim/evaluate.py', 'import benchmarks.report\n',
     'never imports the top-level benchmarks package'),
    ('config.py', 'from nf_policy_ros.chunks import window_offsets\n'
     'from nf_policy_ros.core import policy\n',
     'config.py:2: base imports nf_policy_ros.core.policy: base may import only itself'),
]


def test_the_check_allows_what_the_layers_allow():
    allowed = ('from nf_policy_ros.data.windows import WindowDataset\n'  # core -> data
               'from nf_policy_ros.chunks import window_offsets\n'  # core -> base
               'from nf_policy_ros.core import sampling\n'  # core -> core
               'import torch\n')
    assert violations(PACKAGE_DIR / 'core' / 'training.py', allowed) == []
    assert violations(PACKAGE_DIR / 'nodes' / 'sim' / 'collect_demos.py',
                      'import rclpy\nfrom nf_policy_ros.nodes.clients import ros_client\n'
                      'from nf_policy_ros.nodes.common.spin import spin_node\n') == []


def test_a_module_outside_the_layer_folders_is_refused():
    assert layer_of(PACKAGE_DIR / 'nodes' / 'helpers.py') is None
    assert layer_of(PACKAGE_DIR / 'nodes' / 'newrole' / 'x.py') is None
    assert layer_of(PACKAGE_DIR / 'newlayer' / 'x.py') is None
    assert 'in no layer' in violations(PACKAGE_DIR / 'newlayer' / 'x.py', 'import os\n')[0]


def test_only_nodes_may_import_ros():
    assert set(ROS_FREE) == {layer for layer in MAY_IMPORT if not layer.startswith('nodes')
                             and layer != 'bench'}


def test_each_layer_folder_has_the_ruff_config_of_its_layer():
    folders = layer_folders()
    assert 'core' in folders and 'nodes.policy' in folders
    stale = [str(folder.relative_to(ROOT) / 'ruff.toml') for layer, folder in folders.items()
             if not (folder / 'ruff.toml').is_file()
             or (folder / 'ruff.toml').read_text() != ruff_config(layer)]
    assert not stale, f'{stale} out of date: python test/layers.py --write'
    assert '"TID251"' in (ROOT / 'ruff.toml').read_text()


@pytest.mark.parametrize('where,source,module', [
    ('nf_policy_ros/core/ema.py', 'import rclpy\n', 'rclpy'),
    ('nf_policy_ros/data/windows.py', 'from nf_policy_ros.core.policy import NFPolicy\n',
     'nf_policy_ros.core'),
    ('nf_policy_ros/nodes/policy/node.py', 'from nf_policy_ros.nodes.sim import robot_node\n',
     'nf_policy_ros.nodes.sim'),
    ('nf_policy_ros/config.py', 'from nf_policy_ros.node_config.policy import SafetyConfig\n',
     'nf_policy_ros.node_config'),
])
def test_ruff_reports_a_forbidden_import(where, source, module):
    """ruff, with the configs found from the file's place (as `ruff check .` does)."""
    result = subprocess.run([sys.executable, '-m', 'ruff', 'check', '--select', 'TID251',
                             '--stdin-filename', where, '-'], input=source, cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f'`{module}` is banned' in result.stdout


def test_the_runtime_layer_is_ros_free_and_below_the_nodes():
    """nf_policy_ros/runtime/ (the ROS-free parts of the running nodes) has its rules
    before its folder: it never imports ROS or a node, and every node role may import it."""
    gate = PACKAGE_DIR / 'runtime' / 'gate.py'
    assert layer_of(gate) == 'runtime' and 'runtime' in ROS_FREE
    assert all('runtime' in MAY_IMPORT[layer] for layer in MAY_IMPORT
               if layer.startswith('nodes'))
    assert 'rclpy' in violations(gate, 'import rclpy\n')[0]
    assert 'runtime may import only' in violations(
        gate, 'from nf_policy_ros.nodes.policy import plan\n')[0]
    assert violations(gate, 'from nf_policy_ros.core.confidence import Calibration\n') == []
    assert 'runtime' not in MAY_IMPORT['core'] and 'runtime' not in MAY_IMPORT['data']


def test_every_benchmark_module_lies_in_a_room():
    modules = benchmark_modules()
    assert len(modules) > 40
    homeless = [str(p.relative_to(ROOT)) for p in modules if room_of(p) is None]
    assert not homeless, f'benchmark modules in no room of test/layers.py: {homeless}'
    assert {room_of(p) for p in modules} == set(BENCH_MAY_IMPORT)


def test_no_benchmark_module_imports_against_its_room():
    found = [line for path in benchmark_modules() for line in room_violations(path)]
    assert not found, 'forbidden imports:\n' + '\n'.join(found)


BENCH_FORBIDDEN = [
    ('pages/tier_page.py', 'from benchmarks.runs import run_dirs\n',
     'pages imports benchmarks.runs.run_dirs: pages may import only protocol, not runs'),
    ('protocol/kinds.py', 'def f():\n    from benchmarks.pages import records\n',
     'protocol/kinds.py:2: protocol imports benchmarks.pages.records'),
    ('baselines/diffusion.py', 'from benchmarks.protocol import kinds\n',
     'baselines may import only itself, not protocol'),
    ('experiments/ablations.py', 'from benchmarks import state_tier\n',
     'experiments imports benchmarks.state_tier: experiments may import only'),
    ('runs/run_dirs.py', 'from benchmarks.experiments import learning_curve\n',
     'runs imports benchmarks.experiments.learning_curve'),
]


# (check, its folder, file, source, what the one refusal says): the package's layers, then
# the benchmarks' rooms
CHECKS = ([(violations, PACKAGE_DIR, *case) for case in FORBIDDEN]
          + [(room_violations, BENCHMARKS_DIR, *case) for case in BENCH_FORBIDDEN])


@pytest.mark.parametrize('check,folder,where,source,expected', CHECKS)
def test_the_check_refuses_a_forbidden_import(check, folder, where, source, expected):
    found = check(folder / where, source)
    assert len(found) == 1, found
    assert expected in found[0]
    assert found[0].startswith(f'{folder.name}/{where}:')
