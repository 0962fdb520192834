# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""policy_node as a real process on real DDS, with the shipped params file."""

from __future__ import annotations

import subprocess
import threading
import time

from builtin_interfaces.msg import Time as TimeMsg
from diagnostic_msgs.msg import DiagnosticArray
from lifecycle_msgs.msg import Transition
from lifecycle_msgs.srv import ChangeState, GetState
import numpy as np
from policy_fixtures import FakeRobot, assert_valid_trajectory, make_checkpoint
import pytest
from rcl_interfaces.msg import SetParametersResult
from rcl_interfaces.srv import GetParameters, ListParameters, SetParameters
from rclpy.parameter import Parameter, parameter_value_to_python
from ros_helpers import SHARE, NodeProcess, RosTestNode, call_service, executable, wait_for
from rosgraph_msgs.msg import Clock
from std_msgs.msg import Float32
from std_srvs.srv import SetBool
import torch
import yaml

from nf_policy_ros.core.checkpoint import load_policy, save_checkpoint
from nf_policy_ros.core.precision import native_bf16
from nf_policy_ros.node_config.policy import is_compressed_topic
from nf_policy_ros.nodes.clients.ros_client import PROBE


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    return make_checkpoint(tmp_path_factory.mktemp('ckpt'))


class Harness:
    """Test node + fake robot + the policy node process + what it publishes."""

    def __init__(self, checkpoint, tmp_path, *overrides: str, robot_timers: bool = True,
                 image_topic: str = 'image', ros_args: tuple[str, ...] = (), **robot) -> None:
        self.test = RosTestNode()
        self.robot = FakeRobot(self.test.node, timers=robot_timers, image_topic=image_topic,
                               **robot)
        self.confidence: list[float] = []
        self.diagnostics: list[dict[str, str]] = []
        self._lock = threading.Lock()
        node = self.test.node
        node.create_subscription(Float32, '/nf_policy/confidence', self._on_conf, 10)
        node.create_subscription(DiagnosticArray, '/diagnostics', self._on_diag, 10)
        # the shipped params, sampled as the test checkpoint was calibrated (best-of-N,
        # its plan's log p; config/policy.yaml ships recipe 2's zero latent and context)
        args = ['--params-file', str(SHARE / 'config' / 'policy.yaml'),
                '-p', f'checkpoint:={checkpoint}', '-p', 'sampling.mode:=best_of_n',
                '-p', 'sampling.num_candidates:=16', '-p', 'sampling.confidence:=plan']
        for item in overrides:
            args += ['-p', item]
        args += list(ros_args)
        self.proc = NodeProcess('policy_node', args, tmp_path)

    def _on_conf(self, msg: Float32) -> None:
        with self._lock:
            self.confidence.append(msg.data)

    def _on_diag(self, msg: DiagnosticArray) -> None:
        for status in msg.status:
            if status.name == '/nf_policy: policy':
                with self._lock:
                    self.diagnostics.append({v.key: v.value for v in status.values} |
                                            {'message': status.message})

    def confidences(self) -> list[float]:
        with self._lock:
            return list(self.confidence)

    def last_diagnostics(self) -> dict[str, str]:
        with self._lock:
            return dict(self.diagnostics[-1]) if self.diagnostics else {}

    def wait_running(self) -> None:
        wait_for(lambda: len(self.confidences()) >= 3, 90, 'confidence messages', self.proc)

    def arm(self, on: bool = True) -> None:
        reply = call_service(self.test.node, SetBool, '/nf_policy/enable_output',
                             SetBool.Request(data=on), self.proc)
        assert reply.success, reply.message

    def close(self) -> int:
        try:
            return self.proc.stop()
        finally:
            self.test.close()


def test_disarmed_then_armed_valid_plans_and_clean_exit(checkpoint, tmp_path):
    h = Harness(checkpoint, tmp_path)
    try:
        h.wait_running()
        time.sleep(1.0)  # inference runs (confidence flows) but output is disarmed
        assert h.robot.received() == []
        h.arm()
        wait_for(lambda: len(h.robot.received()) >= 3, 30, 'trajectories after arming',
                 h.proc)
        for msg in h.robot.received():
            assert_valid_trajectory(msg, horizon=4)
        confidences = h.confidences()
        assert all(0.0 <= c <= 1.0 for c in confidences)
        wait_for(lambda: 'overhead_p50_ms' in h.last_diagnostics(), 10, 'latency diagnostics')
        diag = h.last_diagnostics()
        assert diag['state'] == 'active' and diag['armed'] == 'True'
        assert diag['device'] == 'cpu'
        assert float(diag['model_p50_ms']) > 0 and float(diag['plan_rate_hz']) > 0
    finally:
        code = h.close()
    assert code == 0


def test_stale_camera_holds_at_the_measured_position_then_stays_silent(checkpoint, tmp_path):
    h = Harness(checkpoint, tmp_path, 'output_enabled:=true', 'safety.hold_after_s:=0.5')
    try:
        wait_for(lambda: len(h.robot.received()) >= 2, 90, 'plans', h.proc)
        h.robot.image_mode = 'off'
        time.sleep(0.3)
        before = len(h.robot.received())
        wait_for(lambda: any(len(m.points) == 1 for m in h.robot.received()[before:]), 10,
                 'a hold trajectory', h.proc)
        time.sleep(1.0)
        after_hold = h.robot.received()[before:]
        holds = [m for m in after_hold if len(m.points) == 1]
        assert len(holds) == 1, 'one hold, then silence'
        assert after_hold[-1] is holds[0], 'nothing after the hold'
        assert_valid_trajectory(holds[0], horizon=None)
        assert np.allclose(holds[0].points[0].positions, h.robot.position)
        assert int(h.last_diagnostics()['count.stale_ticks']) > 0
    finally:
        assert h.close() == 0


@pytest.mark.parametrize('image_mode, joint_mode, counter', [
    ('bad_encoding', 'ok', 'count.malformed_image'),
    ('ok', 'nan', 'count.malformed_joint_state'),
    ('ok', 'missing', 'count.malformed_joint_state'),
])
def test_malformed_inputs_are_counted_and_never_reach_the_robot(checkpoint, tmp_path,
                                                                 image_mode, joint_mode,
                                                                 counter):
    h = Harness(checkpoint, tmp_path, 'output_enabled:=true')
    try:
        wait_for(lambda: len(h.robot.received()) >= 2, 90, 'plans', h.proc)
        h.robot.image_mode, h.robot.joint_mode = image_mode, joint_mode
        wait_for(lambda: int(h.last_diagnostics().get(counter, 0)) >= 3, 15, counter, h.proc)
        for msg in h.robot.received():
            assert_valid_trajectory(msg, horizon=None)
        assert h.proc.alive()
        h.robot.image_mode, h.robot.joint_mode = 'ok', 'ok'
        count = len(h.robot.received())
        wait_for(lambda: len(h.robot.received()) > count + 2, 15, 'plans again', h.proc)
    finally:
        assert h.close() == 0


def test_forward_position_streams_the_plan_and_ends_on_the_hold(checkpoint, tmp_path):
    from std_msgs.msg import Float64MultiArray

    h = Harness(checkpoint, tmp_path, 'output_enabled:=true', 'forward_position_rate_hz:=50.0')
    commands: list[np.ndarray] = []
    h.test.node.create_subscription(Float64MultiArray, '/nf_policy/forward_position',
                                    lambda msg: commands.append(np.array(msg.data)), 10)
    try:
        wait_for(lambda: len(h.robot.received()) >= 3 and len(commands) >= 30, 90,
                 'plans and forward commands', h.proc)
        points = np.array([p.positions for m in h.robot.received() for p in m.points])
        low = np.minimum(points.min(0), h.robot.position) - 1e-9
        high = np.maximum(points.max(0), h.robot.position) + 1e-9
        for command in list(commands):
            assert command.shape == (3,) and np.isfinite(command).all()
            # sampled between the measured start and the plans' points: never extrapolated
            assert np.all(command >= low) and np.all(command <= high)
        assert len({tuple(c) for c in commands}) > 1, 'the command moves along the plan'
        h.arm(False)
        wait_for(lambda: len(h.robot.received()[-1].points) == 1, 10, 'the disarm hold',
                 h.proc)
        wait_for(lambda: np.allclose(commands[-1], h.robot.position), 10,
                 'a forward command holding where the robot is', h.proc)
        after_disarm = len(commands)
        time.sleep(0.5)  # a window to see that nothing follows
        assert len(commands) == after_disarm, 'nothing while disarmed'
        assert np.allclose(commands[-1], h.robot.position), 'last command: hold where it is'
        assert len(h.robot.received()[-1].points) == 1, 'no plan after the disarm hold'
    finally:
        assert h.close() == 0


class SlowSimulator:
    """/clock in 20 ms steps, each followed by a camera frame and (while ``joints``) joint
    states stamped in simulated time, one step per 200 ms of wall time: a tenth of real
    time, so consecutive joint states are twice the 0.1 s age limit apart on the wall."""

    STEP_NS = 20_000_000

    def __init__(self, h: Harness) -> None:
        self.h, self.ns, self.joints = h, 0, True
        self.clock_pub = h.test.node.create_publisher(Clock, '/clock', 10)
        h.robot.now = lambda: TimeMsg(sec=self.ns // 10**9, nanosec=self.ns % 10**9)
        h.test.node.create_timer(0.2, self.step)

    def step(self) -> None:
        self.ns += self.STEP_NS
        self.clock_pub.publish(Clock(clock=self.h.robot.now()))
        self.h.robot.publish_image()
        if self.joints:
            self.h.robot.publish_joints()


def test_under_sim_time_input_ages_and_holds_are_judged_in_simulated_time(checkpoint,
                                                                          tmp_path):
    h = Harness(checkpoint, tmp_path, 'use_sim_time:=true', 'output_enabled:=true',
                'control_rate_hz:=25.0', 'safety.hold_after_s:=0.2', robot_timers=False)
    sim = SlowSimulator(h)
    try:
        wait_for(lambda: len(h.robot.received()) >= 3, 90, 'plans at a tenth of real time',
                 h.proc)
        # on the wall clock every tick would be stale: no plan, and a hold after 0.2 s
        assert all(len(m.points) > 1 for m in h.robot.received()), 'plans, never a hold'
        before, stopped_ns = len(h.robot.received()), sim.ns
        sim.joints = False  # the clock runs on, joint states stop
        wait_for(lambda: any(len(m.points) == 1 for m in h.robot.received()[before:]), 30,
                 'the stale hold', h.proc)
        hold = next(m for m in h.robot.received()[before:] if len(m.points) == 1)
        held_after_s = (hold.header.stamp.sec * 10**9 + hold.header.stamp.nanosec
                        - stopped_ns) * 1e-9
        # stale after max_joint_state_age_s 0.1, held hold_after_s 0.2 later, in sim time
        # (a wall-clock judge holds after ~1.5 simulated steps, 0.03 s)
        assert 0.3 - 0.05 <= held_after_s <= 0.3 + 0.1, held_after_s
    finally:
        assert h.close() == 0


def test_a_clock_jumping_back_makes_earlier_inputs_stale(checkpoint, tmp_path):
    """A simulator reset that rewinds /clock: joint states cached before the jump carry a
    later receive time than "now"; they must count as stale (hold), not as fresh for as long
    as the clock takes to catch up."""
    h = Harness(checkpoint, tmp_path, 'use_sim_time:=true', 'output_enabled:=true',
                'control_rate_hz:=25.0', 'safety.hold_after_s:=0.2', robot_timers=False)
    sim = SlowSimulator(h)
    try:
        wait_for(lambda: len(h.robot.received()) >= 2, 90, 'plans', h.proc)
        sim.ns += 100 * 10**9  # run ahead, then rewind 100 s with the joint states gone
        time.sleep(0.6)
        before = len(h.robot.received())
        sim.joints, sim.ns = False, 0
        wait_for(lambda: any(len(m.points) == 1 for m in h.robot.received()[before:]), 30,
                 'a hold after the clock jumped back', h.proc)
    finally:
        assert h.close() == 0


def test_camera_message_type_follows_the_image_transport_name():
    assert is_compressed_topic('/camera/color/image_raw/compressed')
    assert not is_compressed_topic('/camera/color/image_raw')
    with pytest.raises(ValueError, match=r"camera_topics='/cam/image/compressedDepth' is "
                                         r'invalid: expected a raw Image topic or '
                                         r'<topic>/compressed \(jpeg/png\), not the '
                                         r'compressedDepth transport'):
        is_compressed_topic('/cam/image/compressedDepth')


def test_plans_from_a_compressed_image_topic_and_counts_undecodable_frames(checkpoint,
                                                                           tmp_path):
    """camera_topics [image] remapped (as policy.launch.py's image:= does) to a /compressed
    topic: the node subscribes sensor_msgs/CompressedImage (PNG here) and plans; frames that
    are not JPEG/PNG are counted where they arrive and never reach the robot."""
    h = Harness(checkpoint, tmp_path, 'output_enabled:=true', image_topic='camera/compressed',
                ros_args=('-r', 'image:=camera/compressed'))
    try:
        wait_for(lambda: len(h.robot.received()) >= 3, 90, 'plans from CompressedImage',
                 h.proc)
        for msg in h.robot.received():
            assert_valid_trajectory(msg, horizon=4)
        wait_for(lambda: 'age_s.image:image' in h.last_diagnostics(), 10, 'camera age',
                 h.proc)
        h.robot.image_mode = 'garbage'
        wait_for(lambda: int(h.last_diagnostics().get('count.malformed_image', 0)) >= 3, 15,
                 'undecodable frames counted', h.proc)
        assert 'malformed image on /camera/compressed' in h.proc.output()
        for msg in h.robot.received():
            assert_valid_trajectory(msg, horizon=None)
        h.robot.image_mode = 'ok'
        count = len(h.robot.received())
        wait_for(lambda: len(h.robot.received()) > count + 2, 15, 'plans again', h.proc)
    finally:
        assert h.close() == 0


def test_malformed_messages_are_counted_once_each_as_they_arrive(checkpoint, tmp_path):
    """Counts are per message, where it arrives: with no control tick able to run (no
    camera), 4 NaN joint states and 3 bad-encoding frames count exactly 4 and 3, and stay."""
    h = Harness(checkpoint, tmp_path, 'output_enabled:=true', robot_timers=False)
    try:
        wait_for(lambda: h.last_diagnostics().get('state') == 'active', 90, 'active',
                 h.proc)
        wait_for(lambda: h.robot.joint_pub.get_subscription_count() > 0 and
                 h.robot.image_pub.get_subscription_count() > 0, 30, 'subscriptions', h.proc)
        h.robot.joint_mode, h.robot.image_mode = 'nan', 'bad_encoding'
        for k in range(4):
            h.robot.publish_joints()
            if k < 3:
                h.robot.publish_image()
            time.sleep(0.1)

        def counts() -> tuple[int, int]:
            diag = h.last_diagnostics()
            return (int(diag.get('count.malformed_joint_state', 0)),
                    int(diag.get('count.malformed_image', 0)))
        wait_for(lambda: counts() == (4, 3), 15, 'counts 4 and 3', h.proc)
        time.sleep(2.5)  # 25 control ticks, 2 diagnostics: nothing counted again
        assert counts() == (4, 3)
        assert h.robot.received() == [], 'no plan, no hold: no valid input ever arrived'
    finally:
        assert h.close() == 0


def test_params_file_applies_under_a_namespace(tmp_path):
    """Every shipped params file keys its node as /**/<name>; started as /robot1/nf_policy
    with config/sim_policy.yaml, the node has that file's values (not the defaults)."""
    keys = {p.name: list(yaml.safe_load(p.read_text())) for p in (SHARE / 'config').glob(
        '*.yaml')}
    assert keys == {'policy.yaml': ['/**/nf_policy'], 'sim_policy.yaml': ['/**/nf_policy'],
                    'train.yaml': ['/**/nf_policy_train'],
                    'sim_train.yaml': ['/**/nf_policy_train']}
    test = RosTestNode()
    proc = NodeProcess('policy_node', ['--params-file', str(SHARE / 'config' /
                                                            'sim_policy.yaml'),
                                       '-r', '__ns:=/robot1'], tmp_path)
    try:
        reply = call_service(test.node, GetParameters, '/robot1/nf_policy/get_parameters',
                             GetParameters.Request(names=['control_rate_hz', 'lead_steps',
                                                          'use_sim_time',
                                                          'sampling.num_candidates']),
                             proc, timeout=60)
        values = [v.double_value for v in reply.values[:2]] + [
            reply.values[2].bool_value, reply.values[3].integer_value]
        assert values == [20.0, 0.0, True, 32], values  # defaults: 10.0, 1.0, False, 128
    finally:
        assert proc.stop() == 0
        test.close()


def test_a_late_model_degrades_best_of_n_visibly_instead_of_dropping_ticks(checkpoint,
                                                                           tmp_path):
    """A 1 ms model budget (0.01 of 100 ms) no best-of-128 tick can meet: the node halves N
    down to min_candidates, keeps planning, and says so in /diagnostics. (128: the
    checkpoint's calibration; more is refused, see the next test.)"""
    h = Harness(checkpoint, tmp_path, 'sampling.num_candidates:=128', 'min_candidates:=4',
                'model_budget_fraction:=0.01')
    try:
        h.wait_running()
        wait_for(lambda: h.last_diagnostics().get('num_candidates') == '4', 30,
                 'num_candidates degraded to 4', h.proc)
        diag = h.last_diagnostics()
        assert int(diag['count.degraded_ticks']) > 0
        assert 'model late: best-of-4 of 128' in diag['message']
        assert diag['calibration_num_candidates'] == '128'
        assert float(diag['plan_rate_hz']) > 0 or len(h.confidences()) > 3
    finally:
        assert h.close() == 0


CALIBRATED_N = 128  # make_checkpoint trains with the default sampling: best-of-128


def test_more_candidates_than_the_calibration_are_refused_at_configure_and_live(checkpoint,
                                                                               tmp_path):
    """The confidence was calibrated with best-of-128: configure refuses best-of-256 with
    one line naming both numbers and the setting, the node stays up unconfigured; a live
    set above 128 is refused the same way, one below is taken with a warning."""
    h = Harness(checkpoint, tmp_path, 'autostart:=false', 'sampling.num_candidates:=256')
    try:
        assert not transition(h, Transition.TRANSITION_CONFIGURE)
        assert lifecycle_state(h) == 'unconfigured'
        line = h.proc.output().splitlines()[-1]
        assert ('configure failed: sampling.num_candidates=256 is invalid: expected at most '
                f"{CALIBRATED_N}, the best-of-N the checkpoint's confidence was calibrated "
                'with') in line, h.proc.output()
        assert f'set sampling.num_candidates <= {CALIBRATED_N}' in line
        assert set_parameter(h, 'sampling.num_candidates', CALIBRATED_N).successful
        assert transition(h, Transition.TRANSITION_CONFIGURE)
        refused = set_parameter(h, 'sampling.num_candidates', 200)
        assert not refused.successful
        assert refused.reason.startswith('sampling.num_candidates=200 is invalid: expected '
                                         f'at most {CALIBRATED_N}'), refused.reason
        assert get_parameters(h, ['sampling.num_candidates']) == [CALIBRATED_N]
        assert set_parameter(h, 'sampling.num_candidates', 8).successful
        wait_for(lambda: f'below the {CALIBRATED_N} the confidence was calibrated with' in
                 h.proc.output(), 10, 'the warning for fewer candidates', h.proc)
    finally:
        assert h.close() == 0


def test_a_context_confidence_is_refused_for_a_checkpoint_without_its_distances(checkpoint,
                                                                                tmp_path):
    """sampling.confidence 'context' reads the held-out context distances training stores:
    a checkpoint saved without them is refused at configure in one line and live, the node
    stays up; one with them (this session's training) takes the setting live."""
    policy, provenance = load_policy(checkpoint)
    assert policy.context_support.has_percentile
    policy.context_support.sorted_distance = torch.zeros(0)
    older = tmp_path / 'older.pt'
    save_checkpoint(older, policy, provenance)
    h = Harness(older, tmp_path, 'autostart:=false', 'sampling.confidence:=context')
    try:
        assert not transition(h, Transition.TRANSITION_CONFIGURE)
        line = h.proc.output().splitlines()[-1]
        assert "configure failed: sampling.confidence='context' is invalid: expected 'plan'" \
            in line, h.proc.output()
        assert set_parameter(h, 'sampling.confidence', 'plan').successful
        assert transition(h, Transition.TRANSITION_CONFIGURE)
        refused = set_parameter(h, 'sampling.confidence', 'both')
        assert not refused.successful and 'held-out context distances' in refused.reason
        assert get_parameters(h, ['sampling.confidence']) == ['plan']
    finally:
        assert h.close() == 0
    (tmp_path / 'stored').mkdir()
    h = Harness(checkpoint, tmp_path / 'stored', 'autostart:=false')
    try:
        assert transition(h, Transition.TRANSITION_CONFIGURE)
        assert set_parameter(h, 'sampling.confidence', 'context').successful
        assert get_parameters(h, ['sampling.confidence']) == ['context']
    finally:
        assert h.close() == 0


def test_the_robot_follows_execute_points_of_a_plan_while_every_tick_infers(checkpoint,
                                                                            tmp_path):
    """execute_points 2 at stride 2 and 10 Hz: a plan every 0.4 s (observation stamps 0.4 s
    apart), the confidence every tick; more points than the chunk has are refused live."""
    h = Harness(checkpoint, tmp_path, 'output_enabled:=true', 'execute_points:=2')
    try:
        wait_for(lambda: len(h.robot.received()) >= 5, 90, 'plans', h.proc)
        stamps = [s + n * 1e-9 for s, n in map(stamp_key, h.robot.received())]
        gaps = np.diff(stamps)
        assert np.median(gaps) == pytest.approx(0.4, abs=0.06), gaps
        diag = h.last_diagnostics()
        assert diag['execute_points'] == '2'
        assert int(diag.get('count.following_ticks', 0)) >= int(diag['count.plans']) - 1
        refused = set_parameter(h, 'execute_points', 5)
        assert not refused.successful
        expected = "execute_points=5 is invalid: expected 0 (the checkpoint's) or 1 to"
        assert refused.reason.startswith(expected), refused.reason
        assert get_parameters(h, ['execute_points']) == [2]
    finally:
        assert h.close() == 0


def test_a_checkpoint_of_two_observations_plans_and_plans_again_after_a_deactivate(
        tmp_path_factory, tmp_path):
    """encoder.obs_horizon 2: the node feeds each tick's snapshot with the one a chunk
    point (0.2 s) before it, and starts that history over after a deactivate."""
    two = make_checkpoint(tmp_path_factory.mktemp('obs2'), obs_horizon=2)
    h = Harness(two, tmp_path, 'output_enabled:=true')
    try:
        wait_for(lambda: len(h.robot.received()) >= 3, 90, 'plans of horizon 2', h.proc)
        for msg in h.robot.received()[1:]:  # after the activation hold
            assert_valid_trajectory(msg, horizon=4)
        assert transition(h, Transition.TRANSITION_DEACTIVATE)
        assert transition(h, Transition.TRANSITION_ACTIVATE)  # arms (not an autostart)
        count = len(h.robot.received())
        wait_for(lambda: len(h.robot.received()) >= count + 3, 30, 'plans after activate',
                 h.proc)
        wait_for(lambda: 'obs_horizon' in h.last_diagnostics(), 10, 'diagnostics', h.proc)
        diag = h.last_diagnostics()
        assert diag['obs_horizon'] == '2' and diag['state'] == 'active'
        assert 'count.inference_errors' not in diag and 'count.malformed_image' not in diag
    finally:
        assert h.close() == 0


# ---- parameters (issue 17) --------------------------------------------------------------
def call_policy(h: Harness, srv_type, name: str, request):
    """Call a service of the policy node from the test node; returns the response."""
    return call_service(h.test.node, srv_type, name, request, h.proc)


def set_parameter(h: Harness, name: str, value) -> SetParametersResult:
    request = SetParameters.Request(parameters=[Parameter(name, value=value)
                                                .to_parameter_msg()])
    return call_policy(h, SetParameters, '/nf_policy/set_parameters', request).results[0]


def get_parameters(h: Harness, names: list[str]) -> list:
    request = GetParameters.Request(names=names)
    values = call_policy(h, GetParameters, '/nf_policy/get_parameters', request).values
    return [parameter_value_to_python(v) for v in values]


def test_invalid_or_read_only_parameter_sets_are_refused_and_change_nothing(checkpoint,
                                                                            tmp_path):
    h = Harness(checkpoint, tmp_path)
    try:
        h.wait_running()
        refused = {name: set_parameter(h, name, value) for name, value in [
            ('safety.gate_threshold', 7.0), ('sampling.mode', 'bogus'),
            ('sampling.num_candidates', 0), ('checkpoint', '/elsewhere.pt')]}
        assert not any(r.successful for r in refused.values())
        assert 'safety.gate_threshold' in refused['safety.gate_threshold'].reason
        assert refused['sampling.mode'].reason == (
            "sampling.mode='bogus' is invalid: expected one of ('zero_latent', 'sample', "
            "'best_of_n', 'refine')")
        assert refused['sampling.num_candidates'].reason == \
            'Parameter sampling.num_candidates out of range. Min: 1, Max: 65536, value: 0'
        assert 'read-only' in refused['checkpoint'].reason
        assert get_parameters(h, ['safety.gate_threshold', 'sampling.mode',
                                  'sampling.num_candidates', 'checkpoint']) == \
            [0.05, 'best_of_n', 16, str(checkpoint)]
        # every declared parameter has a value: get (and so `ros2 param dump`) works
        names = call_policy(h, ListParameters, '/nf_policy/list_parameters',
                             ListParameters.Request()).result.names
        assert {'joint_names', 'safety.joint_lower', 'autostart'} <= set(names)
        values = dict(zip(names, get_parameters(h, names)))
        assert values['joint_names'] == [] and values['camera_topics'] == ['image']
        assert values['safety.joint_lower'] == []
        wait_for(lambda: h.last_diagnostics().get('state') == 'active', 5, 'active',
                 h.proc)
    finally:
        assert h.close() == 0


def test_live_parameters_take_effect_at_the_next_tick(checkpoint, tmp_path):
    h = Harness(checkpoint, tmp_path, 'output_enabled:=true')
    try:
        wait_for(lambda: len(h.robot.received()) >= 2, 90, 'plans', h.proc)
        assert h.last_diagnostics().get('num_candidates', '16') == '16'
        assert set_parameter(h, 'sampling.num_candidates', 4).successful
        wait_for(lambda: h.last_diagnostics().get('num_candidates') == '4', 10,
                 'best-of-4 in /diagnostics', h.proc)
        # policy.yaml's candidate_precision: auto is bf16 only where the CPU has it
        native = 'bf16' if native_bf16(torch.device('cpu')) else 'fp32'
        assert h.last_diagnostics()['candidate_precision'] == native
        assert set_parameter(h, 'sampling.candidate_precision', 'fp32').successful
        wait_for(lambda: h.last_diagnostics().get('candidate_precision') == 'fp32', 10,
                 'fp32 candidates in /diagnostics', h.proc)
        # a gate that closes below confidence 1.0: no confidence of these plans reaches it
        assert max(h.confidences()) < 1.0
        assert set_parameter(h, 'safety.gate_threshold', 1.0).successful
        before = len(h.robot.received())
        assert set_parameter(h, 'safety.gate', 'hold').successful
        wait_for(lambda: any(len(m.points) == 1 for m in h.robot.received()[before:]), 10,
                 'the gate hold', h.proc)
        time.sleep(1.0)
        after = h.robot.received()[before:]
        hold = next(i for i, m in enumerate(after) if len(m.points) == 1)
        assert after[hold + 1:] == [], 'nothing after the gate hold'
        assert np.allclose(after[hold].points[0].positions, h.robot.position)
        wait_for(lambda: int(h.last_diagnostics().get('count.gate_closed_ticks', 0)) > 0, 5,
                 'gate_closed_ticks', h.proc)
    finally:
        assert h.close() == 0


def test_a_bad_start_up_parameter_is_logged_and_the_node_stays_up_unconfigured(checkpoint,
                                                                              tmp_path):
    h = Harness(checkpoint, tmp_path, 'safety.gate_threshold:=7.0', 'sampling.mode:=bogus')
    try:
        wait_for(lambda: h.last_diagnostics().get('state') == 'unconfigured', 60,
                 'unconfigured diagnostics', h.proc)
        output = h.proc.output()
        assert '[ERROR]' in output and 'invalid parameter: safety.gate_threshold' in output
        assert "invalid parameter: sampling.mode='bogus' is invalid: expected one of" in output
        assert 'sampling.mode' in h.last_diagnostics()['message']
        time.sleep(1.0)
        assert h.proc.alive() and h.confidences() == []
    finally:
        assert h.close() == 0


# ---- lifecycle (issue 17) ---------------------------------------------------------------
def transition(h: Harness, transition_id: int) -> bool:
    request = ChangeState.Request(transition=Transition(id=transition_id))
    return call_policy(h, ChangeState, '/nf_policy/change_state', request).success


def lifecycle_state(h: Harness) -> str:
    return call_policy(h, GetState, '/nf_policy/get_state',
                        GetState.Request()).current_state.label


def test_lifecycle_configure_activate_deactivate_cleanup(checkpoint, tmp_path):
    h = Harness(checkpoint, tmp_path, 'autostart:=false')
    try:
        assert lifecycle_state(h) == 'unconfigured'
        assert transition(h, Transition.TRANSITION_CONFIGURE)
        assert lifecycle_state(h) == 'inactive'
        wait_for(lambda: 'age_s.joint_states' in h.last_diagnostics(), 10, 'joint states',
                 h.proc)
        assert h.confidences() == [] and h.robot.received() == [], 'inactive: no output'
        assert transition(h, Transition.TRANSITION_ACTIVATE)
        wait_for(lambda: len(h.robot.received()) >= 3, 30, 'plans when active', h.proc)
        first, *plans = h.robot.received()
        assert len(first.points) == 1, 'activation starts with a hold'
        assert np.allclose(first.points[0].positions, h.robot.position)
        for msg in plans:
            assert_valid_trajectory(msg, horizon=4)
        assert transition(h, Transition.TRANSITION_DEACTIVATE)
        last = h.robot.received()[-1]
        assert len(last.points) == 1 and np.allclose(last.points[0].positions,
                                                     h.robot.position)
        count = len(h.robot.received())
        time.sleep(1.0)
        assert len(h.robot.received()) == count, 'silence after the deactivate hold'
        assert transition(h, Transition.TRANSITION_CLEANUP)
        assert lifecycle_state(h) == 'unconfigured'
        wait_for(lambda: h.last_diagnostics().get('state') == 'unconfigured', 5,
                 'unconfigured diagnostics', h.proc)
        assert 'warmup_ms' not in h.last_diagnostics(), 'the model is freed'
        assert transition(h, Transition.TRANSITION_CONFIGURE), 'configures again'
    finally:
        assert h.close() == 0


def test_a_failing_configure_leaves_the_node_unconfigured(tmp_path):
    h = Harness(tmp_path / 'missing.pt', tmp_path, 'autostart:=false')
    try:
        probe = call_policy(h, ChangeState, '/nf_policy/change_state',
                            ChangeState.Request(transition=PROBE))
        assert not probe.success and lifecycle_state(h) == 'unconfigured', 'a probe is inert'
        assert 'configure failed' not in h.proc.output()
        assert not transition(h, Transition.TRANSITION_CONFIGURE)
        assert lifecycle_state(h) == 'unconfigured'
        assert 'configure failed' in h.proc.output()
        wait_for(lambda: 'missing.pt' in h.last_diagnostics().get('message', ''), 5,
                 'the reason in /diagnostics', h.proc)
    finally:
        assert h.close() == 0


def policy_ctl(*args: str) -> subprocess.CompletedProcess:
    """The installed ``policy_ctl`` command (same ROS environment as the test)."""
    return subprocess.run([str(executable('policy_ctl')), *args], capture_output=True,
                          text=True, timeout=120)


def test_policy_ctl_runs_a_transition_and_reports_status(checkpoint, tmp_path):
    h = Harness(checkpoint, tmp_path, 'autostart:=false')
    try:
        refused = policy_ctl('arm')
        assert refused.returncode == 1 and 'unconfigured' in refused.stderr, refused
        done = policy_ctl('configure')
        assert done.returncode == 0 and done.stdout.strip() == 'inactive', done
        assert lifecycle_state(h) == 'inactive'
        shown = policy_ctl('status')
        assert shown.returncode == 0 and shown.stdout.startswith('inactive: inactive'), shown
    finally:
        assert h.close() == 0


# ---- controller groups, joint-name map, planned state (issue 17) ------------------------
ROBOT_JOINTS = ('shoulder', 'elbow', 'finger')  # the robot's names of j1, j2, j3
ARM, GRIPPER = '/arm_controller/joint_trajectory', '/gripper_controller/joint_trajectory'
GROUPS = ('joint_name_map:=[j1=shoulder, j2=elbow, j3=finger]',
          'controller_groups:=[arm_controller, gripper_controller]',
          'groups.arm_controller.joints:=[elbow, shoulder]',
          'groups.gripper_controller.joints:=[finger]')


def seconds(duration) -> float:
    return duration.sec + duration.nanosec * 1e-9


def stamp_key(msg) -> tuple[int, int]:
    return msg.header.stamp.sec, msg.header.stamp.nanosec


def test_arm_and_gripper_plans_reach_their_controllers_by_robot_joint_names(checkpoint,
                                                                           tmp_path):
    """A leader-arm checkpoint (j1..j3) on a robot whose joint_states and controllers say
    shoulder/elbow/finger: each controller gets its joints, by robot name, in step with
    the other; the ghost state is each plan's end (the base joint as measured); the
    disarm hold reaches both controllers."""
    from sensor_msgs.msg import JointState

    h = Harness(checkpoint, tmp_path, *GROUPS, joint_names=ROBOT_JOINTS,
                extra_joints={'base_yaw': 0.7},
                trajectory_topics=(ARM, GRIPPER, 'joint_trajectory'))
    ghosts: list[JointState] = []
    h.test.node.create_subscription(JointState, '/nf_policy/planned_joint_states',
                                    ghosts.append, 10)
    try:
        wait_for(lambda: len(ghosts) >= 2, 90, 'planned states while disarmed', h.proc)
        assert h.robot.received(ARM) == [] and h.robot.received(GRIPPER) == []
        h.arm()
        wait_for(lambda: len(h.robot.received(ARM)) >= 3 and
                 len(h.robot.received(GRIPPER)) >= 3, 30, 'plans on both controllers',
                 h.proc)
        arm_stamps = [stamp_key(m) for m in h.robot.received(ARM)]
        by_stamp = {stamp_key(m): m for m in h.robot.received(GRIPPER)}
        pairs = [(m, by_stamp[stamp_key(m)]) for m in h.robot.received(ARM)
                 if stamp_key(m) in by_stamp and arm_stamps.count(stamp_key(m)) == 1]
        assert len(pairs) >= 2, 'each plan on both controllers, with one stamp'
        for arm_msg, gripper_msg in pairs:
            assert list(arm_msg.joint_names) == ['elbow', 'shoulder']
            assert list(gripper_msg.joint_names) == ['finger']
            assert [seconds(p.time_from_start) for p in arm_msg.points] == \
                [seconds(p.time_from_start) for p in gripper_msg.points]
            assert len(arm_msg.points) == 4
            assert all(len(p.positions) == 2 for p in arm_msg.points)
            assert all(len(p.positions) == 1 for p in gripper_msg.points)
            end = dict(zip(['elbow', 'shoulder'], arm_msg.points[-1].positions))
            end['finger'] = gripper_msg.points[-1].positions[0]
            key = stamp_key(arm_msg)
            wait_for(lambda k=key: any(stamp_key(g) == k for g in list(ghosts)), 5,
                     'the planned state of this plan', h.proc)
            ghost = next(g for g in list(ghosts) if stamp_key(g) == key)
            assert dict(zip(ghost.name, ghost.position)) == pytest.approx(
                {**end, 'base_yaw': 0.7}), 'the end of the plan; other joints as measured'
        h.arm(False)
        wait_for(lambda: len(h.robot.received(ARM)[-1].points) == 1 and
                 len(h.robot.received(GRIPPER)[-1].points) == 1, 10, 'the hold on both',
                 h.proc)
        shoulder, elbow, finger = h.robot.position
        assert np.allclose(h.robot.received(ARM)[-1].points[0].positions, [elbow, shoulder])
        assert np.allclose(h.robot.received(GRIPPER)[-1].points[0].positions, [finger])
        assert h.robot.received('joint_trajectory') == [], 'no single-topic output'
        assert f"trajectories: {ARM} ['elbow', 'shoulder']; {GRIPPER} ['finger']" in \
            h.proc.output()
    finally:
        assert h.close() == 0


@pytest.mark.parametrize('overrides, reason', [
    (('joint_name_map:=[j9=shoulder]',),
     "configure failed: joint_name_map[0]='j9=shoulder' is invalid: expected a checkpoint "
     "joint before '=', one of ['j1', 'j2', 'j3']"),
    (('controller_groups:=[arm, hand]', 'groups.arm.joints:=[j1, j2]',
      'groups.hand.joints:=[j2, j3]'),
     "configure failed: groups.hand.joints=['j2', 'j3'] is invalid: expected joints in no "
     "other group (['j2'] in groups.arm.joints)"),
    (('controller_groups:=[arm, hand]', 'groups.hand.topic:=arm/joint_trajectory'),
     "invalid parameter: groups.hand.topic='arm/joint_trajectory' is invalid: expected a "
     'topic of its own (/arm/joint_trajectory is also the topic of group arm)'),
])
def test_a_bad_map_or_group_fails_configure_with_the_reason(checkpoint, tmp_path, overrides,
                                                            reason):
    h = Harness(checkpoint, tmp_path, 'autostart:=false', *overrides)
    try:
        assert not transition(h, Transition.TRANSITION_CONFIGURE)
        assert lifecycle_state(h) == 'unconfigured'
        assert reason in h.proc.output().splitlines()[-1], h.proc.output()
    finally:
        assert h.close() == 0
