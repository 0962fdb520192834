# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Runtime parameters of the policy node (ROS-free dataclasses; declared as ROS parameters by
nodes/common/params.py).

Only runtime knobs live here: the architecture, joint names, fps and stride come from the
checkpoint. Where a parameter repeats a checkpoint fact (``joint_names``, ``fps``), a
non-empty value is checked against the checkpoint and a mismatch fails configure.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nf_policy_ros.config import SamplingConfig, param, require, require_choice
from nf_policy_ros.node_config.routing import check_group_names, parse_name_map

DEVICES = ('auto', 'cpu', 'cuda')
STAMP_MODES = ('observation', 'zero')
GATE_MODES = ('ignore', 'warn', 'hold', 'takeover')
SECONDS_MAX = 3600.0  # [s] upper bound of the time parameters' ranges
RATE_MAX_HZ = 1000.0  # [Hz] upper bound of the rate parameters' ranges
JOINT_VALUES = 'one value per checkpoint joint [rad or m], or none'


COMPRESSED_SUFFIX = '/compressed'
UNSUPPORTED_TRANSPORTS = ('/compressedDepth', '/theora', '/zstd', '/ffmpeg')


def is_compressed_topic(topic: str) -> bool:
    """Whether camera topic ``topic`` (resolved: after remapping) carries
    sensor_msgs/CompressedImage: image_transport's ``<base>/compressed``; any other name
    carries sensor_msgs/Image. Raises ValueError for transports this node cannot decode."""
    for suffix in UNSUPPORTED_TRANSPORTS:
        require(not topic.endswith(suffix), 'camera_topics', topic, 'a raw Image topic or '
                f'<topic>/compressed (jpeg/png), not the {suffix[1:]} transport')
    return topic.endswith(COMPRESSED_SUFFIX)


@dataclass(frozen=True)
class SafetyConfig:
    """What the node does when inputs are stale, malformed, or the policy is unsure."""

    max_image_age_s: float = param('Camera frames older than this are stale [s].', 0.25,
                                   bounds=(0.0, SECONDS_MAX))
    max_joint_state_age_s: float = param('Joint states older than this are stale [s].', 0.1,
                                         bounds=(0.0, SECONDS_MAX))
    hold_after_s: float = param('Stale this long -> publish one hold-at-current-position '
                                'trajectory, then stay silent [s].', 0.5,
                                bounds=(0.0, SECONDS_MAX))
    max_step_rad: float = param('Clamp between consecutive trajectory points, per joint '
                                '[rad or m]; 0 = off.', 0.0, bounds=(0.0, 100.0))
    joint_lower: tuple[float, ...] = param('Lower joint limits [rad or m]; empty = none.', (),
                                           form=JOINT_VALUES)
    joint_upper: tuple[float, ...] = param('Upper joint limits [rad or m]; empty = none.', (),
                                           form=JOINT_VALUES)
    gate: str = param('Confidence gate: ignore | warn | hold | takeover (hold, then hand the '
                      'robot to the teleop source until ~/release_takeover; see takeover.*).',
                      'warn', choices=GATE_MODES)
    gate_threshold: float = param('Gate closes below this confidence [0-1].', 0.05,
                                  bounds=(0.0, 1.0))
    gate_hysteresis: float = param('Gate reopens above threshold + this [0-1].', 0.05,
                                   bounds=(0.0, 1.0))
    gate_debounce_plans: int = param('Plans in a row below gate_threshold before the gate '
                                     'closes; a plan outside the training support closes '
                                     'it at once.', 2, bounds=(1, 1000))
    max_image_side: int = param('Camera frames declaring a width or height above this are '
                                'malformed: refused on arrival from the Image fields or the '
                                'JPEG/PNG header, before any pixel is decoded [px].', 4096,
                                bounds=(32, 65535))

    def __post_init__(self) -> None:
        for name in ('max_image_age_s', 'max_joint_state_age_s', 'hold_after_s'):
            require(getattr(self, name) > 0, f'safety.{name}', getattr(self, name), '> 0 s')
        require(self.max_step_rad >= 0, 'safety.max_step_rad', self.max_step_rad, '>= 0')
        require(len(self.joint_lower) == len(self.joint_upper), 'safety.joint_lower',
                 self.joint_lower, f'{len(self.joint_upper)} values like safety.joint_upper')
        require(all(lo <= hi for lo, hi in zip(self.joint_lower, self.joint_upper)),
                 'safety.joint_lower', self.joint_lower, 'each <= safety.joint_upper')
        require_choice('safety.gate', self.gate, GATE_MODES)
        for name in ('gate_threshold', 'gate_hysteresis'):
            value = getattr(self, name)
            require(0.0 <= value <= 1.0, f'safety.{name}', value, 'in [0, 1]')
        require(self.gate_debounce_plans >= 1, 'safety.gate_debounce_plans',
                self.gate_debounce_plans, '>= 1 plan')
        require(self.max_image_side >= 32, 'safety.max_image_side', self.max_image_side,
                '>= 32 px')


@dataclass(frozen=True)
class TakeoverConfig:
    """A human takes over through the node (gate ``takeover`` or ~/request_takeover): the
    node stops planning and forwards a teleop source's commands until ~/release_takeover."""

    teleop_topic: str = param(
        'trajectory_msgs/JointTrajectory topic of the teleop command source; its commands '
        'reach the trajectory output(s) only while a takeover is active, under the rules '
        "the node's plans follow (joint names, limits, max_step_rad, controller groups).",
        'teleop/joint_trajectory', form='a topic name (relative ones are remappable)')
    max_teleop_age_s: float = param(
        "A teleop command stamped longer ago than this (header.stamp on the node's ROS "
        'clock), or before the takeover began, is dropped, never forwarded late; a zero '
        'stamp ("start now") is judged by its arrival alone [s].', 0.25,
        bounds=(0.0, SECONDS_MAX))

    def __post_init__(self) -> None:
        require(bool(self.teleop_topic), 'takeover.teleop_topic', self.teleop_topic,
                'a topic name')
        require(self.max_teleop_age_s > 0, 'takeover.max_teleop_age_s',
                self.max_teleop_age_s, '> 0 s')


COMPILE_PATHS = ('eager', 'inductor')


@dataclass(frozen=True)
class PolicyNodeConfig:
    """Parameters of ``policy_node`` (node name ``nf_policy``)."""

    checkpoint: str = param('Path of the NF-P checkpoint (.pt) to load at configure.', '',
                            form='a file written by train or train_node; empty = none')
    device: str = param('auto (cuda if available) | cpu | cuda.', 'auto', choices=DEVICES)
    num_threads: int = param('torch CPU threads for inference.', 1, bounds=(1, 256))
    compile: str = param('Inference path: eager | inductor (torch.compile with the weights '
                         'frozen: fewer, fused kernels; adds ~0.5-1 min at configure; checked '
                         'against eager and falls back to it with a warning).', 'eager',
                         choices=COMPILE_PATHS)
    min_candidates: int = param('best_of_n keeps its rate by halving the candidates when a '
                                "tick's model time passes model_budget_fraction of the "
                                'control period, down to this many (>= '
                                'sampling.num_candidates: never degrade).', 8,
                                bounds=(1, 65536))
    model_budget_fraction: float = param('Model time allowed per control tick, as a fraction '
                                         'of the period (see min_candidates).', 0.8,
                                         bounds=(0.0, 1.0))
    control_rate_hz: float = param('Control timer rate: one plan per tick at most [Hz].', 10.0,
                                   bounds=(0.0, RATE_MAX_HZ))
    camera_topics: tuple[str, ...] = param(
        'Camera topics, one per camera, in checkpoint order: sensor_msgs/Image, or '
        'sensor_msgs/CompressedImage (jpeg/png) when the name (after remapping) ends in '
        '/compressed, as image_transport names it.', ('image',),
        form='topic names (relative ones are remappable); not compressedDepth, theora, zstd '
             'or ffmpeg')
    joint_names: tuple[str, ...] = param('Expected joint names; empty = from checkpoint.', (),
                                         form="the checkpoint's joint names, in its order")
    fps: float = param('Expected policy clock of the checkpoint [Hz]; 0 = from checkpoint.',
                       0.0, bounds=(0.0, RATE_MAX_HZ))
    stamp_mode: str = param('Trajectory header.stamp: observation (camera stamp) | zero '
                            '(start now; hosts without synced clocks).', 'observation',
                            choices=STAMP_MODES)
    lead_steps: float = param('Offset kappa of the first point, in policy ticks.', 1.0,
                              bounds=(0.0, 100.0))
    execute_points: int = param(
        'Chunk points the robot follows before a new plan is published (every tick still '
        "infers: confidence and gate keep the control rate); 0 = the checkpoint's "
        'actions.execute_points, as its benchmark ran it.', 0, bounds=(0, 1024),
        form="0, or 1 to the checkpoint's actions.horizon")
    autostart: bool = param('Configure and activate at start-up (else wait for the lifecycle '
                            'transitions configure, activate); output is then armed only '
                            'with output_enabled.', True)
    output_enabled: bool = param('Publish trajectories from the start (else wait for '
                                 '~/enable_output).', False)
    forward_position_rate_hz: float = param(
        'Rate of ~/forward_position, the current plan sampled for position controllers '
        '(forward_command_controller) [Hz]; 0 = off.', 0.0, bounds=(0.0, RATE_MAX_HZ))
    joint_name_map: tuple[str, ...] = param(
        'checkpoint_name=robot_name entries for joints the robot calls otherwise than the '
        "checkpoint (e.g. a leader arm's leader_joint1=joint1): joint_states are read and "
        'trajectories published with robot names; empty = the same names.', (),
        form='checkpoint_name=robot_name entries, each name at most once')
    controller_groups: tuple[str, ...] = param(
        'Controller groups, each with its own JointTrajectory topic (e.g. [arm_controller, '
        'gripper_controller]): group <name> takes groups.<name>.joints on '
        'groups.<name>.topic (default <name>/joint_trajectory). Every policy joint in '
        'exactly one group; empty = all joints on joint_trajectory.', (),
        form='unique names of letters, digits and _ starting with a letter')
    publish_planned_joint_states: bool = param(
        "Publish ~/planned_joint_states, each plan's last point, for a ghost robot in rviz.",
        True)
    seed: int = param('Seed of the sampling generator.', 0, bounds=(0, 2**63 - 1))
    marker_frame: str = param('Frame of the ~/confidence_marker text for rviz.', 'base_link',
                              form='a TF frame id')
    sampling: SamplingConfig = field(default_factory=SamplingConfig)
    safety: SafetyConfig = field(default_factory=SafetyConfig)
    takeover: TakeoverConfig = field(default_factory=TakeoverConfig)

    def __post_init__(self) -> None:
        require_choice('device', self.device, DEVICES)
        require(self.num_threads >= 1, 'num_threads', self.num_threads, '>= 1')
        require(self.control_rate_hz > 0, 'control_rate_hz', self.control_rate_hz, '> 0 Hz')
        require(self.forward_position_rate_hz >= 0, 'forward_position_rate_hz',
                self.forward_position_rate_hz, '>= 0 Hz (0 = off)')
        require(self.fps >= 0, 'fps', self.fps, '>= 0 Hz')
        require_choice('stamp_mode', self.stamp_mode, STAMP_MODES)
        require(self.lead_steps >= 0, 'lead_steps', self.lead_steps, '>= 0 ticks')
        require(self.execute_points >= 0, 'execute_points', self.execute_points,
                ">= 0 (0 = the checkpoint's)")
        require_choice('compile', self.compile, COMPILE_PATHS)
        require(self.min_candidates >= 1, 'min_candidates', self.min_candidates, '>= 1')
        require(0.0 < self.model_budget_fraction <= 1.0, 'model_budget_fraction',
                self.model_budget_fraction, 'in (0, 1]')
        check_group_names(self.controller_groups)
        parse_name_map(self.joint_name_map)

    @property
    def model_budget_ms(self) -> float:
        """Model time allowed per control tick [ms] (the candidate governor's budget)."""
        return self.model_budget_fraction * 1e3 / self.control_rate_hz


# Parameters read once, at start-up: read-only (change them in the params file and restart).
START_UP_PARAMETERS = frozenset({'autostart', 'controller_groups'})
# Parameters read at configure: settable only while unconfigured (the node refuses a set
# while inactive or active, with the reason), as nav2's nodes read theirs. Every other
# parameter takes effect at the next tick.
CONFIGURE_PARAMETERS = frozenset({
    'checkpoint', 'device', 'num_threads', 'compile', 'control_rate_hz', 'camera_topics',
    'joint_names', 'fps', 'lead_steps', 'output_enabled', 'forward_position_rate_hz', 'seed',
    'safety.joint_lower', 'safety.joint_upper', 'joint_name_map', 'takeover.teleop_topic'})
