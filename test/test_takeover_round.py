# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""One round of learning from corrections (issue 35), end to end over ROS in the simulator:
a policy unsure of the arm hands it over (``safety.gate: takeover``), the sim robot's
scripted operator commands it through the policy node's teleop forwarding, demo_recorder
bags the intervention flag, bag_to_dataset keeps the operator-commanded ticks, train
fine-tunes the first checkpoint on demos + corrections, and the running policy node loads
the fine-tuned checkpoint (cleanup, set, configure, activate).

The first policy is trained for a few steps on synthetic demos (tools/synthetic_demos: the
sim's joints and camera, but sines and a drawn square): the sim's arm and camera are outside
its training support, so its gate closes at every plan, deterministically.
"""

from __future__ import annotations

import json
from pathlib import Path
import threading

from lifecycle_msgs.msg import Transition
from lifecycle_msgs.srv import ChangeState, GetState
import numpy as np
from rcl_interfaces.srv import SetParameters
from rclpy.parameter import Parameter
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from ros_helpers import SHARE, NodeProcess, RosTestNode, call_service, wait_for
from std_msgs.msg import Bool, Float32
from std_srvs.srv import SetBool, Trigger

from nf_policy_ros.core.checkpoint import load_policy
from nf_policy_ros.data.bag import open_reader
from nf_policy_ros.data.cache import load_dataset
from nf_policy_ros.node_config.launch_files import params_file_value
from nf_policy_ros.tools import bag_to_dataset, synthetic_demos, train

FLAG, TAKEOVER = '/nf_policy/intervention', '/nf_policy/takeover'
TELEOP, OUTPUT = '/teleop/joint_trajectory', '/joint_trajectory'
RECORDED = ['/image', '/joint_states', '/sim_robot/reference', FLAG, TELEOP, OUTPUT]
LATCHED = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                     durability=DurabilityPolicy.TRANSIENT_LOCAL)
OPERATOR_TICKS = 10  # per takeover, at 20 Hz of simulated time (the policy's control rate)
TAKEOVERS = 2  # served before the test disarms the policy
# config/sim_train.yaml on a 20 Hz clock (the control rate: one dataset tick per operator
# tick), with a tiny encoder head and flow, and the candidates the node runs (calibration)
CONFIG = ['--config', str(SHARE / 'config' / 'sim_train.yaml'),
          '--set', 'data.fps=20.0', '--set', 'data.max_joint_age_s=0.03',
          '--set', 'data.max_image_age_s=0.1', '--set', 'data.min_episode_ticks=2',
          '--set', 'actions.horizon=4', '--set', 'actions.stride=1',
          '--set', 'encoder.num_keypoints=8', '--set', 'encoder.context_dim=32',
          '--set', 'flow.num_layers=2', '--set', 'flow.hidden_units=32',
          '--set', 'sampling.num_candidates=8']
TRAIN = ['--no-progress', '--device', 'cpu', '--set', 'train.stage_batch_size=[16]',
         '--set', 'train.warmup_steps=1', '--set', 'train.val_every=1000',
         '--set', 'train.checkpoint_every=1000']


class Watcher:
    """The test's view of the policy node: the latched takeover flag, its confidence."""

    def __init__(self) -> None:
        self.ros = RosTestNode('takeover_round_test')
        self._lock = threading.Lock()
        self.takeover: list[bool] = []
        self.confidence: list[float] = []
        self.ros.node.create_subscription(Bool, TAKEOVER, self._on_takeover, LATCHED)
        self.ros.node.create_subscription(Float32, '/nf_policy/confidence',
                                          self._on_confidence, 10)

    def _on_takeover(self, msg: Bool) -> None:
        with self._lock:
            self.takeover.append(msg.data)

    def _on_confidence(self, msg: Float32) -> None:
        with self._lock:
            self.confidence.append(msg.data)

    def confidences(self) -> list[float]:
        with self._lock:
            return list(self.confidence)

    def active(self) -> bool | None:
        with self._lock:
            return self.takeover[-1] if self.takeover else None

    def call(self, srv_type, name: str, request=None, process: NodeProcess | None = None,
             repeat_safe: bool = True):
        return call_service(self.ros.node, srv_type, name, request, process,
                            repeat_safe=repeat_safe)

    def episode(self, sim: NodeProcess) -> dict:
        return json.loads(self.call(Trigger, '/sim_robot/success', process=sim).message)


def first_checkpoint(root: Path) -> tuple[Path, Path]:
    """Synthetic demos -> dataset -> 20 training steps: (demos dataset, policy.pt)."""
    bags, demos, run = root / 'demo_bags', root / 'demos', root / 'run0'
    assert synthetic_demos.main(['--out', str(bags), '--episodes', '3', '--seconds', '3',
                                 *CONFIG]) == 0
    assert bag_to_dataset.main([str(bags), '--out', str(demos), '--no-progress',
                                *CONFIG]) == 0
    assert train.main(['--dataset', str(demos), '--out', str(run), *CONFIG, *TRAIN,
                       '--set', 'train.stage_steps=[20]']) == 0
    return demos, run / 'policy.pt'


def bag_messages(bag: Path, topics: list[str]) -> dict[str, list]:
    """topic -> [(log time [ns], message), ...] of a recorded bag."""
    reader = open_reader(bag)
    try:
        connections = [c for c in reader.connections if c.topic in topics]
        reader.use(connections)
        found: dict[str, list] = {t: [] for t in topics}
        for conn, log_ns, raw in reader.messages(connections):
            found[conn.topic].append((log_ns, reader.deserialize(raw, conn.msgtype)))
    finally:
        reader.close()
    return found


def stamp_ns(msg) -> int:
    return msg.header.stamp.sec * 10**9 + msg.header.stamp.nanosec


def positions(msg) -> np.ndarray:
    """(points, joints) of a JointTrajectory."""
    return np.array([list(p.positions) for p in msg.points])


def forwarded(teleop: list, output: list) -> int:
    """How many teleop commands reached the robot's trajectory topic: an output with the
    command's stamp (the node forwards it) and its points within the node's joint limits
    (config/sim_policy.yaml; max_step_rad is off there)."""
    safety = params_file_value(SHARE / 'config' / 'sim_policy.yaml', '/nf_policy', 'safety')
    lower, upper = safety['joint_lower'], safety['joint_upper']
    by_stamp: dict[int, list] = {}
    for _, msg in output:
        by_stamp.setdefault(stamp_ns(msg), []).append(positions(msg))

    def reached(command) -> bool:
        expected = np.clip(positions(command), lower, upper)
        return any(p.shape == expected.shape and np.allclose(p, expected, atol=1e-9)
                   for p in by_stamp.get(stamp_ns(command), []))

    return sum(reached(command) for _, command in teleop)


def test_one_correction_round_over_ros_takeover_bag_dataset_fine_tune_redeploy(tmp_path,
                                                                               capsys):
    demos, checkpoint = first_checkpoint(tmp_path)
    logs, bags = tmp_path / 'logs', tmp_path / 'corrections'
    logs.mkdir()
    sim = NodeProcess('sim_robot_node', [
        '-p', 'task:=drawer-open', '-p', 'image_width:=32', '-p', 'image_height:=32',
        '-p', 'camera_rate_hz:=20.0', '-p', 'real_time_factor:=1.0', '-p', 'operator:=ticks',
        '-p', f'operator_ticks:={OPERATOR_TICKS}', '-p', 'operator_rate_hz:=20.0'], logs)
    policy = NodeProcess('policy_node', [
        '--params-file', str(SHARE / 'config' / 'sim_policy.yaml'),
        '-p', f'checkpoint:={checkpoint}', '-p', 'sampling.num_candidates:=8',
        '-p', 'safety.gate:=takeover'], logs)
    recorder = NodeProcess('demo_recorder', [
        '-p', f'output_dir:={bags}', '-p', f'topics:=[{", ".join(RECORDED)}]',
        '-p', 'log_time:=header', '-p', 'use_sim_time:=true'], logs)
    watch = Watcher()
    try:
        # -- 1. deploy with takeover, record: the gate hands over, the operator commands
        wait_for(lambda: 'active: ready' in policy.output(), 120, 'the policy node active',
                 policy)
        wait_for(lambda: watch.active() is False, 30, 'the takeover flag, latched false',
                 policy)
        started = watch.call(Trigger, '/demo_recorder/start', process=recorder,
                             repeat_safe=False)
        assert started.success, started.message
        armed = watch.call(SetBool, '/nf_policy/enable_output', SetBool.Request(data=True),
                           policy)
        assert armed.success, armed.message
        wait_for(lambda: watch.episode(sim)['expert_ticks'] >= OPERATOR_TICKS * TAKEOVERS,
                 90, f'{TAKEOVERS} takeovers served by the operator', sim, period=0.2)
        assert 'takeover (gate: outside the training support)' in policy.output()
        assert f'operator: {OPERATOR_TICKS} ticks spent, calling' in sim.output()
        disarmed = watch.call(SetBool, '/nf_policy/enable_output',
                              SetBool.Request(data=False), policy)
        assert disarmed.success, disarmed.message  # disarming ends a takeover, allows none
        wait_for(lambda: watch.active() is False, 10, 'the takeover ended', policy)
        counts = [watch.episode(sim)['expert_ticks']]

        def settled() -> bool:  # the operator saw the flag fall: its count stops growing
            counts.append(watch.episode(sim)['expert_ticks'])
            return counts[-1] == counts[-2]
        wait_for(settled, 10, "the operator's count to settle", sim, period=0.3)
        effort = watch.episode(sim)
        stopped = watch.call(SetBool, '/demo_recorder/stop', SetBool.Request(data=True),
                             recorder, repeat_safe=False)
        assert stopped.success, stopped.message
        recorded = json.loads(stopped.message)
        ticks, takeovers = effort['expert_ticks'], effort['takeovers']
        assert takeovers >= TAKEOVERS and ticks >= OPERATOR_TICKS * (takeovers - 1), effort
        # every command the operator sent is in the bag, and reached the robot through the
        # policy node (the last of a takeover may race its release or the disarm)
        assert recorded['counts'][TELEOP] == ticks, (recorded, effort)
        messages = bag_messages(Path(recorded['path']), [FLAG, TELEOP, OUTPUT])
        reached = forwarded(messages[TELEOP], messages[OUTPUT])
        assert ticks - takeovers <= reached <= ticks, (reached, effort)
        # the flag is true at each control tick of a takeover (20 Hz, as the operator's):
        # the operator's ticks, give or take a tick at either end of each takeover
        flagged = sum(msg.data for _, msg in messages[FLAG])
        assert abs(flagged - ticks) <= 2 * takeovers, (flagged, effort)

        # -- 2. the corrections: only the operator-commanded ticks, on the same clock
        capsys.readouterr()
        corrections = tmp_path / 'data_corrections'
        assert bag_to_dataset.main([str(bags), '--out', str(corrections), '--no-progress',
                                    *CONFIG,
                                    '--set', f'data.intervention_topic={FLAG}',
                                    '--set', 'data.keep=interventions']) == 0
        assert 'operator-commanded' in capsys.readouterr().out
        episodes, meta = load_dataset(corrections)
        kept = sum(len(e) for e in episodes)
        assert meta['keep'] == 'interventions' and all(e.intervention.all() for e in episodes)
        assert 1 <= len(episodes) <= takeovers  # one per run of flagged ticks
        assert abs(kept - ticks) <= 2 * takeovers, (kept, flagged, effort)

        # -- 3. fine-tune the deployed checkpoint on demos + corrections
        tuned = tmp_path / 'run1'
        assert train.main(['--dataset', str(demos), '--extra-dataset', str(corrections),
                           '--extra-weight', '0.5', '--init-from', str(checkpoint),
                           '--out', str(tuned), *CONFIG, *TRAIN,
                           '--set', 'train.stage_steps=[5]',
                           '--set', 'train.encoder_warmup_steps=0']) == 0
        _, provenance = load_policy(tuned / 'policy.pt')
        assert provenance['init_from'] == str(checkpoint), provenance
        assert provenance['extra']['dataset'] == str(corrections.resolve())
        assert provenance['extra']['weight'] == 0.5
        assert provenance['extra']['intervention_ticks'] == kept

        # -- 4. the running node loads it: deactivate, cleanup, set, configure, activate
        for step in ('DEACTIVATE', 'CLEANUP'):
            change = ChangeState.Request(transition=Transition(
                id=getattr(Transition, f'TRANSITION_{step}')))
            assert watch.call(ChangeState, '/nf_policy/change_state', change, policy).success
        reply = watch.call(SetParameters, '/nf_policy/set_parameters', SetParameters.Request(
            parameters=[Parameter('checkpoint', value=str(tuned / 'policy.pt'))
                        .to_parameter_msg()]), policy)
        assert reply.results[0].successful, reply.results[0].reason
        for step in ('CONFIGURE', 'ACTIVATE'):
            change = ChangeState.Request(transition=Transition(
                id=getattr(Transition, f'TRANSITION_{step}')))
            assert watch.call(ChangeState, '/nf_policy/change_state', change,
                              policy).success, policy.output()
        state = watch.call(GetState, '/nf_policy/get_state', GetState.Request(), policy)
        assert state.current_state.label == 'active'
        assert f'loaded {tuned / "policy.pt"} on cpu' in policy.output()
        before = len(watch.confidences())
        wait_for(lambda: len(watch.confidences()) >= before + 3, 30,
                 'plans of the fine-tuned policy', policy)
        assert all(0.0 <= c <= 1.0 for c in watch.confidences()[before:])
    finally:
        watch.ros.close()
        codes = {p.log_path.name: p.stop() for p in (recorder, policy, sim)}
        assert set(codes.values()) == {0}, codes
