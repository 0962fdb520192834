# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The sim robot's simulated teleoperator on ROS: listens to the policy node's takeover
flag, commands the scripted expert's joint targets on the teleop topic while a takeover is
its to serve, and asks the policy node to release the takeover when its ticks are spent.

Runs inside ``sim_robot_node``: ``tick`` is called from the physics loop every
``operator_rate_hz`` of simulated time, with the simulator's lock held; nothing here
blocks (the release request is asynchronous, its answer only logged).
"""

from __future__ import annotations

import threading

from builtin_interfaces.msg import Time
import numpy as np
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from std_msgs.msg import Bool
from std_srvs.srv import Trigger
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint

from nf_policy_ros.node_config.sim import SimRobotConfig
from nf_policy_ros.nodes.common.time_msgs import duration
from nf_policy_ros.sim.experts import run_expert
from nf_policy_ros.sim.operator import ExpertPlan, TakeoverBudget
from nf_policy_ros.sim.task import JointTask

# the takeover flag: latched, and deep enough that a release and the next takeover, both
# between two executor wake-ups, arrive as two samples (depth 1 would keep the later one)
LATCHED = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE,
                     durability=DurabilityPolicy.TRANSIENT_LOCAL)


class OperatorLink:
    """Takeover subscription, teleop publisher and release client of one robot node.

    :param step_s: simulated seconds per physics step.
    """

    def __init__(self, node: Node, config: SimRobotConfig, step_s: float) -> None:
        self.node, self.config = node, config
        self.every = max(1, round(1.0 / (config.operator_rate_hz * step_s)))
        self.tick_s = self.every * step_s
        self.budget = TakeoverBudget(config.operator, config.operator_ticks)
        self.plan: ExpertPlan | None = None
        self._flag_lock = threading.Lock()
        self._wanted = False  # the takeover topic's last value (executor thread)
        self._ends = 0  # takeovers seen ending: the flag's true -> false edges
        self._ends_seen = 0  # the ends ``tick`` has followed (physics thread)
        self._publisher = node.create_publisher(JointTrajectory, config.teleop_topic, 10)
        self._release = node.create_client(Trigger, config.release_service)
        node.create_subscription(Bool, config.takeover_topic, self._on_takeover, LATCHED)

    def _on_takeover(self, msg: Bool) -> None:
        with self._flag_lock:
            self._ends += self._wanted and not msg.data
            self._wanted = bool(msg.data)

    def _takeover_flag(self) -> tuple[bool, bool]:
        """(the flag now, whether a takeover ended since the last tick). A release and the
        next takeover can both come between two ticks (a gate that closes again at once):
        a flag still true then is a new takeover with a fresh budget, not the spent one."""
        with self._flag_lock:
            wanted, ends = self._wanted, self._ends
        ended, self._ends_seen = ends != self._ends_seen, ends
        return wanted, ended

    def plan_episode(self, task: JointTask, seed: int) -> None:
        """Let the expert plan the episode of ``seed`` (resets ``task``: reset it to the
        seed again afterwards) and zero the episode's counts. A plan that fails leaves
        the operator silent for the episode (logged); the robot runs on."""
        self.budget.new_episode()
        try:
            self.plan = ExpertPlan(run_expert(task, seed))
        except Exception as exc:  # a Meta-World failure must not take the robot down
            self.plan = None
            self.node.get_logger().error(f'operator: the expert could not plan seed {seed} '
                                         f'({type(exc).__name__}: {exc}): no operator this '
                                         'episode')
            return
        self.budget.active = False  # a takeover still on joins the new plan at its next tick
        if not self.plan.expert_success:
            self.node.get_logger().warning(f'operator: the expert does not solve seed {seed} '
                                           'itself; it commands its plan all the same')

    def tick(self, sim_step: int, arm_now: np.ndarray, stamp: Time,
             joint_names: tuple[str, ...]) -> None:
        """One command tick at ``sim_step``: follow the takeover flag, command the plan
        when the takeover is the operator's, ask for release when its budget is spent."""
        if self.plan is None:
            return
        wanted, ended = self._takeover_flag()
        if ended:
            self.budget.set_active(False)  # a flag true now is the next takeover
        if self.budget.set_active(wanted):
            joined = self.plan.join(arm_now, sim_step)
            self.node.get_logger().info(f'operator: takeover {self.budget.takeovers} at step '
                                        f'{sim_step}, joining the expert plan at step '
                                        f'{joined}')
        if not self.budget.should_command():
            return
        self._publisher.publish(self._message(sim_step, stamp, joint_names))
        if self.budget.commanded():
            self._request_release()

    def _message(self, sim_step: int, stamp: Time,
                 joint_names: tuple[str, ...]) -> JointTrajectory:
        """The plan's next ``operator_points`` targets, one command tick apart, timed from
        ``stamp`` (the simulated time of ``sim_step``)."""
        targets = self.plan.chunk(sim_step, self.config.operator_points, self.every)
        msg = JointTrajectory(joint_names=list(joint_names))
        msg.header.stamp = stamp
        msg.points = [JointTrajectoryPoint(positions=row.tolist(),
                                           time_from_start=duration(k * self.tick_s))
                      for k, row in enumerate(targets)]
        return msg

    def _request_release(self) -> None:
        """Ask the policy node to end the takeover (asynchronous; a missing service is
        logged and the operator stays silent until the takeover ends)."""
        name = self.config.release_service
        if not self._release.service_is_ready():
            self.node.get_logger().error(f'operator: {self.budget.served} ticks spent but '
                                         f'{name} is not available: stopped commanding; '
                                         'the takeover stays on until it is released')
            return
        self.node.get_logger().info(f'operator: {self.budget.served} ticks spent, calling '
                                    f'{name}')
        future = self._release.call_async(Trigger.Request())
        future.add_done_callback(self._on_released)

    def _on_released(self, future) -> None:
        reply = future.result()
        if reply is None or not reply.success:
            reason = 'no reply' if reply is None else reply.message
            self.node.get_logger().warning(f'operator: release refused: {reason}')

    def counts(self) -> dict[str, int]:
        """The episode's operator effort: command ticks and takeovers served."""
        return {'expert_ticks': self.budget.total, 'takeovers': self.budget.takeovers}
