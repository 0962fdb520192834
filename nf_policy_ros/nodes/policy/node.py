# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""``policy_node`` (node name ``nf_policy``): NF-P on the control loop.

Subscriptions check each message as it arrives (its fields and, for a CompressedImage, the
JPEG/PNG header; no pixels decoded) and cache the latest good one; a malformed message is
counted (``malformed_image`` / ``malformed_joint_state``), logged and dropped there, so the
input goes stale and the stale rules below hold the robot. A camera topic whose resolved name
ends in ``/compressed`` is subscribed as sensor_msgs/CompressedImage, any other as
sensor_msgs/Image; both are decoded by data/convert.py's ``camera_frame``, as in training.
A control timer checks that the inputs are fresh and hands a snapshot to the inference worker
(never waiting for it); the worker publishes the plan (one JointTrajectory per controller
group, joints by robot name: node_config/routing.py), ``~/confidence``, ``~/log_likelihood``
and ``~/planned_joint_states`` (the plan's end, for a ghost robot in rviz).

A managed (lifecycle) node: configure validates the parameters and loads the checkpoint
(failure: the reason is logged, the node stays unconfigured), activate starts the control
loop and arms the output with a hold at the measured position, deactivate holds there and
disarms, cleanup frees the model. ``autostart`` (default) configures and activates at
start-up and then arms only with ``output_enabled``; ``~/enable_output`` arms and disarms
while active. Without a usable checkpoint the node stays up, publishes nothing but
/diagnostics, and says why (fail safe: the controller keeps holding).
Topics, services and parameters: docs/reference.md.

Two clocks. Input ages, ``hold_after_s`` and the ~/forward_position sampling are judged on
the node's clock like the control timer itself: simulated time under ``use_sim_time`` (a
simulator slower than real time, or paused, does not make its messages stale, and a plan is
followed at the simulator's pace), ``time.monotonic()`` otherwise (immune to wall-clock
jumps). Latencies are always measured in monotonic wall time.
"""

from __future__ import annotations

import sys
import threading
import time

from builtin_interfaces.msg import Time
import numpy as np
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup, ReentrantCallbackGroup
from rclpy.lifecycle import LifecycleNode, LifecycleState, TransitionCallbackReturn
from rclpy.qos import QoSProfile, ReliabilityPolicy, qos_profile_sensor_data
from rclpy.timer import Timer
from sensor_msgs.msg import CompressedImage, Image, JointState
from std_msgs.msg import Float32, Float64MultiArray
from std_srvs.srv import SetBool, Trigger

from nf_policy_ros.data.convert import ConversionError, check_camera_msg, joint_positions
from nf_policy_ros.node_config.policy import (
    PARAMETER_RANGES,
    READ_ONLY_PARAMETERS,
    PolicyNodeConfig,
    is_compressed_topic,
)
from nf_policy_ros.nodes.common.params import declare_config, read_config, watch_config
from nf_policy_ros.nodes.common.spin import spin_node
from nf_policy_ros.nodes.policy import messages, outputs
from nf_policy_ros.nodes.policy.budget import CandidateGovernor
from nf_policy_ros.nodes.policy.configure import ConfigureError, Setup, configure_policy
from nf_policy_ros.nodes.policy.inference import (
    Inference,
    InferenceWorker,
    MalformedInputError,
    Snapshot,
)
from nf_policy_ros.nodes.policy.plan import ConfidenceGate, Plan, hold_plan, make_plan, sample_plan
from nf_policy_ros.nodes.policy.stats import RollingStats

NODE_NAME = 'nf_policy'
HOLD_TIME_S = 0.1


class PolicyNode(LifecycleNode):
    """A managed node: configure loads the checkpoint, activate arms the output (see the
    module docstring); ``autostart`` runs both at start-up."""

    def __init__(self) -> None:
        super().__init__(NODE_NAME)
        self.startup_errors = declare_config(self, PolicyNodeConfig(), ranges=PARAMETER_RANGES,
                                             read_only=READ_ONLY_PARAMETERS)
        self.startup_errors.update(outputs.declare_groups(
            self, self.get_parameter('controller_groups').value or ()))
        self.stats = RollingStats()
        self.state, self.reason = 'unconfigured', ''
        self.config = PolicyNodeConfig()
        self.setup: Setup | None = None
        self.worker: InferenceWorker | None = None
        self.armed = False
        self._autostarting = False
        self._lock = threading.Lock()
        self._latest: dict[str, tuple[object, float]] = {}
        self._inputs: list = []  # subscriptions and timers of the configured node
        self.trajectories: outputs.TrajectoryOutputs | None = None  # from configure
        self._stale_since: float | None = None
        self._stale_hold_sent = False
        self._gate_hold_sent = False
        # the plan a position controller follows: (plan, start position, control-clock s)
        self._following: tuple[Plan, np.ndarray, float] | None = None
        self.gate = ConfidenceGate(self.config.safety.gate_threshold,
                                   self.config.safety.gate_hysteresis)
        self._make_publishers()
        watch_config(self, PolicyNodeConfig, PolicyNodeConfig(), self._on_parameters)
        self.create_service(SetBool, '~/enable_output', self._on_enable)
        self.create_service(Trigger, '~/reset', self._on_reset)
        self.create_timer(1.0, self._publish_diagnostics)
        if self.get_parameter('autostart').value:
            self._autostart()
            status = self.reason or 'ready'
        else:
            self._read_parameters()  # report bad values now, not at configure
            status = self.reason or 'waiting for the configure transition'
        self.get_logger().info(f'{self.state}: {status}; control_rate_hz='
                               f'{self.config.control_rate_hz}, armed={self.armed}')

    def _autostart(self) -> None:
        """configure, then activate (armed only with ``output_enabled``)."""
        if self.trigger_configure() != TransitionCallbackReturn.SUCCESS:
            return
        self._autostarting = True
        try:
            self.trigger_activate()
        finally:
            self._autostarting = False

    # ---- lifecycle transitions ----------------------------------------------------------
    def on_configure(self, state: LifecycleState) -> TransitionCallbackReturn:
        """Validate the parameters, load and check the checkpoint, start the worker."""
        config = self._read_parameters()
        if config is None:
            return TransitionCallbackReturn.FAILURE
        self.config = config  # valid: /diagnostics and the log report them even if loading fails
        try:
            self._configure(config)
        except ConfigureError as exc:
            self.reason = str(exc)
            self.get_logger().error(f'configure failed: {exc}')
            return TransitionCallbackReturn.FAILURE
        self.state = 'inactive'
        return TransitionCallbackReturn.SUCCESS

    def on_activate(self, state: LifecycleState) -> TransitionCallbackReturn:
        """Run the control loop; arm the output, starting with a hold at the measured
        position (autostart arms only with ``output_enabled``)."""
        self._stale_since, self._stale_hold_sent, self._gate_hold_sent = None, False, False
        if not self._autostarting or self.config.output_enabled:
            with self._lock:
                self.armed, self._following = True, None
            self._publish_hold('activate_holds')
        self.state = 'running'
        return TransitionCallbackReturn.SUCCESS

    def on_deactivate(self, state: LifecycleState) -> TransitionCallbackReturn:
        """Hold at the measured position, disarm, stop planning."""
        self._disarm()
        self.state = 'inactive'
        return TransitionCallbackReturn.SUCCESS

    def on_cleanup(self, state: LifecycleState) -> TransitionCallbackReturn:
        """Stop the worker and free the model."""
        self._teardown()
        return TransitionCallbackReturn.SUCCESS

    def on_shutdown(self, state: LifecycleState) -> TransitionCallbackReturn:
        self._disarm()
        self._teardown()
        self.state = 'finalized'
        return TransitionCallbackReturn.SUCCESS

    def on_error(self, state: LifecycleState) -> TransitionCallbackReturn:
        self._disarm()
        self._teardown()
        return TransitionCallbackReturn.SUCCESS

    # ---- parameters ---------------------------------------------------------------------
    def _read_parameters(self) -> PolicyNodeConfig | None:
        """The validated config; None with ``reason`` set and each refusal logged at ERROR
        (one line: field, value, expectation)."""
        errors = list(self.startup_errors.values())
        try:
            config = read_config(self, PolicyNodeConfig, PolicyNodeConfig())
            for topic in config.camera_topics:
                is_compressed_topic(outputs.resolve_topic(self, 'camera_topics', topic))
            outputs.read_groups(self, config.controller_groups)
        except ValueError as exc:
            errors.append(str(exc))
        for error in errors:
            self.get_logger().error(f'invalid parameter: {error}')
        self.reason = f'invalid parameters: {"; ".join(errors)}' if errors else ''
        return None if errors else config

    def _on_parameters(self, config: PolicyNodeConfig, changed: set[str]) -> None:
        """A validated set: the new config applies from the next tick (read-only parameters
        never get here). Called before rclpy stores the values."""
        for name in changed:
            self.startup_errors.pop(name, None)
        self.config = config
        self.gate.threshold = config.safety.gate_threshold
        self.gate.hysteresis = config.safety.gate_hysteresis
        if self.setup is not None:
            self.setup.runner.retune(config.sampling, self._governor(config))
        self.get_logger().info(f'parameters set: {sorted(changed)}')

    @staticmethod
    def _governor(config: PolicyNodeConfig) -> CandidateGovernor:
        return CandidateGovernor(config.sampling.num_candidates, config.min_candidates,
                                 config.model_budget_ms)

    # ---- set-up -------------------------------------------------------------------------
    def _make_publishers(self) -> None:
        """The outputs that exist in every state (the trajectories come with configure)."""
        reliable = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE)
        self.planned_pub = self.create_publisher(JointState, '~/planned_joint_states', 10)
        self.confidence_pub = self.create_publisher(Float32, '~/confidence', 10)
        self.log_likelihood_pub = self.create_publisher(Float32, '~/log_likelihood', 10)
        self.marker_pub = self.create_publisher(messages.Marker, '~/confidence_marker', 10)
        self.diagnostics_pub = self.create_publisher(messages.DiagnosticArray,
                                                     '/diagnostics', 10)
        self.forward_pub = self.create_publisher(Float64MultiArray, '~/forward_position',
                                                 reliable)

    def _configure(self, config: PolicyNodeConfig) -> None:
        """Load the model for ``config`` (raises ConfigureError), then subscribe and start
        the worker and the control timers."""
        self.setup = configure_policy(config, self.get_logger(),
                                      outputs.read_groups(self, config.controller_groups))
        self.config = config
        self.trajectories = outputs.TrajectoryOutputs(self, self.setup.routes)
        self.get_logger().info(f'trajectories: {self.trajectories.describe()}')
        self.gate = ConfidenceGate(config.safety.gate_threshold, config.safety.gate_hysteresis)
        self.worker = InferenceWorker(self.setup.runner, self._on_inference, self._on_error)
        self._make_subscriptions()
        self._inputs.append(self.create_timer(1.0 / config.control_rate_hz, self._on_control,
                                              callback_group=MutuallyExclusiveCallbackGroup()))
        if config.forward_position_rate_hz > 0:
            self._inputs.append(self.create_timer(
                1.0 / config.forward_position_rate_hz, self._on_forward_timer,
                callback_group=MutuallyExclusiveCallbackGroup()))

    def _teardown(self) -> None:
        """Undo ``_configure``: stop the worker, drop inputs and timers, free the model."""
        if self.worker is not None:
            self.worker.stop()
        for entity in self._inputs:
            if isinstance(entity, Timer):
                self.destroy_timer(entity)
            else:
                self.destroy_subscription(entity)
        with self._lock:  # the worker stopped: no plan is being published
            if self.trajectories is not None:
                self.trajectories.destroy()
            self.trajectories = None
        self._inputs, self.worker, self.setup = [], None, None
        self._latest.clear()
        self.state = 'unconfigured'

    def _make_subscriptions(self) -> None:
        """One subscription per camera (Image, or CompressedImage for a resolved name ending
        in /compressed; checked by ``_read_parameters``) and one for joint states."""
        group = ReentrantCallbackGroup()
        for topic in self.config.camera_topics:
            resolved = self.resolve_topic_name(topic)
            msg_type = CompressedImage if is_compressed_topic(resolved) else Image
            self._inputs.append(self.create_subscription(
                msg_type, topic, self._image_callback(topic, resolved),
                qos_profile_sensor_data, callback_group=group))
        self._joint_topic = self.resolve_topic_name('joint_states')
        self._inputs.append(self.create_subscription(
            JointState, 'joint_states', self._on_joint_state, qos_profile_sensor_data,
            callback_group=group))

    def _image_callback(self, topic: str, resolved: str):
        key = f'image:{topic}'

        def on_image(msg) -> None:
            try:
                check_camera_msg(msg)
            except ConversionError as exc:
                self._on_malformed('image', resolved, exc)
                return
            self._latest[key] = (msg, self._control_now())
        return on_image

    def _on_joint_state(self, msg: JointState) -> None:
        setup = self.setup  # the joint names come with the checkpoint
        if setup is not None:
            try:
                joint_positions(msg, setup.robot_joint_names)
            except ConversionError as exc:
                self._on_malformed('joint_state', self._joint_topic, exc)
                return
        self._latest['joint_states'] = (msg, self._control_now())

    def _on_malformed(self, kind: str, topic: str, exc: ConversionError) -> None:
        """Count and log a message dropped on arrival (the cached one ages into a hold)."""
        self.stats.count(f'malformed_{kind}')
        self.get_logger().warning(f'malformed {kind} on {topic}, skipped: {exc}',
                                  throttle_duration_sec=2)

    def _control_now(self) -> float:
        """Now on the control clock [s]: the ROS clock (simulated time) under
        ``use_sim_time`` (read from the clock: follows a change at run time), else
        ``time.monotonic()`` (see the module docstring)."""
        clock = self.get_clock()
        if clock.ros_time_is_active:
            return clock.now().nanoseconds * 1e-9
        return time.monotonic()

    # ---- control tick -------------------------------------------------------------------
    def _on_control(self) -> None:
        if self.state != 'running':
            return
        now = self._control_now()
        stale = self._stale_inputs(now)
        if stale:
            self._on_stale(now, stale)
            return
        self._stale_since, self._stale_hold_sent = None, False
        images = tuple(self._latest[f'image:{t}'][0] for t in self.config.camera_topics)
        joint_state = self._latest['joint_states'][0]
        snapshot = Snapshot(images, joint_state, self._observation_stamp(images, joint_state),
                            time.monotonic(), now)
        if not self.worker.submit(snapshot):
            self.stats.count('overruns')

    def _stale_inputs(self, now: float) -> list[str]:
        """Inputs missing, older than their limit, or received after ``now`` (the clock
        jumped back, e.g. a simulator reset: that message belongs to another timeline)."""
        limits = {f'image:{t}': self.config.safety.max_image_age_s
                  for t in self.config.camera_topics}
        limits['joint_states'] = self.config.safety.max_joint_state_age_s
        return [key for key, limit in limits.items()
                if key not in self._latest or not 0.0 <= now - self._latest[key][1] <= limit]

    def _on_stale(self, now: float, stale: list[str]) -> None:
        self.stats.count('stale_ticks')
        if self._stale_since is not None and now < self._stale_since:
            self._stale_since = now  # the clock jumped back: count hold_after_s from here
        if self._stale_since is None:
            self._stale_since = now
            self.get_logger().warning(f'stale input {stale}: no new plan', throttle_duration_sec=5)
        if not self._stale_hold_sent and now - self._stale_since >= \
                self.config.safety.hold_after_s:
            self._stale_hold_sent = True
            self._publish_hold('stale_holds')

    def _observation_stamp(self, images, joint_state) -> Time:
        if self.config.stamp_mode == 'zero':
            return Time()
        for msg in (*images, joint_state):
            stamp = msg.header.stamp
            if stamp.sec or stamp.nanosec:
                return stamp
        return self.get_clock().now().to_msg()

    # ---- results (inference thread) -----------------------------------------------------
    def _on_inference(self, result: Inference) -> None:
        self.stats.add('inference', result.latency_ms)
        self.stats.add('model', result.model_ms)
        if result.num_candidates < self.config.sampling.num_candidates:
            self.stats.count('degraded_ticks')  # best-of-N ran with fewer candidates
        confidence = result.confidence if np.isfinite(result.confidence) else 0.0
        self.confidence_pub.publish(Float32(data=float(confidence)))
        self.log_likelihood_pub.publish(Float32(data=result.log_prob_per_dim))
        self.marker_pub.publish(messages.confidence_marker(confidence, self.config.marker_frame,
                                                           result.snapshot.stamp))
        plan = make_plan(result.chunk, result.measured, self.setup.times, self.config.safety)
        if plan is not None and self.config.publish_planned_joint_states:
            stamp = result.snapshot.stamp  # zero with stamp_mode zero: the display needs one
            self.planned_pub.publish(messages.planned_joint_state(
                plan.positions[-1], self.setup.robot_joint_names, result.snapshot.joint_state,
                stamp if stamp.sec or stamp.nanosec else self.get_clock().now().to_msg()))
        if not self._gate_allows(confidence):
            return
        if plan is None:
            self.stats.count('nonfinite_plans')
            return
        if self._publish_plan(plan, result.snapshot.stamp, 'plans', result.measured,
                              result.snapshot.control_time):
            tick_to_publish = (time.monotonic() - result.snapshot.tick_time) * 1e3
            self.stats.add('overhead', tick_to_publish - result.model_ms)

    def _gate_allows(self, confidence: float) -> bool:
        mode = self.config.safety.gate
        if mode == 'ignore' or self.gate.update(confidence):
            self._gate_hold_sent = False
            return True
        self.stats.count('gate_closed_ticks')
        if mode == 'warn':
            self.get_logger().warning(f'low confidence {confidence:.3f}', throttle_duration_sec=2)
            return True
        if not self._gate_hold_sent:
            self._gate_hold_sent = True
            self._publish_hold('gate_holds')
        return False

    def _on_error(self, exc: Exception) -> None:
        # malformed here: what the arrival checks cannot see (a corrupt JPEG/PNG body)
        if isinstance(exc, MalformedInputError):
            self.stats.count(f'malformed_{exc.kind}')
            self.get_logger().warning(f'malformed input, no plan: {exc}', throttle_duration_sec=2)
        else:
            self.stats.count('inference_errors')
            self.get_logger().error(f'inference failed: {type(exc).__name__}: {exc}',
                                    throttle_duration_sec=2)

    # ---- output -------------------------------------------------------------------------
    def _publish_plan(self, plan: Plan, stamp: Time, counter: str, start: np.ndarray,
                      start_time: float, disarm: bool = False) -> bool:
        """Publish ``plan`` if armed; it becomes the plan ~/forward_position samples, from
        ``start`` (D,) [rad or m] at control-clock ``start_time`` [s] (the tick).
        ``disarm``: the last output before disarming, atomically (no plan can follow it)."""
        with self._lock:
            if not self.armed:
                return False
            self.trajectories.publish(plan, stamp)
            self._following = (plan, start, start_time)
            self._send_forward_position()  # a hold takes effect now, not a tick later
            if disarm:
                self.armed, self._following = False, None
        self.stats.count(counter)
        if counter == 'plans':
            self.stats.tick()
        return True

    def _publish_hold(self, counter: str, disarm: bool = False) -> None:
        """Hold at the *measured* position (never zeros); nothing if none is known."""
        latest = self._latest.get('joint_states')
        if latest is None or self.setup is None:
            return
        try:
            measured = joint_positions(latest[0], self.setup.robot_joint_names)
        except ConversionError:
            self.stats.count('hold_unavailable')
            return
        self._publish_plan(hold_plan(measured, HOLD_TIME_S), self.get_clock().now().to_msg()
                           if self.config.stamp_mode == 'observation' else Time(), counter,
                           measured, self._control_now(), disarm)

    def _on_forward_timer(self) -> None:
        with self._lock:
            self._send_forward_position()

    def _send_forward_position(self) -> None:
        """The followed plan sampled now, as Float64MultiArray in checkpoint joint order;
        nothing while disarmed, before the first plan, or with the stream off (the
        controller keeps its last command: after a disarm, the hold at the measured
        position). The caller holds ``self._lock``."""
        if (self.config.forward_position_rate_hz <= 0 or not self.armed
                or self._following is None):
            return
        plan, start, start_time = self._following
        positions = sample_plan(plan, start, self._control_now() - start_time)
        self.forward_pub.publish(Float64MultiArray(data=positions.tolist()))

    # ---- services -----------------------------------------------------------------------
    def _on_enable(self, request: SetBool.Request, response: SetBool.Response):
        """Arm (only while active) or disarm (with a hold) the trajectory output."""
        if request.data and self.state != 'running':
            response.success = False
            response.message = f'{self.state}: {self.reason or "activate the node first"}'
            return response
        if request.data:
            with self._lock:
                self.armed, self._following = True, None
        else:
            self._disarm()
        response.success, response.message = True, f'armed={self.armed}'
        return response

    def _disarm(self) -> None:
        """Hold at the measured position (if armed and known), then disarm."""
        if self.armed:
            self._publish_hold('disarm_holds', disarm=True)
        with self._lock:
            self.armed, self._following = False, None

    def _on_reset(self, request: Trigger.Request, response: Trigger.Response):
        self.gate.reset()
        self.stats.reset()
        self._stale_since, self._stale_hold_sent, self._gate_hold_sent = None, False, False
        response.success, response.message = True, 'gate, counters and hold state reset'
        return response

    # ---- diagnostics --------------------------------------------------------------------
    def _publish_diagnostics(self) -> None:
        now = self._control_now()
        values: dict[str, object] = {'state': self.state, 'armed': self.armed,
                                     'control_rate_hz': self.config.control_rate_hz,
                                     'device': self.config.device,
                                     'gate': f'{self.config.safety.gate}:'
                                             f'{"open" if self.gate.open else "closed"}'}
        setup = self.setup
        governor = setup.runner.governor if setup is not None else None
        if setup is not None:
            values.update(device=str(setup.device), warmup_ms=setup.warmup_ms,
                          inference_path=setup.inference_path)
        if governor is not None:
            values['num_candidates'] = governor.current
        for key, (_, received) in list(self._latest.items()):
            values[f'age_s.{key}'] = round(now - received, 3)
        values.update(self.stats.summary())
        level = (messages.OK if self.state == 'running' else
                 messages.ERROR if self.reason else messages.WARN)
        degraded = governor is not None and governor.degraded
        if self.state == 'running' and (self._stale_since is not None or not self.gate.open
                                        or degraded):
            level = messages.WARN
        text = f'{self.state}: {self.reason}' if self.reason else self.state
        if degraded:
            text += (f'; model late: best-of-{governor.current} of '
                     f'{self.config.sampling.num_candidates}')
        self.diagnostics_pub.publish(messages.diagnostics_msg(
            f'{NODE_NAME}: policy', level, text, values, self.get_clock().now().to_msg()))

    def close(self) -> None:
        """Process exit (spin_node): stop the worker thread."""
        if self.worker is not None:
            self.worker.stop()


# The inference thread needs the GIL back after every torch op; with Python's default 5 ms
# switch interval, a busy executor thread (500 Hz joint states) made one best-of-128 tick
# take seconds (see docs/decisions.md). 0.5 ms bounds each wait.
GIL_SWITCH_INTERVAL_S = 0.0005


def main(argv: list[str] | None = None) -> int:
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
    # Callbacks only cache messages and hand snapshots over: one executor thread suffices,
    # and the inference runs in its own thread.
    return spin_node(PolicyNode, argv if argv is not None else sys.argv, num_threads=1)


if __name__ == '__main__':
    sys.exit(main())
