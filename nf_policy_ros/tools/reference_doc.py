# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Generate docs/reference.md from the config dataclasses (a test keeps it current).

    python -m nf_policy_ros.tools.reference_doc > docs/reference.md
"""

from __future__ import annotations

import sys
from typing import Any

from nf_policy_ros.config import NFPConfig, flatten_config
from nf_policy_ros.config_tree import (
    READ_AT_CONFIGURE,
    READ_AT_START_UP,
    constraint_text,
    flatten_constraints,
)
from nf_policy_ros.node_config.launch_files import LAUNCH_FILES
from nf_policy_ros.node_config.policy import (
    CONFIGURE_PARAMETERS,
    START_UP_PARAMETERS,
    PolicyNodeConfig,
)
from nf_policy_ros.node_config.routing import group_parameters
from nf_policy_ros.node_config.sim import RecorderConfig, SimRobotConfig
from nf_policy_ros.node_config.train import TRAIN_NODE_PARAMETERS

POLICY_INTERFACE = """\
## policy_node (node name `nf_policy`)

| kind | name | type | QoS | meaning |
| --- | --- | --- | --- | --- |
| sub | `image` (one per `camera_topics` entry) | sensor_msgs/Image, or sensor_msgs/CompressedImage when the resolved name ends in `/compressed` | sensor data (best effort, depth 5) | camera frames; any size, resized like the training data; rgb8/bgr8/rgba8/bgra8/mono8/mono16/16UC1/32FC1, or jpeg/png (decoded like bag_to_dataset does) |
| sub | `joint_states` | sensor_msgs/JointState | sensor data | measured joint positions, matched by name (order irrelevant; robot names, see `joint_name_map`) |
| sub | `teleop/joint_trajectory` (`takeover.teleop_topic`) | trajectory_msgs/JointTrajectory | best effort, depth 1 | teleop commands, forwarded to the trajectory output(s) once each, on arrival, only during a takeover: every policy joint by robot name (any order), limits and `max_step_rad` from the measured position applied, velocities recomputed, split over the controller groups; a command stamped before the takeover began or more than `takeover.max_teleop_age_s` ago, or breaking a rule, is dropped, counted and logged. Exists from configure to cleanup |
| pub | `joint_trajectory`, or with `controller_groups` one `groups.<name>.topic` (default `<name>/joint_trajectory`) per group | trajectory_msgs/JointTrajectory | reliable, depth 1 | the strided plan: T_a points at (k*S + lead_steps)/fps s after `header.stamp`, velocities by finite differences, 0 at the end; or a one-point hold at the measured position. Joints by robot name; each group gets its joints' columns with the same stamp and times. Exists from configure to cleanup |
| pub | `~/planned_joint_states` | sensor_msgs/JointState | reliable, depth 10 | with `publish_planned_joint_states`, every plan (armed or not): its last point (robot names) plus the other joints of the measured JointState as measured; stamped like the plan (now with `stamp_mode: zero`). For a second robot_state_publisher with a `frame_prefix`: a ghost robot in rviz |
| pub | `~/confidence` | std_msgs/Float32 | reliable, depth 10 | in [0, 1]: empirical CDF of the plan's log p per dimension among held-out demo chunks; 0 outside the demonstrated state range. Published every inference, armed or not |
| pub | `~/confidence_marker` | visualization_msgs/Marker | reliable, depth 10 | the confidence as a red-to-green text in `marker_frame`, for rviz (config/nf_policy.rviz) |
| pub | `~/forward_position` | std_msgs/Float64MultiArray | reliable, depth 1 | only with `forward_position_rate_hz` > 0, while armed: the current plan sampled at that rate (linear from the measured position at the control tick to each point, then the last point held), checkpoint joint order; remap to a forward_command_controller's `~/commands`. A hold is sent at once; nothing while disarmed, so the controller keeps the hold |
| pub | `~/log_likelihood` | std_msgs/Float32 | reliable, depth 10 | log p(plan given observation) per action dimension [nats], normalized units |
| pub | `/diagnostics` | diagnostic_msgs/DiagnosticArray | reliable, depth 10 | 1 Hz and at every transition: one status named `<fully qualified node name>: policy` (hardware_id: that name, so namespaced or renamed nodes never collide) with state (the lifecycle label: unconfigured, inactive, active, finalized), armed, device, warm-up, input ages (`age_s.*`), plan rate, p50/p95 of `inference` (conversion + model), `model` and `overhead` (tick to publish minus model) [ms], counts (plans, overruns, stale ticks, malformed inputs, holds, gate); the message is `<state>: <why>` when something is wrong (a failed configure's reason) |
| pub | `~/status` | diagnostic_msgs/DiagnosticStatus | reliable, transient local, depth 1 | the same status, latched: a client that connects later (`policy_ctl`) reads the node's latest state and reason |
| pub | `~/takeover` | std_msgs/Bool | reliable, transient local, depth 1 | latched: whether a takeover is active (false at start-up; at every begin and end, with /diagnostics at once: `takeover` value, `takeover: <cause>` in the message) |
| pub | `~/intervention` | std_msgs/Bool | reliable, depth 10 | every control tick from configure to cleanup: whether a takeover is active (a recorder bags it; `data.intervention_topic`) |
| srv | `~/enable_output` | std_srvs/SetBool | | arm (true) or disarm (false, publishes a hold) the trajectory output |
| srv | `~/reset` | std_srvs/Trigger | | reopen the confidence gate, clear counters and hold state (between episodes) |
| srv | `~/request_takeover` | std_srvs/Trigger | | an operator takes over (active and armed only, else refused with the reason): hold at the measured position, no plan of the policy's, teleop commands forwarded; asked again: success, the takeover as it was |
| srv | `~/release_takeover` | std_srvs/Trigger | | hand the robot back to the policy: the gate reopens, a hold at the measured position, then plans; repeat-safe. Disarming or deactivating also ends a takeover |
| srv | `~/change_state` | lifecycle_msgs/ChangeState | | lifecycle transition: configure (validate parameters, load the checkpoint), activate (hold, then plans), deactivate (hold, then silence), cleanup (free the model), shutdown; what `ros2 lifecycle set`, nav2's lifecycle_manager (`bond_timeout: 0.0`) and `policy_ctl` call. A refusal's reason is in `~/status` |
| srv | `~/get_state` | lifecycle_msgs/GetState | | lifecycle state: unconfigured, inactive, active or finalized |
| srv | `~/get_available_states` | lifecycle_msgs/GetAvailableStates | | every state of the lifecycle state machine |
| srv | `~/get_available_transitions` | lifecycle_msgs/GetAvailableTransitions | | the transitions allowed from the current state |
| srv | `~/get_transition_graph` | lifecycle_msgs/GetAvailableTransitions | | every transition of the state machine |
| pub | `~/transition_event` | lifecycle_msgs/TransitionEvent | reliable, volatile (rcl's default) | one message per transition: the transition, start and goal state |

Plus the parameter services every node has (`~/get_parameters`, `~/set_parameters`,
`~/describe_parameters`, ...), `/rosout` and `/parameter_events`. The lifecycle services and
`~/transition_event` come from rclpy's LifecycleNode, as launch_ros, nav2's lifecycle manager
and `ros2 lifecycle` expect.

Parameters marked "read at configure" can be set while the node is unconfigured (set the
`checkpoint`, then configure; or cleanup, set, configure) and are refused, with the reason,
while inactive or active; those marked "read at start-up" are read-only; every other one
takes effect at the next tick.

Signals: the first SIGINT or SIGTERM stops the node cleanly (exit 0) whatever it is doing,
later ones are ignored (`ros2 launch` sends SIGINT, then SIGTERM). A missing or malformed
`--params-file` ends the process with one line naming the file (exit 2).

Rules: no plan while disarmed, while any input is older than its max age, while the `hold`
gate is closed, or during a takeover (the `takeover` gate closing starts one while armed). A stale input for `safety.hold_after_s` publishes one hold at the last
measured position, then nothing until the inputs are fresh again. Ages and times count on
the node's clock: simulated time under `use_sim_time`, monotonic time otherwise. Malformed
messages (wrong encoding or size, a declared width or height above `safety.max_image_side`,
undecodable JPEG/PNG, NaN, missing joints) are counted in
/diagnostics where they arrive and dropped: the input goes stale and the rules above apply.
"""

TRAIN_INTERFACE = """\
## train_node (node name `nf_policy_train`)

| kind | name | type | meaning |
| --- | --- | --- | --- |
| pub | `~/status` | std_msgs/String (JSON) | state (starting, training, done, stopped, failed), step, total, losses, checkpoint, error |
| pub | `/diagnostics` | diagnostic_msgs/DiagnosticArray | the same, as key/values |
| srv | `~/stop` | std_srvs/Trigger | stop after the current step; `last.pt` allows `resume:=true` |

Its own parameters are below, plus every training parameter of the next table. A bad value
(wrong type, device, output_dir, resume, the correction options) puts it in state `failed`
with one line naming the parameter, the value and the expectation; nothing is written.
`extra_dataset`, `extra_weight` and `init_from` are the train CLI's `--extra-dataset`,
`--extra-weight` and `--init-from` (docs/robot.md, "Learning from corrections"), recorded
alike in the checkpoint's provenance (`extra`, `init_from`).
"""

SIM_INTERFACE = """\
## sim_robot_node (node name `sim_robot`)

A Meta-World v3 Sawyer arm on ROS (docs/simulation.md). Joints: `right_j0`..`right_j6` [rad],
`r_close`, `l_close` (finger slides [m]; their commands are the finger actuators' setpoints
in [-1, 1], which squeeze beyond the closed position).

| kind | name | type | QoS | meaning |
| --- | --- | --- | --- | --- |
| pub | `image` | sensor_msgs/Image | reliable, depth 10 | rgb8 camera, `camera_rate_hz` |
| pub | `joint_states` | sensor_msgs/JointState | reliable, depth 10 | positions and velocities of the 9 joints |
| pub | `~/reference` | sensor_msgs/JointState | reliable, depth 10 | the joint targets the controller applied at that step (the demonstration's action) |
| pub | `/clock` | rosgraph_msgs/Clock | reliable, depth 10 | simulated time, one tick per physics step (12.5 ms), with `publish_clock` |
| sub | `joint_trajectory` | trajectory_msgs/JointTrajectory | reliable, depth 10 | executed like joint_trajectory_controller: start at `header.stamp` (0 = on arrival), points past dropped, linear or cubic (with velocities) interpolation from the current reference, replace on arrival, hold at the end; empty = stop; bad ones refused and logged |
| srv | `~/reset` | std_srvs/Trigger | | new episode from the `seed` parameter (message: JSON seed, steps, success) |
| srv | `~/success` | std_srvs/Trigger | | success = solved since the reset; message: JSON seed, steps, success, sim_time_s |

`seed` and `real_time_factor` can be changed while running (`ros2 param set`); the rest is
read at start.
"""

RECORDER_INTERFACE = """\
## demo_recorder (node name `demo_recorder`)

| kind | name | type | meaning |
| --- | --- | --- | --- |
| sub | each of `topics` | discovered from the graph | serialized bytes written as received; best effort if any publisher is best effort, else reliable (as rosbag2) |
| srv | `~/start` | std_srvs/Trigger | open `<output_dir>/<prefix>_<NNNN>` (message: the path). Refused (success false, one line, nothing written, the recorder stays up) when a topic is not published within `discovery_timeout_s`, when a topic's type has no definition here (types rosbags lacks, e.g. a service's `<pkg>/srv/<Name>_Event`, are read from the .idl their package installs, found through the ament index), or when `output_dir` cannot be a directory |
| srv | `~/stop` | std_srvs/SetBool | close it; `data` = success is stored as custom_data `nf_policy_ros.outcome` (success/failure); message: JSON path, per-topic counts, outcome. Refused (bag deleted, success false, one line naming the topic) when a topic not in `optional_topics` got no message |
| srv | `~/discard` | std_srvs/Trigger | close and delete the open bag |

Also the parameter `episode_label` (string, stored as `nf_policy_ros.episode_label`).
`bag_to_dataset` skips bags labelled failure unless `data.skip_failures` is false.
"""


def _type_name(value: Any) -> str:
    if isinstance(value, tuple):
        return 'list'
    return type(value).__name__


def parameter_table(config: Any, prefix: str = '', when: dict[str, str] | None = None) -> str:
    """One row per parameter; the meaning ends with its constraints (range, choices, form)
    and ``when`` (name -> when it can be set), as the node's descriptors say them."""
    rows = ['| parameter | type | default | meaning |', '| --- | --- | --- | --- |']
    constraints = flatten_constraints(config)
    for name, (value, text) in flatten_config(config).items():
        shown = list(value) if isinstance(value, tuple) else value
        limits = constraint_text(constraints[name], (when or {}).get(name, ''))
        meaning = f'{text} ({limits}.)' if limits else text
        rows.append(f'| `{prefix}{name}` | {_type_name(value)} | `{shown!r}` | {meaning} |')
    return '\n'.join(rows)


def policy_parameter_times() -> dict[str, str]:
    """When each policy_node parameter can be set, for those not set at any time."""
    return {name: READ_AT_START_UP for name in START_UP_PARAMETERS} | {
        name: READ_AT_CONFIGURE for name in CONFIGURE_PARAMETERS}


def train_node_table() -> str:
    """train_node's own parameters (node_config/train.py)."""
    rows = ['| parameter | type | default | meaning |', '| --- | --- | --- | --- |']
    rows += [f'| `{name}` | {_type_name(value)} | `{value!r}` | {text} |'
             for name, (value, _, text) in TRAIN_NODE_PARAMETERS.items()]
    return '\n'.join(rows)


def group_rows() -> str:
    """The rows of a controller group's parameters, for a group named ``<name>``."""
    return '\n'.join(
        f'| `{name}` | {_type_name(value)} | `{list(value) if isinstance(value, tuple) else value!r}'
        f'` | {text} |' for name, (value, _, text) in group_parameters('<name>').items())


LAUNCH_INTRO = """\
## Launch files

`ros2 launch nf_policy_ros <file> name:=value ...`; `<share>` is the package's share directory (`ros2 pkg prefix nf_policy_ros`/share/nf_policy_ros).
A bad value (a flag other than true/false, a number that is none) stops the launch with one
line naming the argument. What each argument does: nf_policy_ros/node_config/launch_files.py.
"""


def launch_tables() -> str:
    """One table of arguments per launch file."""
    parts = [LAUNCH_INTRO]
    for spec in LAUNCH_FILES.values():
        parts += [f'### {spec.name}', '', spec.summary, '',
                  '| argument | default | meaning |', '| --- | --- | --- |']
        parts += [f'| `{a.name}` | `{a.shown_default()}` | {a.description} |'
                  for a in spec.arguments]
        parts.append('')
    return '\n'.join(parts)


def render() -> str:
    return '\n'.join([
        '# Reference: topics, services, parameters',
        '',
        'Generated by `python -m nf_policy_ros.tools.reference_doc` from the config '
        'dataclasses; `test_docs.py` fails when it is out of date. Units: rad or m for joint '
        'positions, s, Hz.',
        '',
        POLICY_INTERFACE,
        '### Parameters of policy_node (config/policy.yaml)',
        '',
        parameter_table(PolicyNodeConfig(), when=policy_parameter_times()),
        group_rows(),
        '',
        TRAIN_INTERFACE,
        '### Parameters of train_node (its own)',
        '',
        train_node_table(),
        '',
        '### Training parameters (config/train.yaml; `--set` in the CLIs)',
        '',
        parameter_table(NFPConfig()),
        '',
        SIM_INTERFACE,
        '### Parameters of sim_robot_node',
        '',
        parameter_table(SimRobotConfig()),
        '',
        RECORDER_INTERFACE,
        '### Parameters of demo_recorder',
        '',
        parameter_table(RecorderConfig()),
        '',
        launch_tables(),
    ])


def main() -> int:
    sys.stdout.write(render())
    return 0


if __name__ == '__main__':
    sys.exit(main())
