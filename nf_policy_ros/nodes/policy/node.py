# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""``policy_node`` (node name ``nf_policy``): NF-P on the control loop.

A managed (lifecycle) node: configure validates the parameters, loads the checkpoint and
starts the control loop (nodes/policy/control_loop.py: inputs, tick, inference, plan
outputs; failure: the reason is logged, the node stays unconfigured), activate arms the
output with a hold at the measured position, deactivate holds there and disarms, cleanup
stops the loop and frees the model. ``autostart`` (default) configures and activates at
start-up and then arms only with ``output_enabled``; ``~/enable_output`` arms and disarms
while active. Without a usable checkpoint the node stays up, publishes nothing but
/diagnostics, and says why (fail safe: the controller keeps holding). This module holds the
lifecycle, the parameters, the services and /diagnostics.
Topics, services and parameters: docs/reference.md.

Two clocks (``control_now``). Input ages, ``hold_after_s`` and the ~/forward_position
sampling are judged on the node's clock like the control timer itself: simulated time under
``use_sim_time`` (a simulator slower than real time, or paused, does not make its messages
stale, and a plan is followed at the simulator's pace), ``time.monotonic()`` otherwise
(immune to wall-clock jumps). Latencies are always measured in monotonic wall time.
"""

from __future__ import annotations

import sys
import time

from rclpy.lifecycle import LifecycleNode, LifecycleState, TransitionCallbackReturn
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import JointState
from std_msgs.msg import Float32, Float64MultiArray
from std_srvs.srv import SetBool, Trigger

from nf_policy_ros.core.sampling import candidate_dtype
from nf_policy_ros.node_config.policy import (
    CONFIGURE_PARAMETERS,
    START_UP_PARAMETERS,
    PolicyNodeConfig,
    is_compressed_topic,
)
from nf_policy_ros.nodes.common.params import declare_config, read_config, watch_config
from nf_policy_ros.nodes.common.spin import spin_node
from nf_policy_ros.nodes.policy import messages, outputs
from nf_policy_ros.nodes.policy.budget import CandidateGovernor
from nf_policy_ros.nodes.policy.configure import ConfigureError, configure_policy
from nf_policy_ros.nodes.policy.control_loop import ControlLoop
from nf_policy_ros.nodes.policy.plan import ConfidenceGate
from nf_policy_ros.nodes.policy.stats import RollingStats

NODE_NAME = 'nf_policy'


class PolicyNode(LifecycleNode):
    """A managed node: configure loads the checkpoint, activate arms the output (see the
    module docstring); ``autostart`` runs both at start-up."""

    def __init__(self) -> None:
        super().__init__(NODE_NAME)
        self.startup_errors = declare_config(self, PolicyNodeConfig(),
                                             read_only=START_UP_PARAMETERS,
                                             while_unconfigured=CONFIGURE_PARAMETERS)
        self.startup_errors.update(outputs.declare_groups(
            self, self.get_parameter('controller_groups').value or ()))
        self.stats = RollingStats()
        self.state, self.reason = 'unconfigured', ''
        self.config = PolicyNodeConfig()
        self.loop: ControlLoop | None = None  # from configure to cleanup
        self._autostarting = False
        self.gate = self._gate(self.config)
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
            self._publish_diagnostics()  # the reason, for policy_ctl and other clients
            return TransitionCallbackReturn.FAILURE
        self._enter('inactive')
        return TransitionCallbackReturn.SUCCESS

    def on_activate(self, state: LifecycleState) -> TransitionCallbackReturn:
        """Run the control loop; arm the output, starting with a hold at the measured
        position (autostart arms only with ``output_enabled``)."""
        self.loop.reset_holds()
        if not self._autostarting or self.config.output_enabled:
            self.loop.arm()
            self.loop.publish_hold('activate_holds')
        self._enter('active')
        return TransitionCallbackReturn.SUCCESS

    def on_deactivate(self, state: LifecycleState) -> TransitionCallbackReturn:
        """Hold at the measured position, disarm, stop planning."""
        self._disarm()
        self._enter('inactive')
        return TransitionCallbackReturn.SUCCESS

    def on_cleanup(self, state: LifecycleState) -> TransitionCallbackReturn:
        """Stop the worker and free the model."""
        self._teardown()
        self._enter('unconfigured')
        return TransitionCallbackReturn.SUCCESS

    def on_shutdown(self, state: LifecycleState) -> TransitionCallbackReturn:
        self._disarm()
        self._teardown()
        self._enter('finalized')
        return TransitionCallbackReturn.SUCCESS

    def on_error(self, state: LifecycleState) -> TransitionCallbackReturn:
        self._disarm()
        self._teardown()
        self._enter('unconfigured')
        return TransitionCallbackReturn.SUCCESS

    def _enter(self, state: str) -> None:
        """``state`` (rclpy's lifecycle label) is reached: say so on /diagnostics and
        ~/status at once, not at the next 1 Hz report."""
        self.state, self.reason = state, ''
        self._publish_diagnostics()

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
        never get here; those read at configure only while unconfigured, else ValueError,
        the refusal's reason). Called before rclpy stores the values."""
        held = sorted(changed & CONFIGURE_PARAMETERS)
        if held and self.state != 'unconfigured':
            raise ValueError(f'{held[0]} is read-only while {self.state}: it is read at '
                             'configure; set it while unconfigured (deactivate, cleanup, '
                             'set, configure)')
        for name in changed:
            self.startup_errors.pop(name, None)
        self.config = config
        self.gate.threshold = config.safety.gate_threshold
        self.gate.hysteresis = config.safety.gate_hysteresis
        self.gate.debounce_plans = config.safety.gate_debounce_plans
        if self.loop is not None:
            self.loop.setup.runner.retune(config.sampling, self._governor(config))
        self.get_logger().info(f'parameters set: {sorted(changed)}')

    @staticmethod
    def _gate(config: PolicyNodeConfig) -> ConfidenceGate:
        safety = config.safety
        return ConfidenceGate(safety.gate_threshold, safety.gate_hysteresis,
                              safety.gate_debounce_plans)

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
        latched = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                             durability=DurabilityPolicy.TRANSIENT_LOCAL)
        self.status_pub = self.create_publisher(messages.DiagnosticStatus, '~/status',
                                                latched)

    def _configure(self, config: PolicyNodeConfig) -> None:
        """Load the model for ``config`` (raises ConfigureError), then start the control
        loop: subscriptions, worker, timers, trajectory publishers."""
        setup = configure_policy(config, self.get_logger(),
                                 outputs.read_groups(self, config.controller_groups))
        self.config = config
        self.gate = self._gate(config)
        self.loop = ControlLoop(self, setup)

    def _teardown(self) -> None:
        """Undo ``_configure``: stop the loop and free the model."""
        if self.loop is not None:
            self.loop.destroy()
        self.loop = None
        self.state = 'unconfigured'

    @property
    def armed(self) -> bool:
        """Whether plans are published (only while configured)."""
        return self.loop is not None and self.loop.armed

    def control_now(self) -> float:
        """Now on the control clock [s]: the ROS clock (simulated time) under
        ``use_sim_time`` (read from the clock: follows a change at run time), else
        ``time.monotonic()`` (see the module docstring)."""
        clock = self.get_clock()
        if clock.ros_time_is_active:
            return clock.now().nanoseconds * 1e-9
        return time.monotonic()

    # ---- services -----------------------------------------------------------------------
    def _on_enable(self, request: SetBool.Request, response: SetBool.Response):
        """Arm (only while active) or disarm (with a hold) the trajectory output."""
        if request.data and self.state != 'active':
            response.success = False
            response.message = f'{self.state}: {self.reason or "activate the node first"}'
            return response
        if request.data:
            self.loop.arm()
        else:
            self._disarm()
        response.success, response.message = True, f'armed={self.armed}'
        return response

    def _disarm(self) -> None:
        """Hold at the measured position (if armed and known), then disarm."""
        if self.loop is not None:
            self.loop.disarm()

    def _on_reset(self, request: Trigger.Request, response: Trigger.Response):
        self.gate.reset()
        self.stats.reset()
        if self.loop is not None:
            self.loop.reset_holds()
        response.success, response.message = True, 'gate, counters and hold state reset'
        return response

    # ---- diagnostics --------------------------------------------------------------------
    def _publish_diagnostics(self) -> None:
        now = self.control_now()
        values: dict[str, object] = {'state': self.state, 'armed': self.armed,
                                     'control_rate_hz': self.config.control_rate_hz,
                                     'device': self.config.device,
                                     'gate': f'{self.config.safety.gate}:'
                                             f'{"open" if self.gate.open else "closed"}'}
        loop = self.loop
        setup = loop.setup if loop is not None else None
        governor = setup.runner.governor if setup is not None else None
        if setup is not None:
            values.update(device=str(setup.device), warmup_ms=setup.warmup_ms,
                          inference_path=setup.inference_path)
        if governor is not None:
            values['num_candidates'] = governor.current
        if setup is not None:
            sampling, _ = setup.runner.tick_sampling()
            reduced = candidate_dtype(sampling, setup.device) is not None
            values['candidate_precision'] = 'bf16' if reduced else 'fp32'
        if loop is not None:
            values.update(loop.input_ages(now))
        values.update(self.stats.summary())
        level = (messages.OK if self.state == 'active' else
                 messages.ERROR if self.reason else messages.WARN)
        degraded = governor is not None and governor.degraded
        if self.state == 'active' and (loop.stale or not self.gate.open
                                        or degraded):
            level = messages.WARN
        text = f'{self.state}: {self.reason}' if self.reason else self.state
        if degraded:
            text += (f'; model late: best-of-{governor.current} of '
                     f'{self.config.sampling.num_candidates}')
        status = messages.diagnostic_status(f'{self.get_fully_qualified_name()}: policy',
                                            level, text, values)
        self.status_pub.publish(status)
        self.diagnostics_pub.publish(messages.diagnostics_msg(
            status, self.get_clock().now().to_msg()))

    def close(self) -> None:
        """Process exit (spin_node): stop the worker thread."""
        if self.loop is not None:
            self.loop.stop()


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
