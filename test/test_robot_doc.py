# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""docs/robot.md as written: its marked blocks run in page order in an empty directory, with
the executables the README's setup puts on PATH. The guide's own commands make synthetic
demonstrations shaped like its my_train.yaml, split a session bag into episodes, convert,
train, start policy_node on the checkpoint and arm it with policy_ctl; the test plays the
robot (it publishes whatever camera and joint-state topics the node subscribes, and listens
on the trajectory topic the node publishes) and waits for a JointTrajectory plan.

What the test substitutes, and nothing else: my_train.yaml gets TINY_TRAINING merged in
(the guide's file trains the full model for 8000 steps), and ROS runs isolated as in every
test (scripts/test.sh: random domain, localhost discovery).
"""

from __future__ import annotations

import io
import math
from pathlib import Path
import re
import signal
import subprocess
import threading
import time

from doc_blocks import Block, read_blocks, shell_commands
import numpy as np
from PIL import Image as PILImage
from rclpy.qos import qos_profile_sensor_data
from ros_helpers import RosTestNode, wait_for
from sensor_msgs.msg import CompressedImage, Image, JointState
from trajectory_msgs.msg import JointTrajectory
import yaml

from nf_policy_ros.data.synthetic import arm_pose, camera_view

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / 'docs' / 'robot.md'
NODE = 'nf_policy'  # the policy node's name, as the guide uses it (/nf_policy)
TINY_TRAINING = {'my_train.yaml': {
    'encoder': {'image_height': 32, 'image_width': 32, 'num_keypoints': 8, 'context_dim': 32},
    'actions': {'horizon': 4, 'stride': 2},
    'flow': {'num_layers': 2, 'hidden_units': 32, 'hidden_blocks': 1},
    'train': {'stage_steps': [20], 'stage_lr': [1.0e-3], 'stage_batch_size': [8],
              'warmup_steps': 2, 'val_every': 10, 'checkpoint_every': 10},
}}
BLOCK_TIMEOUT_S = 180


def settings(params: dict) -> dict:
    """The config sections of a params file (inside ``node: {ros__parameters: ...}``)."""
    if len(params) == 1:
        (inner,) = params.values()
        if isinstance(inner, dict) and 'ros__parameters' in inner:
            return inner['ros__parameters']
    return params


def merged(base: dict, extra: dict) -> dict:
    """``base`` with ``extra``'s keys set, nested mappings merged."""
    out = dict(base)
    for key, value in extra.items():
        inner = out.get(key)
        out[key] = merged(inner, value) if isinstance(inner, dict) and isinstance(
            value, dict) else value
    return out


def expected_output(block: Block, page: list[str]) -> re.Pattern | None:
    """'It prints `TEXT`.' in the paragraph after a block, as a pattern ('...' = anything)."""
    after = '\n'.join(page[block.line:])
    fence_end = after.index('```')
    paragraph = after[fence_end + 3:].strip().split('\n\n')[0]
    found = re.match(r'It prints `([^`]+)`', paragraph)
    if not found:
        return None
    return re.compile('.*'.join(re.escape(part) for part in found.group(1).split('...')))


class PlayedRobot:
    """The robot for whatever node ``NODE`` subscribes: found in the graph, its camera
    topics get frames (Image or CompressedImage by type) and its JointState topic the
    synthetic arm's joints; JointTrajectory messages it publishes are kept."""

    def __init__(self, joints: list[str]) -> None:
        self.joints = joints
        self.ros = RosTestNode('played_robot')
        self.node = self.ros.node
        self.started = time.monotonic()
        self.cameras: list = []
        self.joint_pub = None
        self.trajectories: list[JointTrajectory] = []
        self.trajectory_topics: list[str] = []
        self._lock = threading.Lock()
        self._discovery = self.node.create_timer(0.2, self._discover)

    def _discover(self) -> None:
        try:
            subs = self.node.get_subscriber_names_and_types_by_node(NODE, '/')
            pubs = self.node.get_publisher_names_and_types_by_node(NODE, '/')
        except Exception:  # the node is not up yet
            return
        kinds = {topic: types[0] for topic, types in subs}
        if 'sensor_msgs/msg/JointState' not in kinds.values():
            return  # not configured yet: the inputs are created at configure
        for topic, kind in kinds.items():
            if kind == 'sensor_msgs/msg/CompressedImage':
                self.cameras.append(self.node.create_publisher(
                    CompressedImage, topic, qos_profile_sensor_data))
            elif kind == 'sensor_msgs/msg/Image':
                self.cameras.append(self.node.create_publisher(
                    Image, topic, qos_profile_sensor_data))
            elif kind == 'sensor_msgs/msg/JointState':
                self.joint_pub = self.node.create_publisher(JointState, topic,
                                                            qos_profile_sensor_data)
        for topic, types in pubs:
            if 'trajectory_msgs/msg/JointTrajectory' in types:
                self.trajectory_topics.append(topic)
                self.node.create_subscription(JointTrajectory, topic, self._on_trajectory, 10)
        self.node.create_timer(1 / 15, self._publish_cameras)
        self.node.create_timer(1 / 50, self._publish_joints)
        self._discovery.cancel()

    def _pose(self) -> np.ndarray:
        return arm_pose(time.monotonic() - self.started, len(self.joints), 0.0)

    def _publish_cameras(self) -> None:
        pixels = camera_view(self._pose(), (48, 64))
        stamp = self.node.get_clock().now().to_msg()
        for pub in self.cameras:
            if pub.msg_type is CompressedImage:
                buffer = io.BytesIO()
                PILImage.fromarray(pixels).save(buffer, format='JPEG', quality=90)
                msg = CompressedImage(format='jpeg', data=buffer.getvalue())
            else:
                msg = Image(height=48, width=64, encoding='rgb8', step=64 * 3,
                            data=pixels.tobytes())
            msg.header.stamp = stamp
            pub.publish(msg)

    def _publish_joints(self) -> None:
        msg = JointState(name=self.joints, position=self._pose().tolist())
        msg.header.stamp = self.node.get_clock().now().to_msg()
        self.joint_pub.publish(msg)

    def _on_trajectory(self, msg: JointTrajectory) -> None:
        with self._lock:
            self.trajectories.append(msg)

    def plans(self) -> list[JointTrajectory]:
        """Received trajectories with more than one point (a hold has one)."""
        with self._lock:
            return [m for m in self.trajectories if len(m.points) > 1]

    def close(self) -> None:
        self.ros.close()


class GuideRun:
    """Runs the guide's blocks in ``workdir``; background blocks are kept until close()."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.page = GUIDE.read_text().splitlines()
        self.background: list[tuple[Block, subprocess.Popen, Path]] = []
        self.transcript: list[str] = []

    def run(self, block: Block) -> None:
        kind, _, name = block.argument.partition(' ')
        if kind == 'file':
            self.write_file(name, block.text)
        elif kind == 'background':
            self.start(block)
        else:
            self.run_to_completion(block)

    def write_file(self, name: str, text: str) -> None:
        path = self.workdir / name
        path.write_text(text)
        if name in TINY_TRAINING:
            params = yaml.safe_load(text)
            sections = settings(params)
            sections.update(merged(sections, TINY_TRAINING[name]))
            path.write_text(yaml.safe_dump(params))

    def run_to_completion(self, block: Block) -> None:
        done = subprocess.run(['bash', '-e', '-u', '-o', 'pipefail', '-c', block.text],
                              cwd=self.workdir, capture_output=True, text=True,
                              timeout=BLOCK_TIMEOUT_S)
        self.transcript.append(f'$ (docs/robot.md line {block.line})\n{block.text}'
                               f'{done.stdout}{done.stderr}')
        assert done.returncode == 0, (f'docs/robot.md block at line {block.line} exited '
                                      f'{done.returncode}:\n' + self.log())
        pattern = expected_output(block, self.page)
        if pattern is not None:
            assert pattern.search(done.stdout), (f'docs/robot.md line {block.line}: the '
                                                 f'guide says it prints {pattern.pattern!r}; '
                                                 f'it printed:\n{done.stdout}')

    def start(self, block: Block) -> None:
        assert len(shell_commands(block.text)) == 1, 'a background block is one command'
        log = self.workdir / f'background_{block.line}.log'
        with log.open('w') as out:
            proc = subprocess.Popen(['bash', '-c', 'exec ' + block.text], cwd=self.workdir,
                                    stdout=out, stderr=subprocess.STDOUT)
        self.background.append((block, proc, log))

    def log(self) -> str:
        logs = [f'--- background (line {b.line}) ---\n{path.read_text()}'
                for b, _, path in self.background]
        return '\n'.join(self.transcript + logs)

    def stop(self) -> list[int]:
        """SIGINT (Ctrl-C) to every background process; their exit codes."""
        codes = []
        for _, proc, _ in self.background:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
            try:
                codes.append(proc.wait(timeout=20))
            except subprocess.TimeoutExpired:
                proc.kill()
                codes.append(None)
        return codes


def runnable_blocks() -> list[Block]:
    return [b for b in read_blocks(GUIDE) if b.runs]


def test_every_shell_block_says_whether_the_test_runs_it():
    blocks = read_blocks(GUIDE)
    unmarked = [b.line for b in blocks if b.language == 'bash' and b.marker is None]
    assert not unmarked, (f'docs/robot.md: shell blocks at lines {unmarked} carry no '
                          '<!-- runs-in-test --> or <!-- not-run-in-test: why --> marker')
    for block in blocks:
        kind, _, name = block.argument.partition(' ')
        if block.marker == 'not-run-in-test':
            assert block.argument, f'line {block.line}: say why the test cannot run it'
        elif block.runs:
            assert kind in ('', 'background', 'file'), f'line {block.line}: {kind!r}'
            assert (kind == 'file') == bool(name), f'line {block.line}: file needs a name'
            assert block.language == ('yaml' if kind == 'file' else 'bash'), block.line


def test_the_guide_runs_as_written_from_demos_to_a_trajectory(tmp_path):
    blocks = runnable_blocks()
    files = [b.argument.split(' ', 1)[1] for b in blocks if b.argument.startswith('file ')]
    assert set(TINY_TRAINING) <= set(files), 'the guide no longer writes the training config'
    run = GuideRun(tmp_path)
    robot = None
    try:
        for block in blocks:
            run.run(block)
            if robot is None and (tmp_path / 'my_train.yaml').exists():
                config = settings(yaml.safe_load((tmp_path / 'my_train.yaml').read_text()))
                robot = PlayedRobot(list(config['data']['joint_names']))
        assert robot is not None and run.background, 'the guide starts no node'
        wait_for(lambda: len(robot.plans()) >= 2, 60,
                 'JointTrajectory plans from the node the guide started and armed\n'
                 + run.log())
        policy = yaml.safe_load((tmp_path / 'my_policy.yaml').read_text())
        safety = settings(policy)['safety']
        for plan in robot.plans():
            assert list(plan.joint_names) == robot.joints
            for point in plan.points:
                assert all(math.isfinite(p) for p in point.positions)
                assert np.all(np.asarray(point.positions) >= safety['joint_lower'])
                assert np.all(np.asarray(point.positions) <= safety['joint_upper'])
        remaps = [word.split(':=', 1) for b, _, _ in run.background
                  for word in shell_commands(b.text)[0] if ':=' in word]
        wanted = [value for key, value in remaps if key == 'joint_trajectory']
        assert robot.trajectory_topics == wanted, 'the remapping in the guide did not apply'
    finally:
        codes = run.stop()
        if robot is not None:
            robot.close()
    assert codes and all(code == 0 for code in codes), f'exit codes {codes}:\n{run.log()}'
