# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Parameters of ``sim_robot_node`` and ``demo_recorder`` (ROS-free dataclasses; declared as
ROS parameters by nodes/common/params.py, documented in docs/reference.md)."""

from __future__ import annotations

from dataclasses import dataclass

from nf_policy_ros.config import param, require, require_choice

STORAGES = ('mcap', 'sqlite3')
OPERATOR_MODES = ('off', 'ticks', 'until_released')  # sim/operator.py's TakeoverBudget
LOG_TIMES = ('receive', 'header')


@dataclass(frozen=True)
class SimRobotConfig:
    """A simulated Sawyer arm (Meta-World v3) with a camera, driven like a ROS arm."""

    task: str = param('Meta-World v3 task (drawer-open, pick-place, hammer, ...).',
                      'drawer-open')
    seed: int = param('Start state of the next ~/reset (and of the first episode).', 0)
    image_width: int = param('Camera image width [px].', 84)
    image_height: int = param('Camera image height [px].', 84)
    camera: str = param('Meta-World camera name.', 'corner2')
    camera_rate_hz: float = param('Image rate [Hz, simulated time]; 0 = every physics step.',
                                  0.0)
    joint_state_rate_hz: float = param('joint_states rate [Hz, simulated time]; 0 = every '
                                       'physics step.', 0.0)
    real_time_factor: float = param('Simulated seconds per wall second; 0 = as fast as '
                                    'possible.', 1.0)
    publish_clock: bool = param('Publish /clock and stamp everything with simulated time '
                                '(other nodes: use_sim_time:=true); false = stamp with the '
                                'system clock (needs real_time_factor 1).', True)
    omega: float = param('Joint servo bandwidth [rad/s]; 0 = the task default.', 0.0)
    frame_id: str = param('frame_id of the images.', 'camera')
    object_range_scale: float = param("x/y extent of the object placement box relative to "
                                      "Meta-World's own (2 = twice as wide: the policy must "
                                      'see where the object is).', 1.0)
    camera_blackout: bool = param('Publish all-zero frames (a covered or failed camera) in '
                                  'place of the rendered ones, same size, rate and stamps: '
                                  'what a policy owes to its camera, and its confidence '
                                  'gate, can be seen over ROS. Settable at run time.', False)
    operator: str = param(
        'The scripted expert as a teleoperator for takeovers (HG-DAgger corrections): '
        "'off'; 'ticks': while takeover_topic is true, command operator_ticks ticks on "
        "teleop_topic, then call release_service; 'until_released': command until "
        'takeover_topic goes false. The expert plans each episode at its reset (~1 s) and '
        'joins its plan at the pose nearest the arm. Its command ticks are counted in the '
        "episode's JSON (expert_ticks, takeovers).", 'off', choices=OPERATOR_MODES)
    operator_ticks: int = param("Command ticks per takeover with operator 'ticks'.", 20,
                                bounds=(1, 1000000))
    operator_rate_hz: float = param('Operator command ticks per second [Hz, simulated '
                                    'time] (the policy node runs at 20 Hz here).', 20.0,
                                    bounds=(0.0, 1000.0))
    operator_points: int = param('Points of each operator JointTrajectory, one command '
                                 'tick apart (the first due at its stamp).', 8,
                                 bounds=(1, 1000))
    takeover_topic: str = param("std_msgs/Bool (transient local) saying a takeover is on: "
                                "the policy node's ~/takeover.", '/nf_policy/takeover')
    teleop_topic: str = param('trajectory_msgs/JointTrajectory topic the operator commands '
                              "on (the policy node forwards it during a takeover; relative "
                              "names resolve in this node's namespace).",
                              'teleop/joint_trajectory')
    release_service: str = param('std_srvs/Trigger the operator calls when its ticks are '
                                 "spent: the policy node's ~/release_takeover.",
                                 '/nf_policy/release_takeover')

    def __post_init__(self) -> None:
        require(self.object_range_scale > 0, 'object_range_scale', self.object_range_scale,
                '> 0')
        for name in ('image_width', 'image_height'):
            require(getattr(self, name) >= 16, name, getattr(self, name), '>= 16 px')
        for name in ('camera_rate_hz', 'joint_state_rate_hz', 'real_time_factor', 'omega'):
            require(getattr(self, name) >= 0, name, getattr(self, name), '>= 0')
        require_choice('operator', self.operator, OPERATOR_MODES)
        require(self.operator_ticks >= 1, 'operator_ticks', self.operator_ticks, '>= 1')
        require(self.operator_rate_hz > 0, 'operator_rate_hz', self.operator_rate_hz, '> 0 Hz')
        require(self.operator_points >= 1, 'operator_points', self.operator_points, '>= 1')
        for name in ('takeover_topic', 'teleop_topic', 'release_service'):
            require(getattr(self, name) != '', name, getattr(self, name), 'a ROS name')
        require(self.publish_clock or self.real_time_factor == 1.0, 'real_time_factor',
                self.real_time_factor, '1.0 when publish_clock is false (stamps are '
                'system time)')


@dataclass(frozen=True)
class RecorderConfig:
    """Episode-aware rosbag2 recording from raw (serialized) subscription bytes."""

    topics: tuple[str, ...] = param('Topics to record (types are discovered from the graph).',
                                    ('/image', '/joint_states'))
    optional_topics: tuple[str, ...] = param(
        'Topics of `topics` an episode may lack (e.g. an episode marker); ~/stop refuses an '
        'episode with no message on any other topic.', ())
    output_dir: str = param('Directory that receives one bag directory per episode.', 'demos')
    prefix: str = param('Bag directory name prefix (<prefix>_<NNNN>).',
                        'episode')
    storage: str = param('rosbag2 storage plugin: mcap | sqlite3.', 'mcap')
    log_time: str = param("Log time of each message: 'receive' (as ros2 bag record) or "
                          "'header' (the message's header stamp, exact under simulated "
                          'time; receive time when a message has a zero stamp).', 'receive')
    discovery_timeout_s: float = param('How long ~/start waits for every topic to appear '
                                       '[s].', 5.0)

    def __post_init__(self) -> None:
        require(len(self.topics) > 0, 'topics', self.topics, 'at least one topic')
        require(len(set(self.topics)) == len(self.topics), 'topics', self.topics,
                'unique topics')
        require(set(self.optional_topics) <= set(self.topics), 'optional_topics',
                self.optional_topics, f'a subset of topics {list(self.topics)}')
        require(self.output_dir != '', 'output_dir', self.output_dir, 'a directory path')
        require_choice('storage', self.storage, STORAGES)
        require_choice('log_time', self.log_time, LOG_TIMES)
        require(self.discovery_timeout_s > 0, 'discovery_timeout_s', self.discovery_timeout_s,
                '> 0 s')
