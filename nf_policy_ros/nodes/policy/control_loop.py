# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The configured policy node's control loop: inputs -> control tick -> inference -> plan.

``PolicyNode`` (nodes/policy/node.py) creates one ``ControlLoop`` at configure and destroys
it at cleanup; activate arms it, deactivate disarms it. The loop sees the node only through
a ``LoopPort`` (port.py); the ROS-free logic it drives lives in nf_policy_ros/runtime/.

Subscriptions check each message as it arrives (its fields and, for a CompressedImage, the
JPEG/PNG header; no pixels decoded) and cache the latest good one; a malformed message is
counted (``malformed_image`` / ``malformed_joint_state``), logged and dropped there, so the
input goes stale and the stale rules below hold the robot. A camera topic whose resolved name
ends in ``/compressed`` is subscribed as sensor_msgs/CompressedImage, any other as
sensor_msgs/Image; both are decoded by data/convert.py's ``camera_frame``, as in training.
A control timer checks that the inputs are fresh and hands a snapshot to the inference worker
(never waiting for it); the worker publishes ``~/confidence``, ``~/log_likelihood`` and
``~/planned_joint_states`` (the plan's end, for a ghost robot in rviz) every tick, and the
plan (one JointTrajectory per controller group, joints by robot name: node_config/routing.py)
once the robot has followed the last one for ``execute_points`` chunk points (the
checkpoint's, as its benchmark ran it; runtime/plan.py ``ReplanSchedule``).

Observation horizon (runtime/history.py): a checkpoint with ``encoder.obs_horizon`` T_o > 1
gets each tick's snapshot with the snapshots of the T_o - 1 chunk points (stride / fps
seconds each) before it on the control clock, the oldest repeated until that many exist.
A stale-input hold, a malformed input, a lifecycle deactivate and a clock jump back clear
that history.

Takeover (runtime/takeover.py): when the ``takeover`` gate closes or an operator asks, the
loop holds at the measured position, publishes no plan of its own, and forwards each teleop
command (``takeover.teleop_topic``) once, on arrival, through the same outputs and rules as
a plan, until the operator releases it or the output is disarmed. ``~/takeover`` (latched)
and /diagnostics announce each transition; ``~/intervention`` says every tick whether a
takeover is active.

Input ages, ``hold_after_s`` and the ~/forward_position sampling are judged on the node's
control clock (``port.control_now``); latencies in monotonic wall time.
"""

from __future__ import annotations

import threading
import time

from builtin_interfaces.msg import Time
import numpy as np
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup, ReentrantCallbackGroup
from rclpy.qos import QoSProfile, ReliabilityPolicy, qos_profile_sensor_data
from rclpy.timer import Timer
from sensor_msgs.msg import CompressedImage, Image, JointState
from std_msgs.msg import Bool, Float32, Float64MultiArray
from trajectory_msgs.msg import JointTrajectory

from nf_policy_ros.config import ConfigError
from nf_policy_ros.core.sampling import candidate_dtype
from nf_policy_ros.data.convert import ConversionError, check_camera_msg, joint_positions
from nf_policy_ros.node_config.policy import PolicyNodeConfig, is_compressed_topic
from nf_policy_ros.nodes.policy import messages, outputs
from nf_policy_ros.nodes.policy.port import LoopPort
from nf_policy_ros.runtime.budget import governor_for
from nf_policy_ros.runtime.configure import (
    Setup,
    check_candidates,
    check_confidence_source,
    check_execute_points,
)
from nf_policy_ros.runtime.inference import (
    Inference,
    InferenceWorker,
    MalformedInputError,
    Snapshot,
)
from nf_policy_ros.runtime.plan import Plan, ReplanSchedule, hold_plan, make_plan, sample_plan
from nf_policy_ros.runtime.takeover import Takeover, stamp_seconds, teleop_plan_of

HOLD_TIME_S = 0.1
# teleop commands: a short queue, so one that arrives while the executor is busy is forwarded
# in order or dropped by its age (max_teleop_age_s) and counted, never superseded unseen
# (depth 1 lost a quarter of a 20 Hz operator's commands on a loaded 2-core CI machine);
# best effort matches any sender
TELEOP_QOS = QoSProfile(depth=10, reliability=ReliabilityPolicy.BEST_EFFORT)


class ControlLoop:
    """Subscriptions, control timers, inference worker, trajectory outputs and the armed
    state of a configured node. ``port`` gives the live config, the confidence gate, the
    statistics, the lifecycle state, the clocks and the publishers that exist in every
    state; ``setup`` the loaded model and what configure checked."""

    def __init__(self, port: LoopPort, setup: Setup) -> None:
        self.port, self.setup = port, setup
        self.armed = False
        self.lock = threading.Lock()  # armed, _following and the trajectory publishers
        self._latest: dict[str, tuple[object, float]] = {}  # key -> (msg, control-clock s)
        self._entities: list = []  # subscriptions and timers
        self._stale_since: float | None = None
        self._stale_hold_sent = False
        self._gate_hold_sent = False
        # the plan a position controller follows: (plan, start position, control-clock s)
        self._following: tuple[Plan, np.ndarray, float] | None = None
        self.replan = ReplanSchedule()  # when the next policy plan is published
        # the earlier snapshots a checkpoint with obs_horizon > 1 sees (runtime/history.py)
        self.history = setup.history(port.config())
        self.takeover = Takeover()
        self.trajectories = outputs.TrajectoryOutputs(port.ros, setup.routes)
        port.logger.info(f'trajectories: {self.trajectories.describe()}')
        self.worker = InferenceWorker(setup.runner, self._on_inference, self._on_error)
        self._subscribe()
        self._start_timers()

    # ---- life ---------------------------------------------------------------------------
    def _subscribe(self) -> None:
        """One subscription per camera (Image, or CompressedImage for a resolved name ending
        in /compressed; checked when the parameters were read) and one for joint states."""
        node, group = self.port.ros, ReentrantCallbackGroup()
        for topic in self.port.config().camera_topics:
            resolved = node.resolve_topic_name(topic)
            msg_type = CompressedImage if is_compressed_topic(resolved) else Image
            self._entities.append(node.create_subscription(
                msg_type, topic, self._image_callback(topic, resolved),
                qos_profile_sensor_data, callback_group=group))
        self._joint_topic = node.resolve_topic_name('joint_states')
        self._entities.append(node.create_subscription(
            JointState, 'joint_states', self._on_joint_state, qos_profile_sensor_data,
            callback_group=group))
        teleop = self.port.config().takeover.teleop_topic
        self._teleop_topic = node.resolve_topic_name(teleop)
        self._entities.append(node.create_subscription(
            JointTrajectory, teleop, self._on_teleop, TELEOP_QOS, callback_group=group))

    def _start_timers(self) -> None:
        node, config = self.port.ros, self.port.config()
        self._entities.append(node.create_timer(1.0 / config.control_rate_hz, self._on_control,
                                                callback_group=MutuallyExclusiveCallbackGroup()))
        if config.forward_position_rate_hz > 0:
            self._entities.append(node.create_timer(
                1.0 / config.forward_position_rate_hz, self._on_forward_timer,
                callback_group=MutuallyExclusiveCallbackGroup()))

    def stop(self) -> None:
        """Stop the inference thread (process exit, cleanup)."""
        if not self.worker.stop():
            self.port.logger.warning(
                'the inference thread is still in a tick after 5 s; going on without it')

    def destroy(self) -> None:
        """Stop the worker, drop inputs, timers and trajectory publishers (cleanup)."""
        self.stop()
        for entity in self._entities:
            if isinstance(entity, Timer):
                self.port.ros.destroy_timer(entity)
            else:
                self.port.ros.destroy_subscription(entity)
        with self.lock:  # the worker stopped: no plan is being published
            self.trajectories.destroy()
        self._entities = []
        self._latest.clear()

    # ---- arming -------------------------------------------------------------------------
    def arm(self) -> None:
        """Publish plans from now on (none followed yet). A stale or gate hold marked sent
        while disarmed never reached the robot: arming forgets it, so a gate still closed
        holds (or, with ``takeover``, hands over) at the next plan."""
        with self.lock:
            if not self.armed:
                self._stale_hold_sent = self._gate_hold_sent = False
            self.armed, self._following = True, None
            self.replan.reset()

    def disarm(self) -> None:
        """End a takeover, hold at the measured position (if armed and known), disarm."""
        self.end_takeover('the output was disarmed', hold=False)
        if self.armed:
            self.publish_hold('disarm_holds', disarm=True)
        with self.lock:
            self.armed, self._following = False, None

    def clear_history(self) -> None:
        """Forget the earlier snapshots (lifecycle deactivate): after it the policy sees
        its first observation repeated until it has ``obs_horizon`` of them again."""
        self.history.clear()

    def reset_holds(self) -> None:
        """Forget the stale and gate holds sent (activate, ~/reset)."""
        self._stale_since, self._stale_hold_sent, self._gate_hold_sent = None, False, False

    @property
    def stale(self) -> bool:
        """Whether an input is stale now (as of the last tick)."""
        return self._stale_since is not None

    def input_ages(self, now: float) -> dict[str, float]:
        """``age_s.<input>`` -> seconds since its latest message, on the control clock."""
        return {f'age_s.{key}': round(now - received, 3)
                for key, (_, received) in list(self._latest.items())}

    def diagnostic_values(self, now: float) -> dict[str, object]:
        """What the loop adds to /diagnostics: device, warm-up, inference path, best-of-N
        now and the calibration's, chunk points per plan, observations per plan, candidate
        precision, input ages (control clock [s])."""
        setup = self.setup
        values: dict[str, object] = {'device': str(setup.device),
                                     'warmup_ms': setup.warmup_ms,
                                     'inference_path': setup.inference_path}
        sampling, governor = setup.runner.tick_sampling()
        if governor is not None:
            values['num_candidates'] = governor.current
        values['calibration_mode'] = setup.calibrated_mode
        if setup.calibrated_candidates is not None:
            values['calibration_num_candidates'] = setup.calibrated_candidates
        values['execute_points'] = self.port.config().execute_points or setup.execute_points
        values['obs_horizon'] = setup.obs_horizon
        reduced = candidate_dtype(sampling, setup.device) is not None
        values['candidate_precision'] = 'bf16' if reduced else 'fp32'
        state = self.takeover.state
        values['takeover'] = 'off' if state is None else \
            f'{state.cause} ({now - state.since_control_s:.1f} s)'
        return values | self.input_ages(now)

    def warnings(self) -> list[str]:
        """What /diagnostics warns about: 'model late: best-of-<now> of <configured>' while
        the governor has degraded best-of-N, 'takeover: <cause>' while one is active."""
        out = []
        _, governor = self.setup.runner.tick_sampling()
        if governor is not None and governor.degraded:
            out.append(f'model late: best-of-{governor.current} of {governor.max_candidates}')
        state = self.takeover.state
        if state is not None:
            out.append(f'takeover: {state.cause}')
        return out

    def retune(self, config: PolicyNodeConfig) -> None:
        """Live parameters: ``config``'s sampling and a fresh governor from the next tick.
        Raises ValueError (ConfigError), changing nothing, for more candidates than the
        calibration's (runtime/configure.py); logs the warning for fewer."""
        check_execute_points(config, self.setup.horizon)
        note = check_candidates(config.sampling, self.setup.calibrated_candidates,
                                self.setup.calibrated_mode)
        check_confidence_source(config.sampling,
                                self.setup.runner.policy.context_support.has_percentile)
        changed = config.sampling != self.setup.runner.sampling
        self.setup.runner.retune(config.sampling, governor_for(config))
        if note and changed:
            self.port.logger.warning(note)

    # ---- inputs (executor thread) -------------------------------------------------------
    def _image_callback(self, topic: str, resolved: str):
        key = f'image:{topic}'

        def on_image(msg) -> None:
            try:
                check_camera_msg(msg, self.port.config().safety.max_image_side)
            except ConversionError as exc:
                self._on_malformed('image', resolved, exc)
                return
            self._latest[key] = (msg, self.port.control_now())
        return on_image

    def _on_joint_state(self, msg: JointState) -> None:
        try:  # the joint names come with the checkpoint
            joint_positions(msg, self.setup.robot_joint_names)
        except ConversionError as exc:
            self._on_malformed('joint_state', self._joint_topic, exc)
            return
        self._latest['joint_states'] = (msg, self.port.control_now())

    def _on_malformed(self, kind: str, topic: str, exc: ConversionError) -> None:
        """Count and log a message dropped on arrival (the cached one ages into a hold)."""
        self.port.stats.count(f'malformed_{kind}')
        self.port.logger.warning(f'malformed {kind} on {topic}, skipped: {exc}',
                                 throttle_duration_sec=2)

    # ---- control tick -------------------------------------------------------------------
    def _on_control(self) -> None:
        self.port.publishers.intervention.publish(Bool(data=self.takeover.active))
        if self.port.lifecycle_state() != 'active':
            self.history.clear()  # a tick that raced a deactivate leaves nothing behind
            return
        now = self.port.control_now()
        stale = self._stale_inputs(now)
        if stale:
            self._on_stale(now, stale)
            return
        self._stale_since, self._stale_hold_sent = None, False
        images = tuple(self._latest[f'image:{t}'][0] for t in self.port.config().camera_topics)
        joint_state = self._latest['joint_states'][0]
        snapshot = self.history.add(Snapshot(
            images, joint_state, self._observation_stamp(images, joint_state),
            time.monotonic(), now))
        if not self.worker.submit(snapshot):
            self.port.stats.count('overruns')

    def _stale_inputs(self, now: float) -> list[str]:
        """Inputs missing, older than their limit, or received after ``now`` (the clock
        jumped back, e.g. a simulator reset: that message belongs to another timeline)."""
        config = self.port.config()
        limits = {f'image:{t}': config.safety.max_image_age_s for t in config.camera_topics}
        limits['joint_states'] = config.safety.max_joint_state_age_s
        return [key for key, limit in limits.items()
                if key not in self._latest or not 0.0 <= now - self._latest[key][1] <= limit]

    def _on_stale(self, now: float, stale: list[str]) -> None:
        self.port.stats.count('stale_ticks')
        if self._stale_since is not None and now < self._stale_since:
            self._stale_since = now  # the clock jumped back: count hold_after_s from here
        if self._stale_since is None:
            self._stale_since = now
            self.port.logger.warning(f'stale input {stale}: no new plan',
                                     throttle_duration_sec=5)
        if now - self._stale_since < self.port.config().safety.hold_after_s:
            return
        self.history.clear()  # the observations before the hold are no run of ticks now
        if not self._stale_hold_sent and not self.takeover.active:
            self._stale_hold_sent = True
            self.publish_hold('stale_holds')

    def _observation_stamp(self, images, joint_state) -> Time:
        if self.port.config().stamp_mode == 'zero':
            return Time()
        for msg in (*images, joint_state):
            stamp = msg.header.stamp
            if stamp.sec or stamp.nanosec:
                return stamp
        return self.port.ros_now()

    # ---- results (inference thread) -----------------------------------------------------
    def _on_inference(self, result: Inference) -> None:
        config, stats, publishers = self.port.config(), self.port.stats, self.port.publishers
        stats.add('inference', result.latency_ms)
        stats.add('model', result.model_ms)
        if result.num_candidates < config.sampling.num_candidates:
            stats.count('degraded_ticks')  # best-of-N ran with fewer candidates
        confidence = result.confidence if np.isfinite(result.confidence) else 0.0
        publishers.confidence.publish(Float32(data=float(confidence)))
        publishers.log_likelihood.publish(Float32(data=result.log_prob_per_dim))
        publishers.marker.publish(messages.confidence_marker(confidence, config.marker_frame,
                                                             result.snapshot.stamp))
        plan = make_plan(result.chunk, result.measured, self.setup.times, config.safety)
        if plan is not None and config.publish_planned_joint_states:
            stamp = result.snapshot.stamp  # zero with stamp_mode zero: the display needs one
            publishers.planned.publish(messages.planned_joint_state(
                plan.positions[-1], self.setup.robot_joint_names, result.snapshot.joint_state,
                stamp if stamp.sec or stamp.nanosec else self.port.ros_now()))
        if self.takeover.active:
            return  # the teleop source commands; the confidence keeps flowing
        if not self._gate_allows(confidence, result.in_support):
            return
        if plan is None:
            stats.count('nonfinite_plans')
            return
        if not self._replan_due(result.snapshot.control_time, config):
            stats.count('following_ticks')  # the robot follows the last plan's points
            return
        if self._publish_plan(plan, result.snapshot.stamp, 'plans', result.measured,
                              result.snapshot.control_time, kind='policy'):
            tick_to_publish = (time.monotonic() - result.snapshot.tick_time) * 1e3
            stats.add('overhead', tick_to_publish - result.model_ms)

    def _replan_due(self, control_time: float, config: PolicyNodeConfig) -> bool:
        """Whether the plan of an observation at ``control_time`` [s] is published: the
        robot has followed the last policy plan for its execute_points (half a control
        period of slack for timer jitter)."""
        slack = 0.5 / config.control_rate_hz
        return self.replan.due(control_time, self.setup.replan_period_s(config), slack)

    def _gate_allows(self, confidence: float, in_support: bool) -> bool:
        mode = self.port.config().safety.gate
        if mode == 'ignore' or self.port.gate.update(confidence, in_support):
            self._gate_hold_sent = False
            return True
        self.port.stats.count('gate_closed_ticks')
        if mode == 'warn':
            self.port.logger.warning(f'low confidence {confidence:.3f}',
                                     throttle_duration_sec=2)
            return True
        if not self._gate_hold_sent:
            self._gate_hold_sent = True
            if mode == 'takeover' and self.armed:
                why = 'outside the training support' if not in_support else \
                    f'confidence {confidence:.3f}'
                self.begin_takeover(f'gate: {why}')
            else:
                self.publish_hold('gate_holds')
        return False

    def _on_error(self, exc: Exception) -> None:
        # malformed here: what the arrival checks cannot see (a corrupt JPEG/PNG body)
        if isinstance(exc, MalformedInputError):
            self.history.clear()  # later ticks would see the bad frame again
            self.port.stats.count(f'malformed_{exc.kind}')
            self.port.logger.warning(f'malformed input, no plan: {exc}',
                                           throttle_duration_sec=2)
        else:
            self.port.stats.count('inference_errors')
            self.port.logger.error(f'inference failed: {type(exc).__name__}: {exc}',
                                         throttle_duration_sec=2)

    # ---- output -------------------------------------------------------------------------
    def _publish_plan(self, plan: Plan, stamp: Time, counter: str, start: np.ndarray,
                      start_time: float, disarm: bool = False, kind: str = 'hold') -> bool:
        """Publish ``plan`` if armed; it becomes the plan ~/forward_position samples, from
        ``start`` (D,) [rad or m] at control-clock ``start_time`` [s] (the tick).
        ``disarm``: the last output before disarming, atomically (no plan can follow it).
        ``kind``: 'policy' (never during a takeover), 'teleop' (only during one) or 'hold'."""
        with self.lock:
            takeover = self.takeover.active
            if not self.armed or (kind == 'policy' and takeover) or \
                    (kind == 'teleop' and not takeover):
                return False
            self.trajectories.publish(plan, stamp)
            self._following = (plan, start, start_time)
            if kind == 'policy':
                self.replan.published(start_time)
            else:  # a hold or a teleop command replaced the policy's plan
                self.replan.reset()
            self._send_forward_position()  # a hold takes effect now, not a tick later
            if disarm:
                self.armed, self._following = False, None
        self.port.stats.count(counter)
        if counter == 'plans':
            self.port.stats.tick()
        return True

    def publish_hold(self, counter: str, disarm: bool = False) -> None:
        """Hold at the *measured* position (never zeros); nothing if none is known."""
        latest = self._latest.get('joint_states')
        if latest is None:
            return
        try:
            measured = joint_positions(latest[0], self.setup.robot_joint_names)
        except ConversionError:
            self.port.stats.count('hold_unavailable')
            return
        stamp = self.port.ros_now() if self.port.config().stamp_mode == 'observation' else Time()
        self._publish_plan(hold_plan(measured, HOLD_TIME_S), stamp, counter, measured,
                           self.port.control_now(), disarm)

    def _on_forward_timer(self) -> None:
        with self.lock:
            self._send_forward_position()

    def _send_forward_position(self) -> None:
        """The followed plan sampled now, as Float64MultiArray in checkpoint joint order;
        nothing while disarmed, before the first plan, or with the stream off (the
        controller keeps its last command: after a disarm, the hold at the measured
        position). The caller holds ``self.lock``."""
        if (self.port.config().forward_position_rate_hz <= 0 or not self.armed
                or self._following is None):
            return
        plan, start, start_time = self._following
        positions = sample_plan(plan, start, self.port.control_now() - start_time)
        self.port.publishers.forward.publish(Float64MultiArray(data=positions.tolist()))

    # ---- takeover -----------------------------------------------------------------------
    def begin_takeover(self, cause: str) -> tuple[bool, str]:
        """Hand the robot to the teleop source: hold at the measured position, stop
        planning, forward teleop commands. Refused (False, why) while disarmed."""
        with self.lock:
            if not self.armed:
                return False, 'the output is disarmed: arm it (~/enable_output) first'
            began = self.takeover.begin(cause, self.port.control_now(),
                                        self.port.ros_seconds())
        if not began:
            return True, f'a takeover is active already ({self.takeover.state.cause})'
        self.publish_hold('takeover_holds')
        self._announce(True, f'takeover ({cause}): holding; forwarding {self._teleop_topic} '
                             'until ~/release_takeover')
        return True, f'takeover active ({cause}): forwarding {self._teleop_topic}'

    def end_takeover(self, why: str, hold: bool = True) -> tuple[bool, str]:
        """Give the robot back to the policy: the gate reopens (it closes again if the
        policy is still unsure), a hold at the measured position (``hold``) replaces the
        last teleop command until the next plan."""
        ended = self.takeover.end()
        if ended is None:
            return True, 'no takeover is active'
        self.port.gate.reset()
        self.reset_holds()
        if hold:
            self.publish_hold('release_holds')
        seconds = self.port.control_now() - ended.since_control_s
        self._announce(False, f'takeover ({ended.cause}) ended after {seconds:.1f} s: {why}; '
                              'the policy plans again')
        return True, f'released after {seconds:.1f} s: the policy plans again'

    def _announce(self, active: bool, text: str) -> None:
        """A takeover transition: log it, latch ~/takeover, report /diagnostics now."""
        self.port.publishers.takeover.publish(Bool(data=active))
        if active:  # one call site per severity (rclpy's logger requires it)
            self.port.logger.warning(text)
        else:
            self.port.logger.info(text)
        self.port.report_now()

    def _on_teleop(self, msg: JointTrajectory) -> None:
        """Forward one teleop command while a takeover is active (executor thread): drop a
        stale one, refuse one that breaks the output rules; each counted and logged."""
        if not self.takeover.active:
            return  # not forwarded now, never later: nothing is kept
        config = self.port.config()
        stale = self.takeover.stale_reason(stamp_seconds(msg.header.stamp),
                                           self.port.ros_seconds(),
                                           config.takeover.max_teleop_age_s)
        if stale:
            self._drop_teleop('stale_teleop', stale)
            return
        now = self.port.control_now()
        try:
            measured = self._fresh_measured(now)
            plan = teleop_plan_of(msg, self.setup.robot_joint_names, measured, config.safety)
        except (ConfigError, ConversionError) as exc:
            self._drop_teleop('refused_teleop', str(exc))
            return
        stamp = msg.header.stamp if config.stamp_mode == 'observation' else Time()
        if not self._publish_plan(plan, stamp, 'teleop_commands', measured, now,
                                  kind='teleop'):
            self._drop_teleop('stale_teleop', 'the takeover ended before it was forwarded')

    def _fresh_measured(self, now: float) -> np.ndarray:
        """(D,) the measured positions [rad or m], policy order, from a joint state within
        ``safety.max_joint_state_age_s``; ConfigError if there is none."""
        latest = self._latest.get('joint_states')
        limit = self.port.config().safety.max_joint_state_age_s
        age = None if latest is None else round(now - latest[1], 3)
        if age is None or not 0.0 <= age <= limit:
            raise ConfigError(f'joint_states age={"none received" if age is None else age} '
                              'is stale: expected a joint state at '
                              f'most safety.max_joint_state_age_s={limit} s old (max_step_rad '
                              'starts at the measured position)')
        return joint_positions(latest[0], self.setup.robot_joint_names)

    def _drop_teleop(self, counter: str, why: str) -> None:
        """Count and log a dropped command (each kind throttled on its own: rclpy throttles
        per call site)."""
        self.port.stats.count(counter)
        text = f'teleop command on {self._teleop_topic} dropped: {why}'
        if counter == 'stale_teleop':
            self.port.logger.warning(text, throttle_duration_sec=1)
        else:
            self.port.logger.warning(text, throttle_duration_sec=1)
