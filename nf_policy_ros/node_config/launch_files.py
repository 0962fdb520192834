# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""What each launch file (launch/*.launch.py) starts, as a function of its arguments.

The launch files only turn these descriptions into launch_ros actions; everything an
argument does is decided here, without `launch` (which CI cannot install), so the tests
check every argument of every launch file, and docs/reference.md lists them
(tools/reference_doc.py). A bad value raises ConfigError: one line naming the argument, the
value and the expectation (`ros2 launch` prints it and starts nothing).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
import re
from typing import Any

import yaml

from nf_policy_ros.config_tree import ConfigError
from nf_policy_ros.node_config.policy import GATE_MODES
from nf_policy_ros.node_config.sim import OPERATOR_MODES

PACKAGE = 'nf_policy_ros'
RVIZ_CONFIG = 'config/nf_policy.rviz'
RECORDED_SIM_TOPICS = ('/image', '/joint_states', '/sim_robot/reference')


@dataclass(frozen=True)
class Argument:
    """One launch argument. ``default`` None: required. ``in_share``: the default is a path
    relative to the package's share directory (config/policy.yaml)."""

    name: str
    default: str | None
    description: str
    in_share: bool = False

    def shown_default(self) -> str:
        """The default as docs/reference.md shows it."""
        if self.default is None:
            return '(required)'
        return f'<share>/{self.default}' if self.in_share else repr(self.default)


@dataclass(frozen=True)
class NodeStart:
    """One process a launch file starts (the keyword arguments of a launch_ros Node)."""

    package: str
    executable: str
    name: str
    namespace: str = ''
    parameters: tuple = ()  # params file paths (str) and {name: value} dicts, in order
    remappings: tuple[tuple[str, str], ...] = ()
    arguments: tuple[str, ...] = ()
    lifecycle: bool = False  # a launch_ros LifecycleNode
    emulate_tty: bool = False
    ends_launch: bool = False  # the launch shuts down when this process exits
    stop_timeout_s: float | None = None  # after Ctrl-C, wait this long before SIGTERM

    def node_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of launch_ros.actions.Node / LifecycleNode."""
        kwargs = {'package': self.package, 'executable': self.executable, 'name': self.name,
                  'namespace': self.namespace, 'output': 'screen',
                  'emulate_tty': self.emulate_tty, 'parameters': list(self.parameters),
                  'remappings': list(self.remappings), 'arguments': list(self.arguments)}
        if self.stop_timeout_s is not None:  # launch's default: SIGTERM 5 s after SIGINT
            kwargs['sigterm_timeout'] = str(self.stop_timeout_s)
        return kwargs

    def overrides(self) -> dict[str, Any]:
        """The parameters given as values (not params files), later ones winning."""
        merged: dict[str, Any] = {}
        for entry in self.parameters:
            if isinstance(entry, dict):
                merged.update(entry)
        return merged


@dataclass(frozen=True)
class LaunchFile:
    """A launch file's arguments and the nodes it starts from their values."""

    name: str
    summary: str
    arguments: tuple[Argument, ...]
    build: Callable[[Mapping[str, str], Path], list[NodeStart]] = field(repr=False)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.arguments)

    def resolve(self, given: Mapping[str, str], share: str | Path) -> list[NodeStart]:
        """The nodes started by ``ros2 launch nf_policy_ros <name>`` with ``given``
        (argument -> value, the others at their defaults)."""
        return self.nodes(self.with_defaults(given, share), share)

    def nodes(self, values: Mapping[str, str], share: str | Path) -> list[NodeStart]:
        """The nodes started for the arguments' ``values`` (every argument set, as launch
        performs them); ``share``: the package's share directory."""
        unknown = sorted(set(values) - set(self.names))
        if unknown:
            raise ConfigError(f'{self.name}: unknown argument(s) {unknown}: expected some of '
                              f'{list(self.names)}')
        nodes = self.build(values, Path(share))
        # other packages' executables (rviz2) first: launch stops at one that is not
        # installed, and nodes started before it would be left running without the launch
        return sorted(nodes, key=lambda node: node.package == PACKAGE)

    def with_defaults(self, given: Mapping[str, str], share: str | Path) -> dict[str, str]:
        """``given`` completed with the defaults (what `ros2 launch` passes on)."""
        values = dict(given)
        for arg in self.arguments:
            if arg.name in values:
                continue
            if arg.default is None:
                raise ConfigError(f'{self.name}: argument {arg.name} is required: expected '
                                  f'{arg.name}:=<value> ({arg.description})')
            values[arg.name] = str(Path(share) / arg.default) if arg.in_share else arg.default
        return values


# ---- values -------------------------------------------------------------------------------
def flag(values: Mapping[str, str], name: str) -> bool:
    """A true/false argument; anything else is refused."""
    text = values[name].strip().lower()
    if text not in ('true', 'false'):
        raise ConfigError(f'{name}:={values[name]!r} is invalid: expected true or false')
    return text == 'true'


def optional_flag(values: Mapping[str, str], name: str) -> bool | None:
    """A true/false argument where empty means 'keep the params file value' (None)."""
    return flag(values, name) if values[name].strip() else None


def number(values: Mapping[str, str], name: str, kind: type = float) -> float | int:
    """An int or float argument; anything else is refused."""
    try:
        return kind(values[name])
    except ValueError:
        raise ConfigError(f'{name}:={values[name]!r} is invalid: expected '
                          f'{"an integer" if kind is int else "a number"}') from None


def _rviz(share: Path, parameters: tuple = ()) -> NodeStart:
    return NodeStart('rviz2', 'rviz2', 'rviz2', parameters=parameters,
                     arguments=('-d', str(share / RVIZ_CONFIG)))


# ---- params files -------------------------------------------------------------------------
def _key_pattern(key: str) -> re.Pattern:
    """A params file node key (/**/nf_policy, nf_policy, /*/nf_policy) as a regex over
    fully qualified node names; ``**`` matches any namespaces, ``*`` one name."""
    tokens = [t for t in key.strip('/').split('/') if t]
    parts = ['(?:/[^/]+)*' if t == '**' else '/[^/]+' if t == '*' else '/' + re.escape(t)
             for t in tokens]
    return re.compile(''.join(parts) + '$')


def _node_sections(data: Any, prefix: str = '') -> list[tuple[str, dict]]:
    """(node key, ros__parameters) of a params file, nested namespace keys joined."""
    if not isinstance(data, dict):
        return []
    if isinstance(data.get('ros__parameters'), dict):
        return [(prefix or '/', data['ros__parameters'])]
    found = []
    for key, inner in data.items():
        found += _node_sections(inner, f'{prefix}/{str(key).strip("/")}')
    return found


def params_file_value(path: str | Path, node: str, name: str) -> Any:
    """Parameter ``name`` of the node ``node`` (fully qualified) in a ROS params file, as
    the node would get it (the last matching section wins); None if unset or unreadable
    (the node then reports the file itself)."""
    try:
        data = yaml.safe_load(Path(path).read_text())
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    value = None
    for key, params in _node_sections(data):
        if _key_pattern(key).match(node) and name in params:
            value = params[name]
    return value


# ---- policy.launch.py ---------------------------------------------------------------------
POLICY_NODE = 'nf_policy'
DEFAULT_CAMERAS = ('image',)  # PolicyNodeConfig.camera_topics' default

POLICY_ARGUMENTS = (
    Argument('params_file', 'config/policy.yaml', 'Parameters YAML of the policy node.',
             in_share=True),
    Argument('checkpoint', '', 'NF-P checkpoint file (.pt); empty = keep the params file '
             'value.'),
    Argument('namespace', '', 'Namespace of the node and its relative topics.'),
    Argument('image', '', "Topic of the first camera: replaces the first of the params "
             "file's camera_topics (the others stay); empty = keep them. sensor_msgs/Image, "
             'or sensor_msgs/CompressedImage (jpeg/png) for a name ending in /compressed.'),
    Argument('joint_states', 'joint_states', 'Joint state topic (sensor_msgs/JointState).'),
    Argument('joint_trajectory', 'joint_trajectory', 'Output topic (trajectory_msgs/'
             "JointTrajectory), e.g. a joint_trajectory_controller's ~/joint_trajectory "
             '(without controller_groups; groups name their topics in the params file).'),
    Argument('forward_position', '~/forward_position', 'Topic of the optional position '
             "stream (std_msgs/Float64MultiArray), e.g. a forward_command_controller's "
             '~/commands.'),
    Argument('forward_position_rate_hz', '', 'Rate of that stream [Hz]; 0 = off; empty = '
             'params file.'),
    Argument('use_sim_time', 'false', 'Use /clock (true with a simulator).'),
    Argument('enable_output', '', 'Publish trajectories from the start (true) or not '
             '(false, then call ~/enable_output); empty = params file.'),
    Argument('autostart', '', 'Configure and activate at start-up (true), or wait for the '
             'lifecycle transitions (false); empty = params file.'),
    Argument('log_level', 'info', 'Logger level of the node (debug, info, warn, error).'),
    Argument('rviz', 'false', 'Also start rviz2 with config/nf_policy.rviz (robot, planned '
             'ghost, camera, confidence marker).'),
)


def camera_topics_with_first(params_file: str, namespace: str, first: str) -> list[str]:
    """The node's camera_topics from the params file with the first one replaced."""
    node = '/'.join(['', *[p for p in namespace.split('/') if p], POLICY_NODE])
    cameras = params_file_value(params_file, node, 'camera_topics')
    if not isinstance(cameras, list) or not cameras:
        cameras = list(DEFAULT_CAMERAS)
    return [first, *[str(c) for c in cameras[1:]]]


def _policy_overrides(v: Mapping[str, str]) -> dict[str, Any]:
    """The parameters the arguments set over the params file."""
    overrides: dict[str, Any] = {'use_sim_time': flag(v, 'use_sim_time')}
    if v['checkpoint']:
        overrides['checkpoint'] = v['checkpoint']
    for name, key in (('enable_output', 'output_enabled'), ('autostart', 'autostart')):
        if (value := optional_flag(v, name)) is not None:
            overrides[key] = value
    if v['forward_position_rate_hz'].strip():
        overrides['forward_position_rate_hz'] = float(number(v, 'forward_position_rate_hz'))
    if v['image'].strip():
        overrides['camera_topics'] = camera_topics_with_first(v['params_file'],
                                                              v['namespace'], v['image'])
    return overrides


def policy_nodes(v: Mapping[str, str], share: Path) -> list[NodeStart]:
    """policy_node as a LifecycleNode (and rviz2 with rviz:=true)."""
    nodes = [_rviz(share)] if flag(v, 'rviz') else []
    return nodes + [NodeStart(
        PACKAGE, 'policy_node', POLICY_NODE, namespace=v['namespace'], lifecycle=True,
        emulate_tty=True, parameters=(v['params_file'], _policy_overrides(v)),
        remappings=(('joint_states', v['joint_states']),
                    ('joint_trajectory', v['joint_trajectory']),
                    ('~/forward_position', v['forward_position'])),
        arguments=('--ros-args', '--log-level', v['log_level']))]


# ---- sim.launch.py ------------------------------------------------------------------------
SIM_ARGUMENTS = (
    Argument('task', 'drawer-open', 'Meta-World v3 task of the robot.'),
    Argument('image_size', '32', 'Camera width and height [px].'),
    Argument('real_time_factor', '1.0', 'Simulated seconds per wall second (0 = as fast as '
             'possible).'),
    Argument('record', 'false', 'Start demo_recorder (one MCAP bag per episode; ~/start, '
             '~/stop).'),
    Argument('output_dir', 'demos', 'Where demo_recorder writes its bags (with record:=true).'),
    Argument('checkpoint', '', 'NF-P checkpoint: start policy_node with '
             'config/sim_policy.yaml; empty = no policy.'),
    Argument('gate', '', "The policy node's safety.gate: ignore, warn, hold or takeover "
             '(hand the arm to the operator when unsure); empty = config/sim_policy.yaml '
             '(warn). Needs checkpoint.'),
    Argument('enable_output', '', 'Arm the policy node from the start (true) or not '
             '(false: evaluate, policy_ctl arm or ~/enable_output arms it); empty = '
             'config/sim_policy.yaml (false). Needs checkpoint.'),
    Argument('operator', 'off', "The robot's scripted expert as the teleoperator of "
             "takeovers: off, ticks (operator_ticks commands per takeover, then it asks "
             'for release) or until_released.'),
    Argument('operator_ticks', '20', 'Operator commands per takeover with operator:=ticks '
             '(20 Hz of simulated time).'),
    Argument('rviz', 'false', 'Also start rviz2 with config/nf_policy.rviz.'),
)
INTERVENTION_TOPIC = '/nf_policy/intervention'  # the policy node's flag, bagged with it


def _choice(values: Mapping[str, str], name: str, choices: tuple[str, ...]) -> str:
    if values[name] not in choices:
        raise ConfigError(f'{name}:={values[name]!r} is invalid: expected one of '
                          f'{list(choices)}')
    return values[name]


def _sim_policy_overrides(v: Mapping[str, str]) -> dict[str, Any]:
    """The policy node's parameters over config/sim_policy.yaml (gate, arming)."""
    overrides: dict[str, Any] = {'checkpoint': v['checkpoint']}
    if v['gate'].strip():
        overrides['safety.gate'] = _choice(v, 'gate', GATE_MODES)
    if (value := optional_flag(v, 'enable_output')) is not None:
        overrides['output_enabled'] = value
    if not v['checkpoint']:
        given = [name for name in ('gate', 'enable_output') if v[name].strip()]
        if given:
            raise ConfigError(f'{given[0]}:={v[given[0]]!r} needs checkpoint:=<policy.pt>: '
                              'there is no policy node without one')
    return overrides


def sim_nodes(v: Mapping[str, str], share: Path) -> list[NodeStart]:
    """The simulated arm (with its scripted operator); the recorder, the policy and rviz2
    when asked for. With a policy the recorder also bags its intervention flag (optional:
    an episode without the policy node is kept)."""
    size = number(v, 'image_size', int)
    nodes = [NodeStart(PACKAGE, 'sim_robot_node', 'sim_robot', parameters=({
        'task': v['task'], 'image_width': size, 'image_height': size,
        'real_time_factor': float(number(v, 'real_time_factor')),
        'operator': _choice(v, 'operator', OPERATOR_MODES),
        'operator_ticks': int(number(v, 'operator_ticks', int))},))]
    policy = _sim_policy_overrides(v)
    if flag(v, 'record'):
        topics = [*RECORDED_SIM_TOPICS, *([INTERVENTION_TOPIC] if v['checkpoint'] else [])]
        nodes.append(NodeStart(PACKAGE, 'demo_recorder', 'demo_recorder', parameters=({
            'output_dir': v['output_dir'], 'topics': topics,
            'optional_topics': [t for t in topics if t == INTERVENTION_TOPIC],
            'log_time': 'header', 'use_sim_time': True},)))
    if v['checkpoint']:
        nodes.append(NodeStart(PACKAGE, 'policy_node', POLICY_NODE, emulate_tty=True,
                               parameters=(str(share / 'config' / 'sim_policy.yaml'),
                                           policy)))
    if flag(v, 'rviz'):
        nodes.append(_rviz(share, ({'use_sim_time': True},)))
    return nodes


# ---- train.launch.py ----------------------------------------------------------------------
TRAIN_ARGUMENTS = (
    Argument('params_file', 'config/train.yaml', 'Training parameters (config/train.yaml).',
             in_share=True),
    Argument('dataset', None, 'Directory from bag_to_dataset.'),
    Argument('output_dir', None, 'Run directory.'),
    Argument('device', 'auto', 'Training device: auto, cpu, cuda or cuda:N.'),
    Argument('resume', 'false', 'Continue the run in output_dir (from its last.pt).'),
    Argument('overwrite', 'false', 'Replace a run in output_dir.'),
    Argument('exit_when_done', 'false', 'End the node, and with it the launch, when '
             'training ends (done, stopped or failed); false = keep publishing the final '
             'status until Ctrl-C.'),
)


TRAIN_STOP_TIMEOUT_S = 120.0  # Ctrl-C: the current step, last.pt, then policy.pt (calibrated)


def train_nodes(v: Mapping[str, str], share: Path) -> list[NodeStart]:
    """train_node; with exit_when_done:=true its exit ends the launch. On Ctrl-C it gets
    time to save (launch would send SIGTERM after 5 s, mid-save)."""
    done = flag(v, 'exit_when_done')
    return [NodeStart(PACKAGE, 'train_node', 'nf_policy_train', ends_launch=done,
                      stop_timeout_s=TRAIN_STOP_TIMEOUT_S, parameters=(
        v['params_file'], {'dataset': v['dataset'], 'output_dir': v['output_dir'],
                           'device': v['device'], 'resume': flag(v, 'resume'),
                           'overwrite': flag(v, 'overwrite'), 'exit_when_done': done}))]


LAUNCH_FILES = {f.name: f for f in (
    LaunchFile('policy.launch.py', 'The NF-P policy node (a lifecycle node) on a robot.',
               POLICY_ARGUMENTS, policy_nodes),
    LaunchFile('sim.launch.py', 'The simulated arm, optionally with the demo recorder and/or '
               'a trained policy.', SIM_ARGUMENTS, sim_nodes),
    LaunchFile('train.launch.py', 'Training from a dataset cache with train_node.',
               TRAIN_ARGUMENTS, train_nodes),
)}
