# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""``sim_robot_node`` (node name ``sim_robot``): a simulated arm that speaks a ROS arm's
interface, so the policy node, the recorder and the tests cannot tell it from hardware.

Publishes ``image`` (sensor_msgs/Image, rgb8), ``joint_states`` (9 Sawyer joints: positions
and velocities), ``~/reference`` (sensor_msgs/JointState: the joint targets the controller
applies at that step; record it as the demonstration's action) and ``/clock``; executes
``joint_trajectory`` (trajectory_msgs/JointTrajectory) with joint_trajectory_controller's
rules (sim/trajectory.py); services ``~/reset`` (std_srvs/Trigger: new episode from the
``seed`` parameter) and ``~/success`` (std_srvs/Trigger: solved since the reset? message =
JSON with seed, steps, success, and with the operator on expert_ticks and takeovers).

With ``operator`` other than 'off' the scripted expert is a simulated teleoperator for the
policy node's takeovers (nodes/sim/operator_link.py): while ``/nf_policy/takeover`` is
true it commands the expert's joint targets on ``teleop/joint_trajectory``.

One physics loop thread owns the simulator; ROS callbacks take its lock for the moment they
touch it. Simulated time never goes backwards, across resets too.
"""

from __future__ import annotations

from dataclasses import replace
import json
import threading
import time

from builtin_interfaces.msg import Time
import numpy as np
from rclpy._rclpy_pybind11 import RCLError
from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy
from rosgraph_msgs.msg import Clock
from sensor_msgs.msg import Image, JointState
from std_srvs.srv import Trigger
from trajectory_msgs.msg import JointTrajectory

from nf_policy_ros.node_config.sim import SimRobotConfig
from nf_policy_ros.nodes.common.params import declare_config, read_config
from nf_policy_ros.nodes.common.spin import spin_node
from nf_policy_ros.nodes.sim.operator_link import OperatorLink
from nf_policy_ros.sim.task import JointTask, TaskConfig
from nf_policy_ros.sim.trajectory import TrajectoryError, TrajectoryFollower

NODE_NAME = 'sim_robot'
MAX_LAG_S = 0.5  # further behind the real-time factor than this: stop catching up


def every_n_steps(rate_hz: float, step_s: float) -> int:
    """Publish every n-th physics step for ``rate_hz`` (0 = every step)."""
    return 1 if rate_hz <= 0 else max(1, round(1.0 / (rate_hz * step_s)))


def stamp_msg(ns: int) -> Time:
    return Time(sec=ns // 10**9, nanosec=ns % 10**9)


def trajectory_arrays(msg: JointTrajectory) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(P,) times [s], (P, J) positions, (P, J) velocities or None (when any point lacks
    them); points whose position count differs from the joint names are refused."""
    width = len(msg.joint_names)
    for i, point in enumerate(msg.points):
        if len(point.positions) != width:
            raise TrajectoryError(f'points[{i}].positions: {len(point.positions)} values: '
                                  f'expected {width} (one per joint name)')
    times = np.array([p.time_from_start.sec + p.time_from_start.nanosec * 1e-9
                      for p in msg.points])
    positions = np.array([list(p.positions) for p in msg.points], np.float64)
    has_velocities = all(len(p.velocities) == width for p in msg.points)
    velocities = (np.array([list(p.velocities) for p in msg.points], np.float64)
                  if has_velocities else None)
    return times, positions, velocities


class SimRobotNode(Node):
    """The simulator loop in a thread; topics and services on the executor."""

    def __init__(self) -> None:
        super().__init__(NODE_NAME)
        declare_config(self, SimRobotConfig())
        self.config = config = read_config(self, SimRobotConfig, SimRobotConfig())
        self.task = JointTask(TaskConfig(task=config.task, image_height=config.image_height,
                                         image_width=config.image_width, camera=config.camera,
                                         omega=config.omega,
                                         object_range_scale=config.object_range_scale))
        self._lock = threading.Lock()
        self._step_ns = int(round(self.task.dt * 1e9))
        self._sim_ns = 0
        self._stamp_offset_ns = 0 if config.publish_clock else time.time_ns()
        self._camera_every = every_n_steps(config.camera_rate_hz, self.task.dt)
        self._joint_every = every_n_steps(config.joint_state_rate_hz, self.task.dt)
        self.refused_trajectories = 0
        self.real_time_factor = config.real_time_factor
        self.add_on_set_parameters_callback(self._on_set_parameters)
        self._make_interfaces()
        self.operator = (OperatorLink(self, config, self.task.dt) if config.operator != 'off'
                         else None)
        self._start_episode(config.seed)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name='physics', daemon=True)
        self._thread.start()
        self.get_logger().info(
            f'{config.task}: {1e3 * self.task.dt:.1f} ms per step, images '
            f'{config.image_width}x{config.image_height} every {self._camera_every} step(s), '
            f'real-time factor {config.real_time_factor or "max"}')

    def _make_interfaces(self) -> None:
        reliable = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
        self._image_pub = self.create_publisher(Image, 'image', reliable)
        self._joint_pub = self.create_publisher(JointState, 'joint_states', reliable)
        self._reference_pub = self.create_publisher(JointState, '~/reference', reliable)
        self._clock_pub = (self.create_publisher(Clock, '/clock', reliable)
                           if self.config.publish_clock else None)
        self.create_subscription(JointTrajectory, 'joint_trajectory', self._on_trajectory,
                                 reliable)
        self.create_service(Trigger, '~/reset', self._on_reset)
        self.create_service(Trigger, '~/success', self._on_success)

    def _on_set_parameters(self, params):
        """``seed`` (next reset), ``real_time_factor`` and ``camera_blackout`` (a camera
        fault injected mid-episode, e.g. to watch the policy's confidence gate) change at
        run time; the rest only at start (refused with the reason)."""
        from rcl_interfaces.msg import SetParametersResult

        for p in params:
            if p.name == 'real_time_factor':
                if p.value < 0 or (not self.config.publish_clock and p.value != 1.0):
                    return SetParametersResult(successful=False, reason=(
                        f'real_time_factor={p.value}: expected >= 0 (and 1.0 without '
                        'publish_clock)'))
            elif p.name not in ('seed', 'use_sim_time', 'camera_blackout'):
                return SetParametersResult(successful=False,
                                           reason=f'{p.name} is read at start only')
        for p in params:
            if p.name == 'real_time_factor':
                self.real_time_factor = float(p.value)
            elif p.name == 'camera_blackout':
                self.config = replace(self.config, camera_blackout=bool(p.value))
        return SetParametersResult(successful=True)

    # -- episode ------------------------------------------------------------------------

    def _start_episode(self, seed: int) -> None:
        """Reset the task to ``seed`` and hold its start pose (caller holds the lock or the
        loop is not running); with the operator on, the expert plans the episode first."""
        if self.operator is not None:
            self.operator.plan_episode(self.task, seed)
        self.task.reset(seed)
        self.follower = TrajectoryFollower(self.task.joint_names, self.task.start_targets())
        self.seed, self.steps, self.solved = seed, 0, False

    def _episode_json(self) -> str:
        effort = self.operator.counts() if self.operator is not None else {}
        return json.dumps({'seed': self.seed, 'steps': self.steps, 'success': self.solved,
                           'diverged': self.task.diverged, 'sim_time_s': self._sim_ns / 1e9,
                           **effort})

    def _on_reset(self, request, response):
        seed = int(self.get_parameter('seed').value)
        with self._lock:
            self._start_episode(seed)
            response.message = self._episode_json()
        response.success = True
        self.get_logger().info(f'episode reset: seed {seed}')
        return response

    def _on_success(self, request, response):
        with self._lock:
            response.success = self.solved
            response.message = self._episode_json()
        return response

    # -- commands -----------------------------------------------------------------------

    def _on_trajectory(self, msg: JointTrajectory) -> None:
        try:
            times, positions, velocities = trajectory_arrays(msg)
            start_ns = msg.header.stamp.sec * 10**9 + msg.header.stamp.nanosec
            start_s = max(start_ns - self._stamp_offset_ns, 0) / 1e9 if start_ns else 0.0
            with self._lock:
                now = self._sim_ns / 1e9
                if len(times) == 0:  # JTC: an empty trajectory stops the arm where it is
                    self.follower.hold(self.follower.sample(now))
                    return
                self.follower.set_trajectory(now, start_s, msg.joint_names, times, positions,
                                             velocities)
        except TrajectoryError as error:
            self.refused_trajectories += 1
            self.get_logger().error(f'joint_trajectory refused, the arm keeps its current '
                                    f'reference: {error}', throttle_duration_sec=1.0)

    # -- physics loop -------------------------------------------------------------------

    def _run(self) -> None:
        origin = (time.monotonic(), self._sim_ns)
        while not self._stop.is_set() and self.context.ok():  # stops at shutdown too
            try:
                with self._lock:
                    self._step_once()
            except RCLError:
                if self.context.ok():
                    raise
                return  # shutting down (SIGINT): the publishers are gone
            origin = self._pace(origin)

    def _pace(self, origin: tuple[float, int]) -> tuple[float, int]:
        """Sleep to keep simulated time at ``real_time_factor`` x wall time."""
        factor = self.real_time_factor
        if factor <= 0:
            return time.monotonic(), self._sim_ns
        due = origin[0] + (self._sim_ns - origin[1]) / 1e9 / factor
        lag = due - time.monotonic()
        if lag > 0:
            time.sleep(lag)
        elif lag < -MAX_LAG_S:
            return time.monotonic(), self._sim_ns
        return origin

    def _step_once(self) -> None:
        stamp = stamp_msg(self._sim_ns + self._stamp_offset_ns)
        if self._clock_pub is not None:
            self._clock_pub.publish(Clock(clock=stamp))
        reference = self.follower.sample(self._sim_ns / 1e9)
        if self.steps % self._joint_every == 0:
            self._publish_joints(stamp, reference)
        if self.steps % self._camera_every == 0:
            self._publish_image(stamp)
        if self.operator is not None and self.steps % self.operator.every == 0:
            self.operator.tick(self.steps, self.task.joint_positions()[:7], stamp,
                               self.task.joint_names)
        was_diverged = self.task.diverged
        solved = self.task.step(reference)
        if self.task.diverged and not was_diverged:
            self.get_logger().error(
                f'physics diverged at step {self.steps} (MuJoCo reset the state): this '
                'episode cannot succeed; call ~/reset')
        self.solved |= solved and not self.task.diverged
        self.steps += 1
        self._sim_ns += self._step_ns

    def _publish_joints(self, stamp, reference: np.ndarray) -> None:
        names = list(self.task.joint_names)
        state = JointState(name=names, position=self.task.joint_positions().tolist(),
                           velocity=self.task.joint_velocities().tolist())
        state.header.stamp = stamp
        self._joint_pub.publish(state)
        command = JointState(name=names, position=reference.tolist())
        command.header.stamp = stamp
        self._reference_pub.publish(command)

    def _publish_image(self, stamp) -> None:
        frame = self.task.render()
        if self.config.camera_blackout:
            frame = np.zeros_like(frame)
        msg = Image(height=frame.shape[0], width=frame.shape[1], encoding='rgb8',
                    is_bigendian=0, step=frame.shape[1] * 3, data=frame.tobytes())
        msg.header.stamp = stamp
        msg.header.frame_id = self.config.frame_id
        self._image_pub.publish(msg)

    def close(self) -> None:
        """Stop the physics thread, then close the simulator (never under a running step)."""
        self._stop.set()
        self._thread.join(timeout=5.0)
        if self._thread.is_alive():  # a step stuck (in MuJoCo or DDS): exit without it
            self.get_logger().warning('physics thread still running after 5 s: exiting '
                                      'without closing the simulator')
            return
        self.task.close()


def main(argv: list[str] | None = None) -> int:
    return spin_node(SimRobotNode, argv, num_threads=1)


if __name__ == '__main__':
    raise SystemExit(main())
