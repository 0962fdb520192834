# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The simulated robot, the recorder and the closed loop as real processes on real DDS:
record a scripted episode through ROS, turn the bag into data, train a tiny NF-P on it, and
let the policy node drive the robot through the evaluate runner."""

from __future__ import annotations

import json
from pathlib import Path
import subprocess

import numpy as np
import pytest
from rcl_interfaces.srv import SetParameters
from rclpy.parameter import Parameter
from ros_helpers import SHARE, NodeProcess, RosTestNode, call_service, executable, wait_for
from sensor_msgs.msg import Image, JointState
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint
import yaml

from nf_policy_ros.config import DataConfig, EncoderConfig, NFPConfig
from nf_policy_ros.data.bag import open_reader
from nf_policy_ros.nodes.common.time_msgs import duration
from nf_policy_ros.tools.bag_to_dataset import convert

TOPICS = ('/image', '/joint_states', '/sim_robot/reference')
SIM_ARGS = ['-p', 'task:=drawer-open', '-p', 'image_width:=32', '-p', 'image_height:=32',
            '-p', 'real_time_factor:=0.0']
ARM = tuple(f'right_j{i}' for i in range(7))
EPISODE_STEPS = 120  # 1.5 s simulated, 3 s wall at real_time_factor 0.5: several plans


@pytest.fixture(scope='module')
def robot(tmp_path_factory):
    """sim_robot_node (as fast as possible) + demo_recorder (header log times, sim time)."""
    logs = tmp_path_factory.mktemp('logs')
    bags = tmp_path_factory.mktemp('bags')
    sim = NodeProcess('sim_robot_node', SIM_ARGS, logs)
    recorder = NodeProcess('demo_recorder', [
        '-p', f'output_dir:={bags}', '-p', f'topics:=[{", ".join(TOPICS)}]',
        '-p', 'log_time:=header', '-p', 'use_sim_time:=true'], logs)
    yield sim, recorder, bags
    assert sim.stop() == 0, sim.output()
    assert recorder.stop() == 0, recorder.output()


def collect(bags: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(executable('collect_demos')), '--task', 'drawer-open',
                           '--demos', '1', '--max-seeds', '3', *extra],
                          capture_output=True, text=True, timeout=180)


def test_a_scripted_episode_through_ros_becomes_one_labelled_bag_the_data_layer_reads(robot):
    sim, recorder, bags = robot
    done = collect(bags)
    assert done.returncode == 0, done.stdout + done.stderr + recorder.output()
    report = json.loads(done.stdout.splitlines()[-2])
    assert report['success'] is True
    bag = Path(report['bag']['path'])
    counts = report['bag']['counts']
    assert set(counts) == set(TOPICS)
    # camera, joints and reference come at every physics step: equal counts but for the
    # messages in flight when the recording started and stopped
    assert min(counts.values()) > 50 and max(counts.values()) - min(counts.values()) <= 4, \
        counts
    metadata = yaml.safe_load((bag / 'metadata.yaml').read_text())['rosbag2_bagfile_information']
    assert metadata['storage_identifier'] == 'mcap'
    assert metadata['custom_data']['nf_policy_ros.outcome'] == 'success'
    assert 'drawer-open seed' in metadata['custom_data']['nf_policy_ros.episode_label']
    reader = open_reader(bag)  # opened
    try:
        types = {c.topic: c.msgtype for c in reader.connections}
        stamps = [t for c, t, _ in reader.messages()]
    finally:
        reader.close()
    assert types == {'/image': 'sensor_msgs/msg/Image', '/joint_states':
                     'sensor_msgs/msg/JointState', '/sim_robot/reference':
                     'sensor_msgs/msg/JointState'}
    # header log times on simulated time: a 12.5 ms physics step grid
    steps = np.diff(np.unique(stamps))
    assert np.all(steps == 12_500_000), np.unique(steps)

    data = DataConfig(fps=80.0, joint_names=ARM + ('r_close', 'l_close'),
                      action_topic='/sim_robot/reference', max_image_age_s=0.02,
                      max_joint_age_s=0.02)
    config = NFPConfig(data=data, encoder=EncoderConfig(image_height=32, image_width=32))
    episodes, meta = convert([bag], config, progress=False)
    assert meta['bags'][0]['report']['dropped_ticks'] <= 4
    assert len(episodes) == 1 and episodes[0].state.shape[1] == 9
    assert len(episodes[0]) >= min(counts.values()) - 4


def test_the_robot_executes_trajectories_like_jtc_and_refuses_bad_ones(robot):
    sim, _, _ = robot
    ros = RosTestNode('sim_robot_test')
    states: list[JointState] = []
    ros.node.create_subscription(JointState, '/joint_states', states.append, 100)
    pub = ros.node.create_publisher(JointTrajectory, '/joint_trajectory', 10)
    try:
        wait_for(lambda: len(states) > 5 and pub.get_subscription_count() > 0, 20,
                 'joint states and the robot subscribing', sim)
        start = dict(zip(states[-1].name, states[-1].position))
        bad = JointTrajectory(joint_names=['right_j0', 'elbow_of_someone_else'])
        bad.points = [JointTrajectoryPoint(positions=[0.0, 0.0], time_from_start=duration(0.2))]
        pub.publish(bad)
        wait_for(lambda: 'elbow_of_someone_else' in sim.output(), 10, 'the refusal', sim)
        assert 'refused' in sim.output()
        goal = start['right_j0'] + 0.15
        good = JointTrajectory(joint_names=['right_j0'])
        good.points = [JointTrajectoryPoint(positions=[goal], time_from_start=duration(0.3))]
        pub.publish(good)
        wait_for(lambda: abs(dict(zip(states[-1].name, states[-1].position))['right_j0']
                             - goal) < 0.01, 20, 'right_j0 reaching the trajectory end', sim)
        others = dict(zip(states[-1].name, states[-1].position))
        assert abs(others['right_j3'] - start['right_j3']) < 0.02  # left-out joints hold
        assert sim.alive()
    finally:
        ros.close()


def test_closed_loop_through_ros_with_a_tiny_model_runs_end_to_end(robot, tmp_path):
    """Bag -> dataset -> tiny NF-P -> policy node drives the robot -> evaluate's JSON."""
    sim, _, bags = robot
    if not any(bags.iterdir()):
        assert collect(bags).returncode == 0
    config = SHARE / 'config' / 'sim_train.yaml'
    run = [executable('bag_to_dataset'), str(bags), '--out', str(tmp_path / 'ds'),
           '--config', str(config), '--no-progress', '--set', 'encoder.image_height=32',
           '--set', 'encoder.image_width=32']
    subprocess.run([str(a) for a in run], check=True, capture_output=True, timeout=120)
    train = [executable('train'), '--dataset', str(tmp_path / 'ds'), '--out',
             str(tmp_path / 'run'), '--config', str(config), '--no-progress', '--device', 'cpu',
             '--set', 'encoder.image_height=32', '--set', 'encoder.image_width=32',
             '--set', 'flow.num_layers=2', '--set', 'flow.hidden_units=32',
             '--set', 'train.stage_steps=[10]', '--set', 'train.stage_batch_size=[16]',
             '--set', 'train.warmup_steps=1', '--set', 'train.val_every=10',
             '--set', 'train.checkpoint_every=10']
    subprocess.run([str(a) for a in train], check=True, capture_output=True, timeout=300)
    policy = NodeProcess('policy_node', [
        '--params-file', str(SHARE / 'config' / 'sim_policy.yaml'),
        '-p', f'checkpoint:={tmp_path / "run" / "policy.pt"}', '-p', 'sampling.num_candidates:=4'],
        tmp_path)
    try:
        wait_for(lambda: 'active: ready' in policy.output(), 60, 'the policy node active',
                 policy)
        out = tmp_path / 'eval.json'
        refusals_before = sim.output().count('refused')
        done = subprocess.run([str(executable('evaluate')), '--episodes', '1',
                               '--max-steps', str(EPISODE_STEPS), '--out', str(out),
                               '--real-time-factor', '0.5'],
                              capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, done.stdout + done.stderr + policy.output()
        result = json.loads(out.read_text())
        episode = result['episodes'][0]
        assert episode['steps'] >= EPISODE_STEPS or episode['success']
        assert len(episode['confidence']) >= 1, (episode, policy.output())
        assert all(0.0 <= c <= 1.0 for c in episode['confidence'])
        assert out.with_suffix('.png').stat().st_size > 1000
        assert sim.output().count('refused') == refusals_before, sim.output()
    finally:
        assert policy.stop() == 0, policy.output()


def test_a_blacked_out_camera_streams_all_zero_frames_until_it_is_switched_back(tmp_path):
    """camera_blackout: the frames keep coming, same size, and show nothing; it can be
    switched at run time (a fault injected mid-episode)."""
    sim = NodeProcess('sim_robot_node', [*SIM_ARGS, '-p', 'camera_blackout:=true',
                                         '-r', '__ns:=/blackout'], tmp_path)
    test = RosTestNode()
    frames: list[Image] = []
    states: list[JointState] = []
    test.node.create_subscription(Image, '/blackout/image', frames.append, 10)
    test.node.create_subscription(JointState, '/blackout/joint_states', states.append, 10)
    try:
        wait_for(lambda: len(frames) >= 3 and states, 60, 'frames and joint states', sim)
        for frame in frames[:3]:
            assert (frame.width, frame.height, frame.encoding) == (32, 32, 'rgb8')
            assert len(frame.data) == 32 * 32 * 3 and not any(frame.data)
        reply = call_service(test.node, SetParameters, '/blackout/sim_robot/set_parameters',
                             SetParameters.Request(parameters=[Parameter(
                                 'camera_blackout', value=False).to_parameter_msg()]), sim)
        assert reply.results[0].successful, reply
        wait_for(lambda: any(frames[-1].data), 30, 'a rendered frame again', sim)
    finally:
        test.close()
        assert sim.stop() == 0, sim.output()
