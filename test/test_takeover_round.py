# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""One round of learning from corrections (issue 35), end to end over ROS in the simulator:
the nodes of ``sim.launch.py checkpoint:=... gate:=takeover operator:=ticks record:=true``
(started from its description, as test_launch_files does), ``evaluate --record`` runs an
episode in which the unsure policy hands the arm over and the robot's scripted operator
commands it through the policy node's teleop forwarding; demo_recorder bags the
intervention flag, bag_to_dataset keeps the operator-commanded ticks, train fine-tunes the
first checkpoint on demos + corrections, and the running policy node loads the fine-tuned
checkpoint (deactivate, cleanup, set, configure, activate).

The first policy is trained for a few steps on synthetic demos (tools/synthetic_demos: the
sim's joints and camera, but sines and a drawn square): the sim's arm and camera are outside
its training support, so its gate closes at every plan, deterministically.
"""

from __future__ import annotations

import json
from pathlib import Path
import subprocess
import threading

from diagnostic_msgs.msg import DiagnosticArray
from lifecycle_msgs.msg import Transition
from lifecycle_msgs.srv import ChangeState, GetState
import numpy as np
from rcl_interfaces.srv import SetParameters
from rclpy.parameter import Parameter
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from ros_helpers import SHARE, NodeProcess, RosTestNode, call_service, executable, wait_for
from std_msgs.msg import Bool, Float32
from std_srvs.srv import Trigger
from test_launch_files import ros_args
from trajectory_msgs.msg import JointTrajectory

from nf_policy_ros.core.checkpoint import load_policy
from nf_policy_ros.data.bag import open_reader
from nf_policy_ros.data.cache import load_dataset
from nf_policy_ros.node_config.launch_files import LAUNCH_FILES, params_file_value
from nf_policy_ros.tools import bag_to_dataset, synthetic_demos, train

FLAG, TAKEOVER = '/nf_policy/intervention', '/nf_policy/takeover'
TELEOP, OUTPUT = '/teleop/joint_trajectory', '/joint_trajectory'
LATCHED = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                     durability=DurabilityPolicy.TRANSIENT_LOCAL)
RELIABLE = QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE)
OPERATOR_TICKS = 10  # per takeover, at 20 Hz of simulated time (the policy's control rate)
EPISODE_STEPS = 120  # 1.5 s simulated: two takeovers of 10 ticks (0.5 s each) and more
# config/sim_train.yaml on a 20 Hz clock (the control rate: one dataset tick per operator
# tick), with a tiny encoder head and flow
CONFIG = ['--config', str(SHARE / 'config' / 'sim_train.yaml'),
          '--set', 'data.fps=20.0', '--set', 'data.max_joint_age_s=0.03',
          '--set', 'data.max_image_age_s=0.1', '--set', 'data.min_episode_ticks=2',
          '--set', 'actions.horizon=4', '--set', 'actions.stride=1',
          '--set', 'encoder.num_keypoints=8', '--set', 'encoder.context_dim=32',
          '--set', 'flow.num_layers=2', '--set', 'flow.hidden_units=32']
TRAIN = ['--no-progress', '--device', 'cpu', '--set', 'train.stage_batch_size=[16]',
         '--set', 'train.warmup_steps=1', '--set', 'train.val_every=1000',
         '--set', 'train.checkpoint_every=1000']


class Watcher:
    """The test's view of the loop: the latched takeover flag, the policy's confidence,
    the operator's commands and what the robot is sent."""

    def __init__(self) -> None:
        self.ros = RosTestNode('takeover_round_test')
        self._lock = threading.Lock()
        self.seen: dict[str, list] = {TAKEOVER: [], '/nf_policy/confidence': [], TELEOP: [],
                                      OUTPUT: []}
        node = self.ros.node
        node.create_subscription(Bool, TAKEOVER, self._keep(TAKEOVER), LATCHED)
        node.create_subscription(Float32, '/nf_policy/confidence',
                                 self._keep('/nf_policy/confidence'), 10)
        node.create_subscription(JointTrajectory, TELEOP, self._keep(TELEOP), RELIABLE)
        node.create_subscription(JointTrajectory, OUTPUT, self._keep(OUTPUT), RELIABLE)
        self.teleop_counts: dict[str, str] = {}  # the policy node's own teleop counters
        node.create_subscription(DiagnosticArray, '/diagnostics', self._on_diagnostics, 10)

    def _on_diagnostics(self, msg: DiagnosticArray) -> None:
        for status in msg.status:
            counts = {v.key: v.value for v in status.values if 'teleop' in v.key}
            if counts:
                with self._lock:
                    self.teleop_counts = counts

    def _keep(self, topic: str):
        def keep(msg) -> None:
            with self._lock:
                self.seen[topic].append(msg)
        return keep

    def messages(self, topic: str) -> list:
        with self._lock:
            return list(self.seen[topic])

    def takeover(self) -> bool | None:
        flags = self.messages(TAKEOVER)
        return flags[-1].data if flags else None

    def call(self, srv_type, name: str, request, process: NodeProcess):
        return call_service(self.ros.node, srv_type, name, request, process)

    def episode(self, sim: NodeProcess) -> dict:
        return json.loads(self.call(Trigger, '/sim_robot/success', None, sim).message)

    def transition(self, step: str, policy: NodeProcess) -> bool:
        request = ChangeState.Request(transition=Transition(
            id=getattr(Transition, f'TRANSITION_{step}')))
        return self.call(ChangeState, '/nf_policy/change_state', request, policy).success


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


def start_launch(logs: Path, **arguments: str) -> dict[str, NodeProcess]:
    """The nodes sim.launch.py starts with ``arguments``, by executable name."""
    nodes = LAUNCH_FILES['sim.launch.py'].resolve(arguments, SHARE)
    return {node.executable: NodeProcess(node.executable, ros_args(node, logs), logs)
            for node in nodes}


def bag_flags(bag: Path) -> list[bool]:
    """The intervention flags of a recorded bag, in order."""
    reader = open_reader(bag)
    try:
        connections = [c for c in reader.connections if c.topic == FLAG]
        reader.use(connections)
        return [bool(reader.deserialize(raw, conn.msgtype).data)
                for conn, _, raw in reader.messages(connections)]
    finally:
        reader.close()


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
    for msg in output:
        by_stamp.setdefault(stamp_ns(msg), []).append(positions(msg))

    def reached(command) -> bool:
        expected = np.clip(positions(command), lower, upper)
        return any(p.shape == expected.shape and np.allclose(p, expected, atol=1e-9)
                   for p in by_stamp.get(stamp_ns(command), []))

    return sum(reached(command) for command in teleop)


def test_one_correction_round_over_ros_takeover_bag_dataset_fine_tune_redeploy(tmp_path,
                                                                               capsys):
    demos, checkpoint = first_checkpoint(tmp_path)
    logs, bags = tmp_path / 'logs', tmp_path / 'corrections'
    logs.mkdir()
    watch = Watcher()
    nodes = start_launch(logs, checkpoint=str(checkpoint), gate='takeover', operator='ticks',
                         operator_ticks=str(OPERATOR_TICKS), record='true',
                         output_dir=str(bags))
    sim, policy, recorder = (nodes[n] for n in ('sim_robot_node', 'policy_node',
                                                'demo_recorder'))
    try:
        # -- 1. deploy with takeover, record an episode: the gate hands over, the operator
        # commands through the policy node, the recorder bags the flag
        wait_for(lambda: 'active: ready' in policy.output(), 120, 'the policy node active',
                 policy)
        wait_for(lambda: watch.takeover() is False, 30, 'the takeover flag, latched false',
                 policy)
        out = tmp_path / 'round.json'
        done = subprocess.run([str(executable('evaluate')), '--episodes', '1',
                               '--first-seed', '0', '--max-steps', str(EPISODE_STEPS),
                               '--record', '--out', str(out)],
                              capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, done.stdout + done.stderr + policy.output()
        assert 'takeover (gate: outside the training support)' in policy.output()
        assert f'operator: {OPERATOR_TICKS} ticks spent, calling' in sim.output()
        wait_for(lambda: watch.takeover() is False, 10, 'the takeover ended by the disarm',
                 policy)
        counts = [watch.episode(sim)['expert_ticks']]

        def settled() -> bool:  # the operator saw the flag fall: its count stops growing
            counts.append(watch.episode(sim)['expert_ticks'])
            return counts[-1] == counts[-2]
        wait_for(settled, 10, "the operator's count to settle", sim, period=0.3)
        effort = watch.episode(sim)
        ticks, takeovers = effort['expert_ticks'], effort['takeovers']
        assert takeovers >= 2 and ticks >= OPERATOR_TICKS * (takeovers - 1), effort
        # every command of the operator reached the robot through the policy node (the
        # last of a takeover may race its release or the disarm)
        teleop, output = watch.messages(TELEOP), watch.messages(OUTPUT)
        assert len(teleop) == ticks, (len(teleop), effort)
        dropped = [line for line in policy.output().splitlines() if 'dropped' in line]
        assert ticks - takeovers <= forwarded(teleop, output) <= ticks, \
            (effort, watch.teleop_counts, dropped)
        # the bag's flag is true at each control tick of a takeover (20 Hz, as the
        # operator's): the operator's ticks, give or take a tick at either end of each
        (episode,) = json.loads(out.read_text())['episodes']
        assert episode['bag']['outcome'] == ('success' if episode['success'] else 'failure')
        flagged = sum(bag_flags(Path(episode['bag']['path'])))
        assert abs(flagged - ticks) <= 2 * takeovers, (flagged, effort)

        # -- 2. the corrections: only the operator-commanded ticks, on the same clock (of
        # a failed episode too: the operator's ticks are corrections all the same)
        capsys.readouterr()
        corrections = tmp_path / 'data_corrections'
        assert bag_to_dataset.main([str(bags), '--out', str(corrections), '--no-progress',
                                    *CONFIG, '--set', f'data.intervention_topic={FLAG}',
                                    '--set', 'data.keep=interventions',
                                    '--set', 'data.skip_failures=false']) == 0
        assert 'operator-commanded' in capsys.readouterr().out
        episodes, meta = load_dataset(corrections)
        kept = sum(len(e) for e in episodes)
        assert meta['keep'] == 'interventions' and all(e.intervention.all() for e in episodes)
        assert 1 <= len(episodes) <= takeovers  # one per run of flagged ticks
        assert abs(kept - ticks) <= 2 * takeovers, (kept, flagged, effort)

        # -- 3. fine-tune the deployed checkpoint on demos + corrections
        tuned = tmp_path / 'run1' / 'policy.pt'
        assert train.main(['--dataset', str(demos), '--extra-dataset', str(corrections),
                           '--extra-weight', '0.5', '--init-from', str(checkpoint),
                           '--out', str(tuned.parent), *CONFIG, *TRAIN,
                           '--set', 'train.stage_steps=[5]',
                           '--set', 'train.encoder_warmup_steps=0']) == 0
        _, provenance = load_policy(tuned)
        assert provenance['init_from'] == str(checkpoint), provenance
        assert provenance['extra']['dataset'] == str(corrections.resolve())
        assert provenance['extra']['weight'] == 0.5
        assert provenance['extra']['intervention_ticks'] == kept

        # -- 4. the running node loads it: deactivate, cleanup, set, configure, activate
        assert watch.transition('DEACTIVATE', policy) and watch.transition('CLEANUP', policy)
        reply = watch.call(SetParameters, '/nf_policy/set_parameters', SetParameters.Request(
            parameters=[Parameter('checkpoint', value=str(tuned)).to_parameter_msg()]), policy)
        assert reply.results[0].successful, reply.results[0].reason
        assert watch.transition('CONFIGURE', policy), policy.output()
        assert watch.transition('ACTIVATE', policy), policy.output()
        state = watch.call(GetState, '/nf_policy/get_state', GetState.Request(), policy)
        assert state.current_state.label == 'active'
        assert f'loaded {tuned} on cpu' in policy.output()
        before = len(watch.messages('/nf_policy/confidence'))
        wait_for(lambda: len(watch.messages('/nf_policy/confidence')) >= before + 3, 30,
                 'plans of the fine-tuned policy', policy)
    finally:
        watch.ros.close()
        codes = {name: node.stop() for name, node in nodes.items()}
        assert set(codes.values()) == {0}, codes
