# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""train_node as a real process: status over DDS, done state, checkpoint on disk."""

from __future__ import annotations

import json
import threading

from bag_factory import demo_messages, write_bag
from ros_helpers import NodeProcess, RosTestNode, wait_for
from std_msgs.msg import String
from test_cli import tiny_params

from nf_policy_ros.core.checkpoint import load_policy, read_checkpoint
from nf_policy_ros.tools import bag_to_dataset


def test_train_node_reaches_done_and_writes_the_checkpoint(tmp_path):
    config = tiny_params(tmp_path / 'train.yaml', steps=12)
    for i in range(2):
        write_bag(tmp_path / 'bags' / f'ep_{i}', demo_messages(seconds=3.0, phase=i))
    data, run = tmp_path / 'data', tmp_path / 'run'
    assert bag_to_dataset.main([str(tmp_path / 'bags'), '--out', str(data), '--config',
                                str(config), '--no-progress']) == 0
    test = RosTestNode()
    statuses: list[dict] = []
    lock = threading.Lock()

    def on_status(msg: String) -> None:
        with lock:
            statuses.append(json.loads(msg.data))

    test.node.create_subscription(String, '/nf_policy_train/status', on_status, 10)
    node = NodeProcess('train_node', ['--params-file', str(config), '-p', f'dataset:={data}',
                                      '-p', f'output_dir:={run}', '-p', 'device:=cpu',
                                      '-p', 'exit_when_done:=true'], tmp_path)
    try:
        def done() -> bool:
            with lock:
                return any(s['state'] == 'done' for s in statuses)
        wait_for(done, 120, 'status state=done', node)
        assert node.proc.wait(timeout=30) == 0, node.output()
    finally:
        if node.alive():
            node.stop()
        test.close()
    with lock:
        final = next(s for s in statuses if s['state'] == 'done')
        states = [s['state'] for s in statuses]
    assert final['step'] == 12 and final['checkpoint'] == str(run / 'policy.pt')
    assert 'training' in states
    policy, provenance = load_policy(run / 'policy.pt')
    assert provenance['training']['steps'] == 12


def test_train_node_reports_failure_without_crashing(tmp_path):
    config = tiny_params(tmp_path / 'train.yaml')
    test = RosTestNode()
    statuses: list[dict] = []
    test.node.create_subscription(String, '/nf_policy_train/status',
                                  lambda m: statuses.append(json.loads(m.data)), 10)
    node = NodeProcess('train_node', ['--params-file', str(config), '-p',
                                      f'dataset:={tmp_path / "missing"}', '-p',
                                      f'output_dir:={tmp_path / "run"}'], tmp_path)
    try:
        wait_for(lambda: any(s['state'] == 'failed' for s in list(statuses)), 60,
                 'status state=failed', node)
        failed = next(s for s in list(statuses) if s['state'] == 'failed')
        assert 'has no meta.json' in failed['error']
        assert node.alive(), 'the node stays up to report the failure'
        assert node.stop() == 1, 'a stopped node whose training failed exits with 1'
    finally:
        if node.alive():
            node.stop()
        test.close()


def test_train_node_logs_progress_and_stops_cleanly_on_ctrl_c(tmp_path):
    """Console lines every val_every (10) steps; SIGINT: exit 0, no traceback, last.pt."""
    config = tiny_params(tmp_path / 'train.yaml', steps=5000)
    write_bag(tmp_path / 'bags' / 'ep_0', demo_messages(seconds=3.0))
    data, run = tmp_path / 'data', tmp_path / 'run'
    assert bag_to_dataset.main([str(tmp_path / 'bags'), '--out', str(data), '--config',
                                str(config), '--no-progress']) == 0
    node = NodeProcess('train_node', ['--params-file', str(config), '-p', f'dataset:={data}',
                                      '-p', f'output_dir:={run}', '-p', 'device:=cpu'],
                       tmp_path, env={'OMP_NUM_THREADS': '1'})
    try:
        # inside the encoder warm-up (the first 2500 steps): its regression error
        wait_for(lambda: 'step 10/5000: encoder warm-up MSE' in node.output(), 120,
                 'the progress line of step 10', node)
        code = node.stop(timeout=60)
    finally:
        if node.alive():
            node.stop()
    output = node.log_path.read_text()
    assert code == 0, output
    assert 'Traceback' not in output and 'RCLError' not in output, output
    step = read_checkpoint(run / 'last.pt')['training']['step']
    assert 10 <= step < 5000
    assert f'stopped at step {step} of 5000; resumable checkpoint {run / "last.pt"}' in output
