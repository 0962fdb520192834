# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Benchmark records are versioned: old records are migrated in one step when loaded (and
rewritten, never discarded), so page code reads the current format only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.experiments import state_tier, vision_tier
from benchmarks.pages import records, render, report

MACHINE = {'git_sha': 'abcdef1234', 'date_utc': 'now', 'host_cpu': 'cpu', 'cpu_count': 2,
           'torch_threads': 1, 'torch': 'x', 'device': 'cpu'}
# a state-tier record as the first workers wrote it: no recipe, servo, split or format
OLD_STATE = {'task': 'assembly', 'demos': 10, 'seed': 0, 'policy': 'nfp', 'steps': 2000,
             'config_hash': 'h0', 'successes': 5, 'episodes': 20,
             'episode_success': [i < 5 for i in range(20)], 'machine': MACHINE}


@pytest.fixture
def docs(tmp_path, monkeypatch) -> Path:
    """An empty docs/benchmarks for one test."""
    monkeypatch.setattr(records, 'DOCS', tmp_path)
    return tmp_path


def test_an_old_record_gets_the_settings_its_run_used_and_keeps_its_own():
    new = records.migrate('state_tier', OLD_STATE)
    assert new['format'] == records.FORMAT and list(new)[0] == 'format'
    assert {k: new[k] for k in ('split', 'eval_seed0', 'lr', 'ema_warmup', 'servo_omega')} == {
        'split': 'tune', 'eval_seed0': 10_000, 'lr': 1e-3, 'ema_warmup': False,
        'servo_omega': 200.0}  # assembly ran at 200 rad/s before servos were recorded
    assert {k: new[k] for k in OLD_STATE} == OLD_STATE  # nothing of the record changes
    assert 'format' not in OLD_STATE  # the loaded record is a new dict
    recorded = records.migrate('state_tier', dict(OLD_STATE, servo_omega=300.0, lr=1e-4,
                                                  ema_warmup=True))
    assert (recorded['servo_omega'], recorded['lr'], recorded['ema_warmup']) == (300.0, 1e-4,
                                                                               True)
    error = records.migrate('state_tier', {k: OLD_STATE[k] for k in (
        'task', 'demos', 'seed', 'policy', 'steps', 'config_hash', 'machine')})
    assert error['split'] == 'tune' and 'eval_seed0' not in error  # never evaluated


def test_a_current_record_is_left_alone_and_a_newer_or_unknown_one_is_refused():
    current = records.stamp({'task': 'hammer', 'lr': 3e-4})
    assert records.migrate('state_tier', current) is current
    newer = records.FORMAT + 1
    with pytest.raises(ValueError, match=rf'state_tier.json: record format={newer}: expected '
                                         rf'1 to {records.FORMAT}'):
        records.migrate('state_tier', dict(OLD_STATE, format=newer))
    with pytest.raises(ValueError, match=r"task='window-open' has no servo_omega"):
        records.migrate('state_tier', dict(OLD_STATE, task='window-open'))


def test_old_vision_and_latency_records_get_their_defaults():
    blind = records.migrate('vision_tier', {'task': 'hammer', 'lr': 1e-3})
    assert {k: blind[k] for k in ('split', 'image', 'trunk_stride', 'crop_fraction',
                                  'state_noise_std', 'object_range_scale', 'camera')} == {
        'split': 'tune', 'image': 84, 'trunk_stride': 0, 'crop_fraction': 0.9,
        'state_noise_std': 0.0, 'object_range_scale': 1.0, 'camera': None}
    assert blind['encoder_warmup_steps'] == 0  # format 3
    format_2 = records.migrate('vision_tier', {'format': 2, 'task': 'hammer'})
    assert format_2['encoder_warmup_steps'] == 0 and format_2['format'] == records.FORMAT
    # format 4: the warm-up ran float32 and the camera path was the blind encoder's (1) or,
    # with a camera condition, the one after it (2)
    assert (blind['warmup_precision'], blind['camera_path']) == ('fp32', 1)
    looked = records.migrate('vision_tier', {'format': 3, 'task': 'hammer', 'camera': 'on'})
    assert looked['camera_path'] == 2
    assert vision_tier.camera_groups([blind]) == {}  # the blind encoder: no camera section
    core = records.migrate('core', {'runs': [
        {'backend': 'fast', 'training': {'batch': 64, 'step_ms': 1.0}}, {'backend': 'x'}]})
    assert [(r['compile'], r['training']) for r in core['runs']] == [
        ('eager', [{'precision': 'fp32', 'batch': 64, 'step_ms': 1.0}]), ('eager', [])]
    node = records.migrate('node', {'runs': [{'mode': 'zero_latent'}]})
    assert node['runs'] == [{'mode': 'zero_latent', 'compile': 'eager',
                             'num_candidates_end': None, 'degraded_ticks': None}]
    assert records.migrate('policy_latency', {'rows': []})['compile'] == 'eager'
    confidence = records.migrate('confidence_auroc', {'failure': [{'run': 'a'}]})
    assert confidence['traces_plotted'] == [] and confidence['failure'][0]['auroc_early'] is None
    assert records.migrate('blind_floor', {'task': 'x'}) == {'format': records.FORMAT, 'task': 'x'}


def test_old_state_tier_train_s_was_its_jobs_time_not_the_trainings():
    loaded = records.migrate('state_tier', {'format': 6, 'task': 'hammer', 'train_s': 0.13})
    assert (loaded['train_s'], loaded['job_train_s']) == (None, 0.13)
    from_curve = {'format': 6, 'task': 'hammer', 'train_s': 2900.0, 'trained_in': 'seed0'}
    assert records.migrate('state_tier', from_curve)['train_s'] == 2900.0
    assert 'job_train_s' not in records.migrate('ablations', {'format': 6, 'train_s': 9.0})


def test_publishing_rewrites_the_old_records_of_the_file_in_the_current_format(docs, capsys):
    (docs / 'state_tier.json').write_text(json.dumps([OLD_STATE]))  # a worker before v2
    new = dict(OLD_STATE, task='hammer', lr=1e-3, ema_warmup=True, servo_omega=100.0,
               split='tune', eval_seed0=10_000, budget='fixed')
    report.publish('state_tier', new, state_tier.render_page, write_docs=True)
    written = json.loads((docs / 'state_tier.json').read_text())
    assert [r['format'] for r in written] == [records.FORMAT] * 2
    assert written[0]['servo_omega'] == 200.0 and written[1] == records.stamp(new)
    page = (docs / 'state_tier.md').read_text()
    assert capsys.readouterr().out == page + '\n'  # the log shows the page written
    assert '| assembly | 10 | 2000 | lr 0.001, EMA fixed 0.999, servo 200 |' in page
    assert '| hammer | 10 | 2000 | lr 0.001, EMA warm-up, servo 100 |' in page
    assert state_tier.done_runs() == {('assembly', 10, 0, 'nfp', 'h0', 200.0, 'tune'),
                                      ('hammer', 10, 0, 'nfp', 'h0', 100.0, 'tune')}
    assert written[0]['budget'] == 'fixed'  # format 5: every run before it had fixed steps


def test_the_records_cli_rewrites_every_file_or_none(docs, capsys):
    (docs / 'state_tier.json').write_text(json.dumps([OLD_STATE]))
    (docs / 'ablations.json').write_text(json.dumps([dict(OLD_STATE, task='window-open')]))
    with pytest.raises(SystemExit):
        records.main(['--all'])
    assert "ablations.json: record of task='window-open' has no servo_omega" in (
        capsys.readouterr().err)
    assert 'format' not in (docs / 'state_tier.json').read_text()  # nothing written
    (docs / 'ablations.json').write_text(json.dumps([dict(OLD_STATE, group='stride')]))
    assert records.main(['--all']) == 0
    for name in ('ablations', 'state_tier'):
        [record] = json.loads((docs / f'{name}.json').read_text())
        assert record['format'] == records.FORMAT and record['split'] == 'tune'
    assert json.loads((docs / 'ablations.json').read_text())[0]['seed'] == 0  # format 6
    with pytest.raises(SystemExit):
        records.main(['vision_tier'])  # no such file
    assert 'vision_tier' in capsys.readouterr().err


def test_every_committed_record_loads_in_the_current_format():
    """The records in docs/benchmarks (including any a worker wrote before the format
    change) migrate, and every page's fields are there to read directly."""
    pages = sorted(p.stem for p in records.DOCS.glob('*.json'))
    assert set(pages) <= set(render.pages())  # every records file has its page
    for name in pages:
        loaded = records.load(name)
        assert loaded and all(r['format'] == records.FORMAT for r in loaded), name
    for r in records.load('state_tier') + records.load('ablations'):
        assert {'split', 'lr', 'ema_warmup', 'servo_omega', 'seed', 'budget'} <= r.keys()
    for r in records.load('vision_tier'):
        assert {'split', 'eval_seed0', 'image', 'camera', 'object_range_scale'} <= r.keys()


def test_render_finds_every_page_once():
    """The pages are found in the rooms, not listed: each name drawn by one module (an
    experiment that publishes a shared page's renderer is not a second page)."""
    found = render.pages()
    assert found['state_tier'].__name__ == 'benchmarks.pages.state_page'
    assert found['learning_curves'].__name__ == 'benchmarks.pages.curve_page'
    assert found['core'].__name__ == 'benchmarks.experiments.core_latency'
    assert len(found) >= 17


def test_records_from_another_machine_merge_once_and_a_bad_file_writes_nothing(docs, capsys,
                                                                                tmp_path):
    """A GPU machine's copy of state_tier.json: the records the page lacks are appended
    (migrated), once; a file that is not a list of records changes nothing."""
    mine = [OLD_STATE, dict(OLD_STATE, seed=1)]
    (docs / 'state_tier.json').write_text(json.dumps(mine))
    theirs = tmp_path / 'gpu.json'
    theirs.write_text(json.dumps([records.migrate('state_tier', OLD_STATE),
                                  dict(OLD_STATE, seed=1), dict(OLD_STATE, seed=2)]))
    assert records.main(['state_tier', '--merge', str(theirs)]) == 0
    assert '1 records added' in capsys.readouterr().out
    saved = json.loads((docs / 'state_tier.json').read_text())
    assert [r['seed'] for r in saved] == [0, 1, 2] and saved[2]['format'] == records.FORMAT
    assert records.merge('state_tier', theirs) == 0  # merged once
    before = (docs / 'state_tier.json').read_text()
    theirs.write_text(json.dumps({'task': 'hammer'}))
    with pytest.raises(SystemExit):
        records.main(['state_tier', '--merge', str(theirs)])
    assert 'expected a JSON list of records' in capsys.readouterr().err
    assert (docs / 'state_tier.json').read_text() == before
