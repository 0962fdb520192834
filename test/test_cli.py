# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""bags -> bag_to_dataset -> train -> checkpoint -> load -> predict, through main(argv); bad
inputs, signals and --resume through the installed executables."""

from __future__ import annotations

import csv
import os
from pathlib import Path
import shutil
import signal
import subprocess
import time

from bag_factory import JOINTS, demo_messages, write_bag
import numpy as np
import pytest
from ros_helpers import executable
import torch
import yaml

from nf_policy_ros.config import SamplingConfig
from nf_policy_ros.core.checkpoint import load_policy, read_checkpoint
from nf_policy_ros.data.cache import load_dataset
from nf_policy_ros.structs import Observation
from nf_policy_ros.tools import bag_to_dataset, train

ROOT = Path(__file__).resolve().parents[1]


def tiny_params(path: Path, steps: int = 20) -> Path:
    """The shipped config/train.yaml with a tiny model and the test's joints and topics;
    its encoder warm-up takes the first half of the ``steps``."""
    params = yaml.safe_load((ROOT / 'config' / 'train.yaml').read_text())
    p = params['/**/nf_policy_train']['ros__parameters']
    p['data'].update(joint_names=list(JOINTS), fps=10.0)
    p['encoder'].update(image_height=32, image_width=32, num_keypoints=8, context_dim=32)
    p['actions'].update(horizon=4, stride=2)
    p['flow'].update(num_layers=2, hidden_units=32, hidden_blocks=1)
    p['train'].update(stage_steps=[steps], stage_lr=[1.0e-3], stage_batch_size=[8],
                      warmup_steps=2, val_every=10, checkpoint_every=10, val_fraction=0.34,
                      encoder_warmup_steps=steps // 2)
    path.write_text(yaml.safe_dump(params))
    return path


@pytest.fixture(scope='module')
def bag_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp('bags')
    for i, storage in enumerate(['mcap', 'sqlite3', 'mcap']):
        write_bag(folder / f'ep_{i}', demo_messages(seconds=3.0, phase=0.3 * i), storage)
    return folder


def test_end_to_end_through_the_clis(bag_folder, tmp_path):
    config = tiny_params(tmp_path / 'train.yaml')
    data = tmp_path / 'data'
    assert bag_to_dataset.main([str(bag_folder), '--out', str(data), '--config', str(config),
                                '--no-progress']) == 0
    episodes, meta = load_dataset(data)
    assert len(episodes) == 3 and meta['joint_names'] == list(JOINTS)
    assert all(len(b['sha256']) == 64 for b in meta['bags'])
    run = tmp_path / 'run'
    assert train.main(['--dataset', str(data), '--out', str(run), '--config', str(config),
                       '--no-progress', '--device', 'cpu']) == 0
    policy, provenance = load_policy(run / 'policy.pt')
    assert provenance['joint_names'] == list(JOINTS)
    assert provenance['fps'] == 10.0 and provenance['stride'] == 2
    assert [b['sha256'] for b in provenance['bags']] == [b['sha256'] for b in meta['bags']]
    obs = Observation(torch.from_numpy(episodes[0].images[:2]).float() / 255,
                      torch.from_numpy(episodes[0].state[:2]))
    pred = policy.predict(obs, SamplingConfig(num_candidates=8),
                          torch.Generator().manual_seed(0))
    assert pred.actions.shape == (2, 4, 3) and torch.isfinite(pred.actions).all()
    assert ((pred.confidence >= 0) & (pred.confidence <= 1)).all()


def test_clis_refuse_to_overwrite_and_resume_on_request(bag_folder, tmp_path, capsys):
    config = tiny_params(tmp_path / 'train.yaml', steps=10)
    data, run = tmp_path / 'data', tmp_path / 'run'
    common = ['--config', str(config), '--no-progress']
    assert bag_to_dataset.main([str(bag_folder / 'ep_0'), '--out', str(data), *common]) == 0
    assert bag_to_dataset.main([str(bag_folder / 'ep_0'), '--out', str(data), *common]) == 2
    assert 'already holds a dataset' in capsys.readouterr().err
    args = ['--dataset', str(data), '--out', str(run), '--device', 'cpu', *common]
    assert train.main(args) == 0
    assert train.main(args) == 2
    assert 'already holds a run' in capsys.readouterr().err
    assert train.main([*args, '--resume', '--set', 'train.stage_steps=[14]']) == 0
    assert 'trained 14 steps' in capsys.readouterr().out


def test_train_refuses_joint_names_that_contradict_the_dataset(bag_folder, tmp_path, capsys):
    config = tiny_params(tmp_path / 'train.yaml')
    data = tmp_path / 'data'
    bag_to_dataset.main([str(bag_folder / 'ep_1'), '--out', str(data), '--config',
                         str(config), '--no-progress'])
    code = train.main(['--dataset', str(data), '--out', str(tmp_path / 'run'), '--config',
                       str(config), '--set', 'data.joint_names=[j3, j2, j1]'])
    assert code == 2
    assert "data.joint_names=['j3', 'j2', 'j1'] but the dataset has ['j1', 'j2', 'j3']" in \
        capsys.readouterr().err


def test_bag_to_dataset_reports_the_bad_bag(tmp_path, capsys):
    (tmp_path / 'notabag').mkdir()
    (tmp_path / 'notabag' / 'x.txt').write_text('')
    code = bag_to_dataset.main([str(tmp_path / 'notabag'), '--out', str(tmp_path / 'd'),
                                '--set', 'data.joint_names=[a]'])
    assert code == 2
    assert 'holds no rosbag2 directory' in capsys.readouterr().err
    assert not np.any([p.name == 'meta.json' for p in tmp_path.rglob('*')])


# --- Real processes: one-line refusals, and SIGINT/SIGTERM with --resume -----------------

def run_cli(name: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """The installed executable ``name`` run to completion, output captured."""
    return subprocess.run([str(executable(name)), *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, 'OMP_NUM_THREADS': '1'})


def tree(root: Path) -> set[Path]:
    return set(root.rglob('*'))


@pytest.fixture(scope='module')
def dataset_dir(bag_folder, tmp_path_factory) -> Path:
    """A 3-episode dataset with the tiny config (made in-process: it is the input here)."""
    folder = tmp_path_factory.mktemp('dataset')
    config = tiny_params(folder / 'train.yaml')
    assert bag_to_dataset.main([str(bag_folder), '--out', str(folder / 'data'), '--config',
                                str(config), '--no-progress']) == 0
    return folder / 'data'


def _bad_bag(tmp_path: Path, bag_folder: Path, metadata: str) -> str:
    bag = tmp_path / 'bad_bag'
    shutil.copytree(bag_folder / 'ep_0', bag)
    (bag / 'metadata.yaml').write_text(metadata)
    return str(bag)


BAD_CONVERSIONS = {  # name -> (argv after the bags given by the case, expected fragment)
    'missing config': (['--config', '{tmp}/nope.yaml'],
                       "--config '{tmp}/nope.yaml': No such file or directory; expected a YAML"),
    'invalid config': (['--config', '{tmp}/broken.yaml'],
                       "--config '{tmp}/broken.yaml': line 2, column 1: expected the node"),
    'out under a file': (['--out', '{tmp}/a_file/data'],
                         "--out '{tmp}/a_file/data': '{tmp}/a_file' is a file: expected a "
                         'directory there'),
    'empty metadata.yaml': ([], "bad_bag/metadata.yaml': rosbag2_bagfile_information mapping "
                                'missing (file is empty)'),
    'invalid metadata.yaml': ([], "bad_bag/metadata.yaml': cannot be read as YAML (line 2"),
}


@pytest.mark.parametrize('case', BAD_CONVERSIONS)
def test_bad_conversion_input_is_one_line_and_writes_nothing(bag_folder, tmp_path, case):
    config = tiny_params(tmp_path / 'train.yaml')
    (tmp_path / 'broken.yaml').write_text('data: [\n')
    (tmp_path / 'a_file').write_text('')
    metadata = {'empty metadata.yaml': '', 'invalid metadata.yaml': 'a: [\n'}.get(case)
    bags = str(bag_folder) if metadata is None else _bad_bag(tmp_path, bag_folder, metadata)
    extra, expected = BAD_CONVERSIONS[case]
    argv = [bags, '--out', str(tmp_path / 'data'), '--config', str(config), '--no-progress']
    argv += [a.format(tmp=tmp_path) for a in extra]  # a later --out/--config wins
    before = tree(tmp_path)
    done = run_cli('bag_to_dataset', *argv)
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [done.stderr.strip()], done.stderr
    assert done.stderr.startswith('bag_to_dataset: error: ')
    assert expected.format(tmp=tmp_path) in done.stderr
    assert tree(tmp_path) == before


BAD_RUNS = {  # name -> (extra argv, expected fragment)
    'missing config': (['--config', '{tmp}/nope.yaml'], "--config '{tmp}/nope.yaml': No such"),
    'out under a file': (['--out', '{tmp}/a_file/run'],
                         "--out '{tmp}/a_file/run': '{tmp}/a_file' is a file"),
    'cuda without a GPU': (['--device', 'cuda' if not torch.cuda.is_available() else 'cuda:99'],
                           "--device 'cuda"),
    'resume without last.pt': (['--resume'],
                               "--resume: '{tmp}/run/last.pt' does not exist: expected the run "
                               'directory of an earlier train run'),
}


@pytest.mark.parametrize('case', BAD_RUNS)
def test_bad_training_input_is_one_line_and_writes_nothing(dataset_dir, tmp_path, case):
    config = tiny_params(tmp_path / 'train.yaml')
    (tmp_path / 'a_file').write_text('')
    extra, expected = BAD_RUNS[case]
    argv = ['--dataset', str(dataset_dir), '--out', str(tmp_path / 'run'), '--config',
            str(config), '--device', 'cpu', '--no-progress']
    before, data_before = tree(tmp_path), tree(dataset_dir)
    done = run_cli('train', *argv, *[a.format(tmp=tmp_path) for a in extra])
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [done.stderr.strip()], done.stderr
    assert done.stderr.startswith('train: error: ')
    assert expected.format(tmp=tmp_path) in done.stderr
    assert tree(tmp_path) == before and tree(dataset_dir) == data_before


TRAINING_LOSSES = ('train/warmup_mse', 'train/nll_per_dim')  # warm-up steps, then the rest


def _metric_steps(run: Path, names: tuple[str, ...] = TRAINING_LOSSES) -> list[int]:
    """The steps that logged one of ``names`` (default: every step's training loss)."""
    with (run / 'metrics.csv').open() as f:
        return [int(row['step']) for row in csv.DictReader(f) if row['name'] in names]


def _tiny_run(dataset_dir: Path, tmp_path: Path, total: int,
              checkpoint_every: int) -> tuple[Path, list[str]]:
    """The run directory and train's argv for a tiny run of ``total`` steps."""
    config = tiny_params(tmp_path / 'train.yaml', steps=total)
    run = tmp_path / 'run'
    return run, ['--dataset', str(dataset_dir), '--out', str(run), '--config', str(config),
                 '--device', 'cpu', '--no-progress', '--set',
                 f'train.checkpoint_every={checkpoint_every}', '--set', 'train.val_every=10']


def _logged(run: Path, step: int) -> bool:
    return (run / 'metrics.csv').exists() and max(_metric_steps(run), default=0) >= step


def _train_until_signalled(argv: list[str], run: Path, sig: int,
                           step: int = 1) -> subprocess.Popen:
    """Start train, send ``sig`` once ``step`` is logged, wait for the exit."""
    proc = subprocess.Popen([str(executable('train')), *argv], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            env={**os.environ, 'OMP_NUM_THREADS': '1'})
    deadline = time.monotonic() + 120
    while not _logged(run, step) and proc.poll() is None:
        assert time.monotonic() < deadline, f'train logged no step {step} in 120 s'
        time.sleep(0.01)
    proc.send_signal(sig)
    proc.wait(timeout=120)
    return proc


@pytest.mark.parametrize('sig, code', [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_saves_last_pt_and_resume_finishes_the_run(dataset_dir, tmp_path, sig, code):
    """checkpoint_every is above the total: only the signal writes last.pt mid-run."""
    total = 20
    run, argv = _tiny_run(dataset_dir, tmp_path, total, checkpoint_every=1000)
    proc = _train_until_signalled(argv, run, sig)
    err = proc.stderr.read()
    assert proc.returncode == code, err
    assert 'Traceback' not in err and proc.stdout.read() == ''
    step = read_checkpoint(run / 'last.pt')['training']['step']
    assert 1 <= step < total, 'the signal came after the run ended: raise the total'
    name = signal.Signals(sig).name
    assert err.splitlines()[-1] == (f'train: stopped by {name} after step {step} of {total}; '
                                    f'resumable checkpoint {run / "last.pt"} at step {step}: '
                                    'continue with --resume'), err
    assert _metric_steps(run) == list(range(1, step + 1))
    if sig == signal.SIGINT:
        return  # the resume is the same for both signals
    done = run_cli('train', *argv, '--resume')
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f'trained {total} steps')
    assert read_checkpoint(run / 'last.pt')['training']['step'] == total
    assert read_checkpoint(run / 'policy.pt')['provenance']['training']['steps'] == total
    assert _metric_steps(run) == list(range(1, total + 1)), 'continued from the saved step'


def test_after_a_kill_a_rerun_names_resume_and_the_resumed_metrics_have_no_repeats(
        dataset_dir, tmp_path):
    """Finding 9: SIGKILL after a checkpoint leaves last.pt at step S and metrics rows past
    S; a plain rerun is refused naming --resume (nothing written), and the resumed run
    logs each step once."""
    total = 40
    run, argv = _tiny_run(dataset_dir, tmp_path, total, checkpoint_every=5)
    _train_until_signalled(argv, run, signal.SIGKILL, step=7)
    saved = read_checkpoint(run / 'last.pt')['training']['step']
    assert max(_metric_steps(run)) > saved, 'nothing logged after last.pt: raise the total'
    before = tree(tmp_path)
    again = run_cli('train', *argv)
    assert again.returncode == 2, again.stderr
    assert again.stderr.strip() == (
        f"train: error: --out '{run}' already holds a run (last.pt): add --resume to "
        'continue it, --overwrite to replace it, or pick another --out'), again.stderr
    assert tree(tmp_path) == before
    done = run_cli('train', *argv, '--resume')
    assert done.returncode == 0, done.stderr
    assert _metric_steps(run) == list(range(1, total + 1)), 'each step logged once'


def test_a_bag_with_a_service_event_channel_converts(tmp_path):
    from test_bags import write_bag_with_service_events
    bag = write_bag_with_service_events(tmp_path / 'events')
    config = tiny_params(tmp_path / 'train.yaml')
    done = run_cli('bag_to_dataset', str(bag), '--out', str(tmp_path / 'data'), '--config',
                   str(config), '--no-progress')
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith('wrote 1 episodes')
