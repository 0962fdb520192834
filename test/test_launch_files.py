# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Every argument of every launch file does what it says (issue 34, findings 3 and 11).

Without `launch` (CI): the launch files take their arguments and nodes from
nf_policy_ros/node_config/launch_files.py, which is checked argument by argument, against
every documented `ros2 launch` command, and by starting the described policy node. With a
`ros2 launch` on PATH (a full ROS install, or the local check of ../shared/ENV.md) the
launch files themselves run: arguments reach the node, Ctrl-C ends the launch, and
exit_when_done:=true ends it when training does.
"""

from __future__ import annotations

import ast
import importlib.util
import os
from pathlib import Path
import re
import shutil
import signal
import subprocess
import time

from doc_blocks import read_blocks
from policy_fixtures import make_checkpoint
import pytest
from ros_helpers import SHARE, NodeProcess, RosTestNode, wait_for
import yaml

from nf_policy_ros.config_tree import ConfigError
from nf_policy_ros.node_config.launch_files import LAUNCH_FILES, NodeStart

ROOT = Path(__file__).resolve().parents[1]
LAUNCH_DIR = ROOT / 'launch'
DOCUMENTS = [ROOT / 'README.md', *sorted((ROOT / 'docs').glob('*.md'))]
COMMAND = re.compile(r'ros2 launch nf_policy_ros ([\w.]+\.py)'  # the file, then name:=value
                     r'((?:[ \t]+(?:\\\n[ \t]*)?\w+:=[^\s`]+)*)')

# per launch file: values that switch every optional part on, and for each argument one
# value other than its base value (a new argument needs an entry: the test names it)
BASE = {
    'policy.launch.py': {'rviz': 'true'},
    'sim.launch.py': {'record': 'true', 'checkpoint': 'runs/sim/policy.pt', 'rviz': 'true'},
    'train.launch.py': {'dataset': 'data/task', 'output_dir': 'runs/task'},
}
OTHER = {
    'policy.launch.py': {
        'params_file': 'my_policy.yaml', 'checkpoint': 'runs/task/policy.pt',
        'namespace': 'robot1', 'image': '/cam/other', 'joint_states': '/arm/joint_states',
        'joint_trajectory': '/arm_controller/joint_trajectory',
        'forward_position': '/forward_position_controller/commands',
        'forward_position_rate_hz': '100', 'use_sim_time': 'true', 'enable_output': 'true',
        'autostart': 'false', 'log_level': 'debug', 'rviz': 'false'},
    'sim.launch.py': {
        'task': 'pick-place', 'image_size': '64', 'real_time_factor': '0.25',
        'record': 'false', 'output_dir': 'other_demos', 'checkpoint': '', 'rviz': 'false',
        'gate': 'takeover', 'enable_output': 'true', 'operator': 'ticks',
        'operator_ticks': '5'},
    'train.launch.py': {
        'params_file': 'my_train.yaml', 'dataset': 'data/other', 'output_dir': 'runs/other',
        'device': 'cpu', 'resume': 'true', 'overwrite': 'true', 'exit_when_done': 'true'},
}


def started(launch_file: str, **given: str) -> list[NodeStart]:
    return LAUNCH_FILES[launch_file].resolve(given, SHARE)


def policy_node(**given: str) -> NodeStart:
    (node,) = [n for n in started('policy.launch.py', **given) if n.executable == 'policy_node']
    return node


# ---- the launch files and their arguments, without `launch` -------------------------------
def _literal_names(tree: ast.AST, function: str) -> set[str]:
    """First arguments of calls to ``function`` that are string literals."""
    return {call.args[0].value for call in ast.walk(tree)
            if isinstance(call, ast.Call) and getattr(call.func, 'id', None) == function
            and call.args and isinstance(call.args[0], ast.Constant)}


def test_each_launch_file_declares_the_arguments_of_its_description_only():
    files = sorted(p.name for p in LAUNCH_DIR.glob('*.launch.py'))
    assert files == sorted(LAUNCH_FILES), 'every launch file needs its LaunchFile entry'
    for name in files:
        tree = ast.parse((LAUNCH_DIR / name).read_text())
        keys = {node.slice.value for node in ast.walk(tree) if isinstance(node, ast.Subscript)
                and getattr(node.value, 'id', None) == 'LAUNCH_FILES'}
        assert keys == {name}, f'{name} must take its arguments from LAUNCH_FILES[{name!r}]'
        literal = _literal_names(tree, 'DeclareLaunchArgument') | _literal_names(
            tree, 'LaunchConfiguration')
        assert not literal, (f'{name} declares or reads {sorted(literal)} by hand: add them '
                             'to its LaunchFile so that the tests check them')


@pytest.mark.parametrize('launch_file', sorted(LAUNCH_FILES))
def test_every_argument_changes_what_the_launch_starts(launch_file):
    spec = LAUNCH_FILES[launch_file]
    assert set(OTHER[launch_file]) == set(spec.names), 'give each argument a test value'
    base = started(launch_file, **BASE[launch_file])
    for name, value in OTHER[launch_file].items():
        changed = started(launch_file, **{**BASE[launch_file], name: value})
        assert changed != base, f'{launch_file}: {name}:={value} changes nothing it starts'
    packages = [node.package == 'nf_policy_ros' for node in base]
    assert packages == sorted(packages), 'rviz2 first: if it is missing, nothing started'


def test_image_replaces_the_first_camera_of_the_params_file(tmp_path):
    """Finding 11: with a params file naming its cameras, image:= used to do nothing."""
    one = tmp_path / 'one.yaml'
    one.write_text(yaml.safe_dump({'/**/nf_policy': {'ros__parameters': {
        'camera_topics': ['/camera/color/image_raw/compressed']}}}))
    node = policy_node(params_file=str(one), image='/cam/other')
    assert node.overrides()['camera_topics'] == ['/cam/other']
    two = tmp_path / 'two.yaml'
    two.write_text(yaml.safe_dump({'robot1': {'nf_policy': {'ros__parameters': {
        'camera_topics': ['/cam/front', '/cam/wrist']}}}}))
    node = policy_node(params_file=str(two), namespace='robot1', image='/cam/other')
    assert node.overrides()['camera_topics'] == ['/cam/other', '/cam/wrist']
    assert 'camera_topics' not in policy_node(params_file=str(two)).overrides()
    default = policy_node(image='/cam/other')  # the shipped config/policy.yaml: [image]
    assert default.overrides()['camera_topics'] == ['/cam/other']


def test_train_launch_exposes_exit_when_done_and_ends_with_the_node():
    """Finding 3: exit_when_done:=true reaches train_node and its exit ends the launch."""
    (node,) = started('train.launch.py', dataset='d', output_dir='o', exit_when_done='true')
    assert node.overrides()['exit_when_done'] is True and node.ends_launch
    (node,) = started('train.launch.py', dataset='d', output_dir='o')
    assert node.overrides()['exit_when_done'] is False and not node.ends_launch
    assert float(node.node_kwargs()['sigterm_timeout']) >= 60, 'Ctrl-C leaves time to save'


@pytest.mark.parametrize('launch_file, given, expected', [
    ('policy.launch.py', {'rviz': 'yes'}, "rviz:='yes' is invalid: expected true or false"),
    ('policy.launch.py', {'forward_position_rate_hz': 'fast'},
     "forward_position_rate_hz:='fast' is invalid: expected a number"),
    ('sim.launch.py', {'image_size': '32px'}, "image_size:='32px' is invalid: expected an "
                                              'integer'),
    ('sim.launch.py', {'operator': 'human'}, "operator:='human' is invalid: expected one of "
                                             "['off', 'ticks', 'until_released']"),
    ('sim.launch.py', {'checkpoint': 'p.pt', 'gate': 'stop'}, "gate:='stop' is invalid"),
    ('sim.launch.py', {'gate': 'takeover'}, "gate:='takeover' needs checkpoint:=<policy.pt>"),
    ('train.launch.py', {'dataset': 'd'}, 'argument output_dir is required'),
    ('train.launch.py', {'dataset': 'd', 'output_dir': 'o', 'epochs': '3'},
     "unknown argument(s) ['epochs']"),
])
def test_a_bad_argument_is_one_line_naming_it(launch_file, given, expected):
    with pytest.raises(ConfigError) as caught:
        started(launch_file, **given)
    assert expected in str(caught.value) and '\n' not in str(caught.value)


def documented_commands() -> list[tuple[str, str, dict[str, str]]]:
    """(where, launch file, arguments) of every `ros2 launch nf_policy_ros` command in the
    README, docs/ and the launch files' own docstrings."""
    found = []
    for path in [*DOCUMENTS, *sorted(LAUNCH_DIR.glob('*.launch.py'))]:
        for match in COMMAND.finditer(path.read_text()):
            words = match.group(2).replace('\\\n', ' ').split()
            where = f'{path.relative_to(ROOT)}: {" ".join(match.group(0).split())}'
            found.append((where, match.group(1), dict(w.split(':=', 1) for w in words)))
    return found


def test_every_documented_launch_command_uses_arguments_that_take_effect(tmp_path,
                                                                        monkeypatch):
    commands = documented_commands()
    assert {c[1] for c in commands} >= set(LAUNCH_FILES), 'every launch file is documented'
    robot_policy = next(b for b in read_blocks(ROOT / 'docs' / 'robot.md')
                        if b.argument == 'file my_policy.yaml')
    (tmp_path / 'my_policy.yaml').write_text(robot_policy.text)  # as the guide writes it
    monkeypatch.chdir(tmp_path)  # where the commands' relative files are
    for where, launch_file, given in commands:
        assert launch_file in LAUNCH_FILES, f'{where}: no such launch file'
        spec = LAUNCH_FILES[launch_file]
        assert set(given) <= set(spec.names), f'{where}: unknown {set(given) - set(spec.names)}'
        required = {a.name: 'x' for a in spec.arguments if a.default is None}
        full = started(launch_file, **{**required, **given})
        for name, value in given.items():
            rest = {k: v for k, v in given.items() if k != name}
            if value != next(a.default for a in spec.arguments if a.name == name):
                try:
                    without = started(launch_file, **{**required, **rest})
                except ConfigError:
                    continue  # another argument needs it (gate:= needs checkpoint:=)
                assert without != full, f'{where}: {name}:={value} changes nothing'
        if 'image' in given:
            node = next(n for n in full if n.executable == 'policy_node')
            assert node.overrides()['camera_topics'][0] == given['image'], where


# ---- the policy node started as policy.launch.py describes it (no `launch` needed) ------
def ros_args(node: NodeStart, folder: Path) -> list[str]:
    """The --ros-args of a launched node: params files, then the values (as a params
    file), remappings, namespace, name, and its own arguments."""
    args = []
    for i, entry in enumerate(node.parameters):
        if isinstance(entry, dict):
            path = folder / f'{node.name}_{i}.yaml'
            path.write_text(yaml.safe_dump({'/**': {'ros__parameters': entry}}))
            entry = path
        args += ['--params-file', str(entry)]
    for source, target in node.remappings:
        args += ['-r', f'{source}:={target}']
    if node.namespace:
        args += ['-r', f'__ns:=/{node.namespace}']
    extra = list(node.arguments)
    if extra[:1] == ['--ros-args']:
        extra = extra[1:]
    return [*args, '-r', f'__node:={node.name}', *extra]


def test_the_launched_policy_node_subscribes_the_image_argument(tmp_path):
    """Finding 11 end to end: the doc's params file names a compressed camera; with
    image:=/cam/other the node subscribes /cam/other and not the params file's topic."""
    checkpoint = make_checkpoint(tmp_path / 'ckpt')
    params = tmp_path / 'my_policy.yaml'
    params.write_text(yaml.safe_dump({'/**/nf_policy': {'ros__parameters': {
        'camera_topics': ['/camera/color/image_raw/compressed'],
        'sampling': {'num_candidates': 8}}}}))
    node = policy_node(params_file=str(params), checkpoint=str(checkpoint), image='/cam/other')
    test = RosTestNode('launch_args_test')
    proc = NodeProcess('policy_node', ros_args(node, tmp_path), tmp_path)
    try:
        wait_for(lambda: test.node.count_subscribers('/cam/other') > 0, 60,
                 'a subscription on /cam/other', proc)
        assert test.node.count_subscribers('/camera/color/image_raw/compressed') == 0
    finally:
        assert proc.stop() == 0, proc.output()
        test.close()


# ---- the launch files under a real `ros2 launch` (skipped where there is none) ----------
def _ros2_launch_available() -> bool:
    return (shutil.which('ros2') is not None and importlib.util.find_spec('launch') is not None
            and importlib.util.find_spec('ros2launch') is not None)


needs_ros2_launch = pytest.mark.skipif(
    not _ros2_launch_available(), reason='needs `ros2 launch` (a full ROS 2 install, or '
    'the local check of ../shared/ENV.md); the tests above cover the arguments without it')


class Launch:
    """`ros2 launch nf_policy_ros <file> <args>` as a process; output in a file."""

    def __init__(self, folder: Path, launch_file: str, *args: str) -> None:
        self.log_path = folder / f'{launch_file}.log'
        self._log = self.log_path.open('w')
        self.proc = subprocess.Popen(['ros2', 'launch', 'nf_policy_ros', launch_file, *args],
                                     stdout=self._log, stderr=subprocess.STDOUT,
                                     env={**os.environ, 'OMP_NUM_THREADS': '1'})

    def output(self) -> str:
        self._log.flush()
        return self.log_path.read_text()

    def ctrl_c(self, timeout: float = 60) -> int:
        """SIGINT, as Ctrl-C in the terminal; the exit code (fails if the launch hangs)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise AssertionError(f'ros2 launch did not end on SIGINT:\n{self.output()}') from None


@needs_ros2_launch
def test_ros2_launch_policy_subscribes_the_image_argument_and_ends_on_ctrl_c(tmp_path):
    checkpoint = make_checkpoint(tmp_path / 'ckpt')
    params = tmp_path / 'my_policy.yaml'
    params.write_text(yaml.safe_dump({'/**/nf_policy': {'ros__parameters': {
        'camera_topics': ['/camera/color/image_raw/compressed'],
        'sampling': {'num_candidates': 8}}}}))
    test = RosTestNode('launch_check')
    launch = Launch(tmp_path, 'policy.launch.py', f'params_file:={params}',
                    f'checkpoint:={checkpoint}', 'image:=/cam/other')
    try:
        deadline = time.monotonic() + 90
        while test.node.count_subscribers('/cam/other') == 0:
            assert launch.proc.poll() is None, launch.output()
            assert time.monotonic() < deadline, f'no subscription on /cam/other:\n' \
                                                f'{launch.output()}'
            time.sleep(0.1)
    finally:
        code = launch.ctrl_c()
        test.close()
    assert code == 0, launch.output()


@needs_ros2_launch
def test_ros2_launch_train_ends_when_training_does_with_exit_when_done(tmp_path):
    from bag_factory import demo_messages, write_bag
    from test_cli import tiny_params

    from nf_policy_ros.tools import bag_to_dataset

    config = tiny_params(tmp_path / 'train.yaml', steps=6)
    write_bag(tmp_path / 'bags' / 'ep_0', demo_messages(seconds=3.0))
    write_bag(tmp_path / 'bags' / 'ep_1', demo_messages(seconds=3.0, phase=1))
    assert bag_to_dataset.main([str(tmp_path / 'bags'), '--out', str(tmp_path / 'data'),
                                '--config', str(config), '--no-progress']) == 0
    launch = Launch(tmp_path, 'train.launch.py', f'params_file:={config}',
                    f'dataset:={tmp_path / "data"}', f'output_dir:={tmp_path / "run"}',
                    'device:=cpu', 'exit_when_done:=true')
    try:
        code = launch.proc.wait(timeout=240)
    except subprocess.TimeoutExpired:
        launch.ctrl_c()
        raise AssertionError(f'the launch outlived training:\n{launch.output()}') from None
    assert code == 0, launch.output()
    assert (tmp_path / 'run' / 'policy.pt').is_file(), launch.output()
    assert 'trained 6 steps' in launch.output()
