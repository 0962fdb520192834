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
lifecycle, the parameters, the services and /diagnostics; the control loop sees the node
only through a narrow port (port.py), and the ROS-free logic lives in runtime/.
Topics, services and parameters: docs/reference.md.

Two clocks (``control_now``). Input ages, ``hold_after_s`` and the ~/forward_position
sampling are judged on the node's clock like the control timer itself: simulated time under
``use_sim_time`` (a simulator slower than real time, or paused, does not make its messages
stale, and a plan is followed at the simulator's pace), ``time.monotonic()`` otherwise
(immune to wall-clock jumps). Latencies are always measured in monotonic wall time.
"""

from __future__ import annotations

import sys
import traceback

from rclpy.lifecycle import LifecycleNode, LifecycleState, TransitionCallbackReturn
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from std_srvs.srv import SetBool, Trigger

from nf_policy_ros.node_config.policy import (
    CONFIGURE_PARAMETERS,
    START_UP_PARAMETERS,
    PolicyNodeConfig,
    is_compressed_topic,
)
from nf_policy_ros.node_config.routing import GroupSpec
from nf_policy_ros.nodes.common.params import declare_config, read_config, watch_config
from nf_policy_ros.nodes.common.spin import spin_node
from nf_policy_ros.nodes.policy import messages, outputs
from nf_policy_ros.nodes.policy.control_loop import ControlLoop
from nf_policy_ros.nodes.policy.port import LoopPort, LoopPublishers, control_now, lifecycle_state
from nf_policy_ros.runtime.configure import ConfigureError, configure_policy
from nf_policy_ros.runtime.plan import ConfidenceGate
from nf_policy_ros.runtime.stats import RollingStats

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
        self.reason = ''  # why the node is not doing its job ('' when it is)
        self.config = PolicyNodeConfig()
        self.loop: ControlLoop | None = None  # from configure to cleanup
        self._autostarting = False
        self._make_publishers()
        self.port = LoopPort(self, lambda: self.config, lambda: lifecycle_state(self),
                             lambda: control_now(self), ConfidenceGate.of(self.config.safety),
                             RollingStats(), LoopPublishers.create(self),
                             self._publish_diagnostics)
        watch_config(self, PolicyNodeConfig, PolicyNodeConfig(), self._on_parameters)
        self.create_service(SetBool, '~/enable_output', self._on_enable)
        self.create_service(Trigger, '~/reset', self._on_reset)
        self.create_service(Trigger, '~/request_takeover', self._on_request_takeover)
        self.create_service(Trigger, '~/release_takeover', self._on_release_takeover)
        self.create_timer(1.0, self._on_diagnostics_timer)
        if self.get_parameter('autostart').value:
            self._autostart()
            status = self.reason or 'ready'
        else:
            self._read_parameters()  # report bad values now, not at configure
            status = self.reason or 'waiting for the configure transition'
        self.get_logger().info(f'{lifecycle_state(self)}: {status}; control_rate_hz='
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
        read = self._read_parameters()
        if read is None:
            return TransitionCallbackReturn.FAILURE
        config, groups = read
        self.config = config  # valid: /diagnostics and the log report them even if loading fails
        try:
            self._configure(config, groups)
        except ConfigureError as exc:
            return self._configure_failed(str(exc))
        except Exception as exc:  # noqa: BLE001 (a bug: rclpy would swallow it silently)
            self.get_logger().debug(traceback.format_exc())
            return self._configure_failed(f'unexpected {type(exc).__name__}: {exc} (the '
                                          'traceback is logged at debug level)')
        self._enter('inactive')
        return TransitionCallbackReturn.SUCCESS

    def _configure_failed(self, reason: str) -> TransitionCallbackReturn:
        """Stay unconfigured with ``reason``: one ERROR line, and /diagnostics at once (the
        reason, for policy_ctl and others)."""
        self.reason = reason
        self.get_logger().error(f'configure failed: {reason}')
        self._teardown()
        self._publish_diagnostics('unconfigured')
        return TransitionCallbackReturn.FAILURE

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
        """Hold at the measured position, disarm, stop planning; forget the observation
        history (an observation horizon starts over at the next activate)."""
        self._disarm()
        self.loop.clear_history()
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
        """``state`` (the label rclpy gives the transition's goal once this callback returns)
        is reached: say so on /diagnostics and ~/status at once, not at the next 1 Hz
        report."""
        self.reason = ''
        self._publish_diagnostics(state)

    # ---- parameters ---------------------------------------------------------------------
    def _read_parameters(self) -> tuple[PolicyNodeConfig, tuple[GroupSpec, ...]] | None:
        """The validated config and controller groups; None with ``reason`` set and each
        refusal logged at ERROR (one line: field, value, expectation)."""
        errors = list(self.startup_errors.values())
        config, groups = None, ()
        try:
            config = read_config(self, PolicyNodeConfig, PolicyNodeConfig())
            for topic in config.camera_topics:
                is_compressed_topic(outputs.resolve_topic(self, 'camera_topics', topic))
            groups = outputs.read_groups(self, config.controller_groups)
        except ValueError as exc:
            errors.append(str(exc))
        for error in errors:
            self.get_logger().error(f'invalid parameter: {error}')
        self.reason = f'invalid parameters: {"; ".join(errors)}' if errors else ''
        return None if errors else (config, groups)

    def _on_parameters(self, config: PolicyNodeConfig, changed: set[str]) -> None:
        """A validated set: the new config applies from the next tick (read-only parameters
        never get here; those read at configure only while unconfigured, else ValueError,
        the refusal's reason; so is a best-of-N above the calibration's). Called before
        rclpy stores the values."""
        held = sorted(changed & CONFIGURE_PARAMETERS)
        state = lifecycle_state(self)
        if held and state != 'unconfigured':
            raise ValueError(f'{held[0]} is read-only while {state}: it is read at '
                             'configure; set it while unconfigured (deactivate, cleanup, '
                             'set, configure)')
        if self.loop is not None:
            self.loop.retune(config)  # first: it may refuse the set
        for name in changed:
            self.startup_errors.pop(name, None)
        self.config = config
        self.port.gate.retune(config.safety)
        self.get_logger().info(f'parameters set: {sorted(changed)}')

    # ---- set-up -------------------------------------------------------------------------
    def _make_publishers(self) -> None:
        """The node's own reports (the loop's outputs: LoopPublishers)."""
        self.diagnostics_pub = self.create_publisher(messages.DiagnosticArray,
                                                     '/diagnostics', 10)
        latched = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                             durability=DurabilityPolicy.TRANSIENT_LOCAL)
        self.status_pub = self.create_publisher(messages.DiagnosticStatus, '~/status',
                                                latched)

    def _configure(self, config: PolicyNodeConfig, groups: tuple[GroupSpec, ...]) -> None:
        """Load the model for ``config`` (raises ConfigureError), then start the control
        loop: subscriptions, worker, timers, trajectory publishers."""
        setup = configure_policy(config, self.get_logger(), groups)
        self.config = config
        self.port.gate.retune(config.safety)
        self.port.gate.reset()
        self.loop = ControlLoop(self.port, setup)

    def _teardown(self) -> None:
        """Undo ``_configure``: stop the loop and free the model."""
        if self.loop is not None:
            self.loop.destroy()
        self.loop = None

    @property
    def armed(self) -> bool:
        """Whether plans are published (only while configured)."""
        return self.loop is not None and self.loop.armed

    # ---- services -----------------------------------------------------------------------
    def _on_enable(self, request: SetBool.Request, response: SetBool.Response):
        """Arm (only while active) or disarm (with a hold) the trajectory output."""
        state = lifecycle_state(self)
        if request.data and state != 'active':
            response.success = False
            response.message = f'{state}: {self.reason or "activate the node first"}'
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
        self.port.gate.reset()
        self.port.stats.reset()
        if self.loop is not None:
            self.loop.reset_holds()
        response.success, response.message = True, 'gate, counters and hold state reset'
        return response

    def _on_request_takeover(self, request: Trigger.Request, response: Trigger.Response):
        """An operator takes over (only while active and armed): runtime/takeover.py."""
        state = lifecycle_state(self)
        if state != 'active' or self.loop is None:
            response.success = False
            response.message = f'{state}: no takeover (the node commands nothing)'
            return response
        response.success, response.message = self.loop.begin_takeover('operator')
        return response

    def _on_release_takeover(self, request: Trigger.Request, response: Trigger.Response):
        """The operator hands the robot back to the policy (repeat-safe)."""
        if self.loop is None:
            response.success, response.message = True, 'no takeover is active'
            return response
        response.success, response.message = self.loop.end_takeover(
            'released by the operator')
        return response

    # ---- diagnostics --------------------------------------------------------------------
    def _on_diagnostics_timer(self) -> None:
        """The 1 Hz report. A timer callback takes no argument: an executor may pass one
        (rclpy's EventsExecutor gives a TimerInfo to any callback that accepts one)."""
        self._publish_diagnostics()

    def _publish_diagnostics(self, state: str | None = None) -> None:
        """/diagnostics and ~/status; ``state``: the label to report (a transition's goal,
        from its callback), else rclpy's current one."""
        state = state or lifecycle_state(self)
        gate, loop = self.port.gate, self.loop
        values: dict[str, object] = {'state': state, 'armed': self.armed,
                                     'control_rate_hz': self.config.control_rate_hz,
                                     'device': self.config.device,
                                     'gate': f'{self.config.safety.gate}:'
                                             f'{"open" if gate.open else "closed"}'}
        warnings = []
        if loop is not None:
            values.update(loop.diagnostic_values(control_now(self)))
            warnings = loop.warnings()
        values.update(self.port.stats.summary())
        level = (messages.OK if state == 'active' else
                 messages.ERROR if self.reason else messages.WARN)
        if state == 'active' and (loop.stale or not gate.open or warnings):
            level = messages.WARN
        text = '; '.join([f'{state}: {self.reason}' if self.reason else state, *warnings])
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
    return spin_node(PolicyNode, argv if argv is not None else sys.argv, num_threads=1,
                     executor_default='events')


if __name__ == '__main__':
    sys.exit(main())
