# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""train_node as a real process: status over DDS, done state, checkpoint on disk."""

from __future__ import annotations

import json
import threading

from bag_factory import demo_messages, write_bag
import pytest
from ros_helpers import NodeProcess, RosTestNode, wait_for
from std_msgs.msg import String
from test_cli import tiny_params
import torch

from nf_policy_ros.core.checkpoint import load_policy, read_checkpoint
from nf_policy_ros.tools import bag_to_dataset, train


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


def test_train_node_fine_tunes_on_corrections_like_the_cli(tmp_path):
    """extra_dataset / extra_weight / init_from: a run from an existing checkpoint on both
    datasets finishes, starts from the checkpoint's normalizers and records the three in
    its provenance as the train CLI does."""
    config = tiny_params(tmp_path / 'train.yaml', steps=4)
    for name, phase in (('demos', 0.0), ('fixes', 0.7)):
        write_bag(tmp_path / name / 'ep_0', demo_messages(seconds=3.0, phase=phase))
        assert bag_to_dataset.main([str(tmp_path / name), '--out', str(tmp_path / f'data_{name}'),
                                    '--config', str(config), '--no-progress']) == 0
    demos, fixes = tmp_path / 'data_demos', tmp_path / 'data_fixes'
    source, run = tmp_path / 'src' / 'policy.pt', tmp_path / 'tuned'
    assert train.main(['--dataset', str(demos), '--out', str(source.parent), '--config',
                       str(config), '--device', 'cpu', '--no-progress']) == 0
    node = NodeProcess('train_node', [
        '--params-file', str(config), '-p', f'dataset:={demos}', '-p', f'output_dir:={run}',
        '-p', f'extra_dataset:={fixes}', '-p', 'extra_weight:=0.5', '-p',
        f'init_from:={source}', '-p', 'train.stage_steps:=[3]', '-p',
        'train.encoder_warmup_steps:=0', '-p', 'device:=cpu', '-p', 'exit_when_done:=true'],
        tmp_path, env={'OMP_NUM_THREADS': '1'})
    code, output = exit_code_and_output(node, 120)
    assert code == 0, output
    assert f'starting from {source}) into {run}' in output, output
    assert f'trained 3 steps: checkpoint {run / "policy.pt"}' in output, output
    _, provenance = load_policy(run / 'policy.pt')
    assert provenance['init_from'] == str(source)
    assert provenance['extra']['dataset'] == str(fixes.resolve())
    assert provenance['extra']['weight'] == 0.5
    assert provenance['dataset'] == str(demos.resolve())
    # the normalizers come from the checkpoint, not from a fit to both datasets
    tuned, start = (read_checkpoint(p)['state_dict'] for p in (run / 'policy.pt', source))
    names = [k for k in start if 'normalizer' in k]
    assert names and all(torch.equal(tuned[k], start[k]) for k in names)


def exit_code_and_output(node: NodeProcess, timeout_s: float) -> tuple[int, str]:
    """Wait for a node that exits by itself (stopped if it outlives ``timeout_s``)."""
    try:
        code = node.proc.wait(timeout=timeout_s)
    finally:
        if node.alive():
            node.stop()
    return code, node.output()


@pytest.mark.parametrize('params, expected', [
    (['extra_dataset:={tmp}/fixes', 'extra_weight:=1.5'],
     'extra_weight 1.5: expected a fraction of the batch in [0, 1]'),
    (['extra_weight:=0.5'], 'extra_weight 0.5: expected extra_dataset too'),
    (['init_from:={tmp}/none.pt'], "init_from '{tmp}/none.pt': no such file: expected a "
     'policy.pt or last.pt written by train'),
    (['extra_weight:=1'], "extra_weight: Trying to set parameter 'extra_weight' to '1' of "
     "type 'INTEGER', expecting type 'DOUBLE'"),
])
def test_train_node_refuses_bad_correction_parameters_in_one_line(tmp_path, params,
                                                                   expected):
    """The CLI's checks and lines, with the node's names; state failed, nothing written."""
    config = tiny_params(tmp_path / 'train.yaml')
    run = tmp_path / 'run'
    args = ['--params-file', str(config), '-p', f'dataset:={tmp_path / "data"}', '-p',
            f'output_dir:={run}', '-p', 'device:=cpu', '-p', 'exit_when_done:=true']
    for param in params:
        args += ['-p', param.format(tmp=tmp_path)]
    code, output = exit_code_and_output(NodeProcess('train_node', args, tmp_path), 60)
    assert code == 1, output
    errors = [line for line in output.splitlines() if 'ERROR' in line]
    assert len(errors) == 1 and expected.format(tmp=tmp_path) in errors[0], output
    assert 'Traceback' not in output, output
    assert not run.exists(), 'nothing written on a refusal'
