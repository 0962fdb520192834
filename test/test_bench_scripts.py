# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The benchmark scripts run end to end on tiny settings (no timing is asserted here:
numbers come only from the scripts' own runs, written into docs/benchmarks/)."""

from __future__ import annotations

from nf_policy_ros.bench import conversion, core_latency, node_latency, report


def test_core_latency_script_runs(capsys):
    assert core_latency.main(['--image-sizes', '32', '--backends', 'fast', 'normflows',
                              '--repeats', '2', '--skip-training']) == 0
    out = capsys.readouterr().out
    assert 'best_of_128' in out and 'backend `normflows`' in out


def test_conversion_script_runs(capsys):
    assert conversion.main(['--seconds', '1', '--train-sizes']) == 0
    assert '640x480' in capsys.readouterr().out


def test_node_latency_script_runs(capsys):
    assert node_latency.main(['--duration', '3', '--warmup', '1', '--modes',
                              'zero_latent']) == 0
    out = capsys.readouterr().out
    assert '| 96x96 | zero_latent |' in out and '| 640x480 | zero_latent |' in out


def test_records_carry_machine_and_commit():
    import torch
    info = report.machine_info(torch.device('cpu'))
    assert {'git_sha', 'host_cpu', 'torch', 'torch_threads', 'date_utc'} <= info.keys()


def test_sim_success_script_runs(capsys):
    from nf_policy_ros.bench import sim_success

    assert sim_success.main(['--demos', '1', '--steps', '2', '--episodes', '1',
                             '--image-size', '32', '--candidates', '2']) == 0
    assert '| pick-place | 1 | 32 | 2 |' in capsys.readouterr().out
