# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The benchmark scripts run end to end on tiny settings (no timing is asserted here:
numbers come only from the scripts' own runs, written into docs/benchmarks/)."""

from __future__ import annotations

import json

from benchmarks.experiments import conversion, core_latency, node_latency
from benchmarks.pages import records, report
from benchmarks.protocol import tier
from benchmarks.runs.train_clock import TrainClock


def test_core_latency_script_runs(capsys):
    assert core_latency.main(['--image-sizes', '32', '--backends', 'fast', 'normflows',
                              '--repeats', '2', '--skip-training']) == 0
    out = capsys.readouterr().out
    assert 'best_of_128' in out and 'backend `normflows`' in out
    fast, after = out.split('backend `normflows`', 1)
    normflows = after.split('backend `fast`')[0]
    assert '| best_of_128_bf16 |' in fast and 'best_of_128_bf16' not in normflows


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
    assert len(info['load_avg']) == 3 and min(info['load_avg']) >= 0
    line = report.describe_machine(dict(info, load_avg=[2.96, 2.5, 1.0]))
    assert line.endswith(', load average (1/5/15 min) 3.0/2.5/1.0'), line
    del info['load_avg']  # records from before the load was recorded
    assert 'load' not in report.describe_machine(info)


def test_a_record_names_the_commit_its_process_started_from(monkeypatch):
    """A grid that runs while the checkout moves on records the code that ran."""
    import torch
    monkeypatch.setenv('NF_POLICY_GIT_SHA', 'b' * 40)  # a commit lands mid-run
    recorded = report.machine_info(torch.device('cpu'))['git_sha']
    assert recorded == report.CODE_SHA != 'b' * 40


def test_sim_success_script_runs(capsys):
    from benchmarks.experiments import sim_success

    assert sim_success.main(['--demos', '1', '--steps', '2', '--episodes', '1',
                             '--image-size', '32', '--candidates', '2']) == 0
    assert '| pick-place | 1 | 32 | 2 |' in capsys.readouterr().out


def test_policy_latency_script_runs(capsys):
    from benchmarks.experiments import policy_latency

    assert policy_latency.main(['--image-size', '32', '--repeats', '4',
                                '--dp-sizes', 'small']) == 0
    out = capsys.readouterr().out
    assert 'NF-P best-of-128' in out and 'DP (small U-Net) DDPM-100' in out
    assert 'NF-P sample std 1' in out and 'DP (small U-Net) DDIM-10 eta 1 (' in out
    assert '| NF-P best-of-128 |' in out and '1.0x |' in out


def test_state_tier_and_ablation_scripts_run(tmp_path, capsys, monkeypatch):
    from benchmarks.experiments import ablations, state_tier

    kinds = ('nfp', 'dp', 'dp-ddim-trailing', 'hold', 'random')
    assert state_tier.main(['--tasks', 'drawer-open', '--demos', '1', '--seeds', '0',
                            '--steps', '2', '--episodes', '1', '--run-dir', str(tmp_path),
                            '--policies', *kinds]) == 0
    out = capsys.readouterr().out
    for kind in kinds:
        assert f'"policy": "{kind}"' in out
    trainings = sorted(d.name.rsplit('_', 1)[-1] for d in (tmp_path / 'drawer-open').iterdir())
    assert trainings == ['dp', 'nfp']  # both DP samplers evaluated one DP training
    assert '| drawer-open | 1 | 2 | lr 0.001, EMA warm-up, servo 100 |' in out
    [nfp_run] = (tmp_path / 'drawer-open').glob('*_nfp')
    trained = sorted(p.stat().st_mtime_ns for p in nfp_run.rglob('*') if p.is_file())
    keep = [v for v in ablations.VARIANTS if (v.group, v.variant) in {
        ('stride', '1'), ('stride', '4'), ('sampling', 'best-of-128'), ('chunking',
                                                                          'off (single action)')}]
    monkeypatch.setattr(ablations, 'VARIANTS', keep)
    assert ablations.main(['--tasks', 'drawer-open', '--demos', '1', '--seeds', '0',
                           '--steps', '2', '--episodes', '1', '--split', 'tune',
                           '--run-dir', str(tmp_path)]) == 0
    out = capsys.readouterr().out
    runs = {json.loads(line)['variant']: json.loads(line) for line in out.splitlines()
            if line.startswith('{')}
    assert list(runs) == ['1', '4', 'best-of-128', 'off (single action)']
    comparison = '| drawer-open, 1 demos, 2 steps, lr 0.001, EMA warm-up, servo 100, tune split |'
    assert f'{comparison} stride | 1 |' in out and f'{comparison} chunking |' in out
    # stride 4 is the state tier's NF-P training: loaded, not trained again
    assert sorted(p.stat().st_mtime_ns for p in nfp_run.rglob('*') if p.is_file()) == trained
    assert len(list((tmp_path / 'drawer-open').glob('*_nfp'))) == 3  # + stride 1, horizon 1


def test_state_tier_stops_at_its_time_limit_and_resumes(tmp_path, capsys, monkeypatch):
    """--max-minutes ends the session with nothing recorded; the re-run does the work."""
    from benchmarks.experiments import state_tier

    monkeypatch.setattr(records, 'DOCS', tmp_path / 'docs')
    args = ['--tasks', 'drawer-open', '--demos', '1', '--seeds', '0', '--steps', '2',
            '--episodes', '1', '--policies', 'dp', '--run-dir', str(tmp_path / 'runs'),
            '--threads', '1', '--write-docs']
    assert state_tier.main(args + ['--max-minutes', '1e-9']) == 0
    assert 'stopped after 1e-09 min: re-run to resume' in capsys.readouterr().out
    assert not (tmp_path / 'docs' / 'state_tier.json').exists()
    assert state_tier.main(args) == 0
    [record] = json.loads((tmp_path / 'docs' / 'state_tier.json').read_text())
    assert (record['policy'], record['steps'], len(record['episode_success'])) == ('dp', 2, 1)
    capsys.readouterr()


def test_state_tier_leaves_a_training_that_cannot_finish_in_time(tmp_path, capsys,
                                                                monkeypatch):
    """A training whose pace on this machine says it and its evaluation cannot finish
    before --max-minutes stops (checkpoint kept, nothing recorded); once that pace is
    known, a fresh job of the same network is not started; with --advance-unfinished the
    first is resumed anyway; without the limit both finish."""
    from benchmarks.baselines.diffusion_training import saved_step
    from benchmarks.experiments import state_tier
    from benchmarks.runs import job_pace

    monkeypatch.setattr(records, 'DOCS', tmp_path / 'docs')
    monkeypatch.setattr(job_pace, 'PROBE_STEPS', 1)  # any projection includes 10 min of eval
    runs = tmp_path / 'runs'
    args = ['--tasks', 'drawer-open', '--demos', '1', '--seeds', '0', '1', '--steps', '3',
            '--episodes', '1', '--policies', 'dp', '--run-dir', str(runs), '--threads', '1',
            '--write-docs']
    assert state_tier.main(args + ['--max-minutes', '5']) == 0
    out = capsys.readouterr().out
    assert "left for a later session: ('drawer-open', 1, 0, 'dp') needs ~10 min, 5 left" in out
    assert "left for a later session: ('drawer-open', 1, 1, 'dp') needs ~10 min" in out
    assert not (tmp_path / 'docs' / 'state_tier.json').exists()
    [started] = (runs / 'drawer-open').iterdir()  # seed 1 never started
    assert '_seed0_' in started.name and saved_step(started / 'dp.pt') == 2
    # time no finishing job needs advances it anyway (here the limit is not reached)
    assert state_tier.main(args + ['--max-minutes', '5', '--advance-unfinished',
                                   '--seeds', '0']) == 0
    assert 'left for a later session' not in capsys.readouterr().out
    saved = json.loads((tmp_path / 'docs' / 'state_tier.json').read_text())
    assert [(r['seed'], r['steps']) for r in saved] == [(0, 3)]
    assert state_tier.main(args) == 0
    saved = json.loads((tmp_path / 'docs' / 'state_tier.json').read_text())
    assert [(r['seed'], r['steps']) for r in saved] == [(0, 3), (1, 3)]
    assert saved_step(started / 'dp.pt') == 3
    capsys.readouterr()
    # a slow sampler evaluated only where another sampler's training is finished
    assert state_tier.main(args + ['--seeds', '0', '1', '2', '--policies', 'dp-ddim-trailing',
                                   '--evaluate-only', 'dp-ddim-trailing']) == 0
    assert "no finished training to evaluate: ('drawer-open', 1, 2, 'dp-ddim-trailing')" in (
        capsys.readouterr().out)
    saved = json.loads((tmp_path / 'docs' / 'state_tier.json').read_text())
    assert [(r['seed'], r['policy']) for r in saved[2:]] == [(0, 'dp-ddim-trailing'),
                                                            (1, 'dp-ddim-trailing')]
    assert len(list((runs / 'drawer-open').iterdir())) == 2
    # train_s is the whole training, summed over the stopped and the resumed session, and
    # a sampler that loads a finished training reports that training's time, not the load
    clock = TrainClock(started)
    assert 0 < clock.at(2) < clock.at(3) == saved[0]['train_s'] == saved[2]['train_s']


def test_train_clock_sums_sessions_and_says_none_for_a_run_begun_before_it(tmp_path):
    clock = TrainClock(tmp_path / 'run')
    assert clock.advance(0, 250, 10.0) == 10.0
    assert TrainClock(tmp_path / 'run').advance(250, 400, 5.0) == 15.0  # a later session
    assert TrainClock(tmp_path / 'run').advance(400, 400, 0.1) == 15.0  # loaded, not trained
    assert clock.advance(500, 600, 3.0) is None  # step 500's time was never recorded
    assert TrainClock(tmp_path / 'run').at(600) is None
    assert TrainClock(tmp_path / 'run').at(400) == 15.0  # a stale clock loses no step


def test_ablations_rerun_a_variant_under_a_new_recipe(tmp_path, monkeypatch):
    from benchmarks.experiments import ablations

    config = tier.tier_config(2000, 0)
    old = {'task': 'drawer-open', 'demos': 20, 'steps': 2000, 'group': 'stride',
           'variant': '4', 'config_hash': 'from-fixed-ema'}  # format 1: seed 0, tune split
    new = dict(old, variant='1', config_hash=tier.config_hash(config), servo_omega=100.0,
               seed=2, split='test')
    (tmp_path / 'ablations.json').write_text(json.dumps([old, new]))
    monkeypatch.setattr(records, 'DOCS', tmp_path)
    assert ablations.done() == {
        ('drawer-open', 20, 0, 'stride', '4', 'from-fixed-ema', 100.0, 'tune'),
        ('drawer-open', 20, 2, 'stride', '1', tier.config_hash(config), 100.0, 'test')}


def _ablation(seed: int, variant: str, wins: int, group: str = 'stride', **extra) -> dict:
    return records.stamp({
        'task': 'hammer', 'demos': 10, 'seed': seed, 'steps': 1000, 'group': group,
        'variant': variant, 'paper_beat_block_hammer': 50, 'execute_steps': 4,
        'train_s': 1.0, 'lr': 1e-3, 'ema_warmup': True, 'budget': 'tuned',
        'servo_omega': 100.0, 'config_hash': f'h{seed}', 'split': 'test',
        'successes': wins, 'episodes': 20, 'episode_success': [i < wins for i in range(20)],
        'tick_p50_ms': 30.0, 'machine': {
            'git_sha': 'abcdef1234', 'date_utc': 'now', 'host_cpu': 'cpu', 'cpu_count': 2,
            'torch_threads': 1, 'torch': 'x', 'device': 'cpu', 'load_avg': [1.0, 1.0, 1.0]},
        **extra})


def test_ablation_verdicts_are_paired_over_seeds_and_need_three():
    """Each variant against NF-P as compared (stride 4), paired on seeds and start states;
    the stride target counts "better" only, and one seed gives no verdict."""
    from benchmarks.experiments import ablations

    three = [_ablation(s, v, w) for s in range(3) for v, w in (('4', 15), ('1', 5), ('8', 14))]
    three += [_ablation(s, 'raw', 16, group='sampling') for s in range(3)]
    lines = ablations.verdict_lines(three)
    head = ("- hammer, 10 demos, 1000 steps (NF-P's budget from the learning curves), lr 0.001, "
            'EMA warm-up, servo 100, test split: ')
    assert lines[0].startswith(head + 'stride 1 -50 pts [')
    assert '(worse, 3 seeds); stride 8 -5 pts [' in lines[0]
    assert 'sampling raw +5 pts [' in lines[0]
    assert lines[1].startswith('  - Target stride 4 better than stride 1: +50 pts [')
    assert lines[1].endswith('over 3 seeds, better: **met**.')
    one = ablations.verdict_lines([r for r in three if r['seed'] == 0])
    assert one[1].endswith('over 1 seed, too few seeds: **no verdict (fewer than 3 seeds)**.')
    page = ablations.render_page(three)
    assert '| stride | 4 | 75 ± 0 (n=3; 45/60, CI 63-84) | 50 | 30.0 |' in page


def test_vision_tier_resumes_a_stopped_run(tmp_path, capsys, monkeypatch):
    from benchmarks.experiments import vision_tier

    monkeypatch.setattr(vision_tier, 'IMAGE', 32)
    args = ['--tasks', 'drawer-open', '--demos', '1', '--steps', '3', '--episodes', '1',
            '--policies', 'dp', '--run-dir', str(tmp_path), '--threads', '1']
    assert vision_tier.main(args + ['--max-minutes', '1e-9']) == 0
    assert 'stopped after' in capsys.readouterr().out
    # the 1 training demo and the 3 held out after it (tier.VAL_DEMOS), cached together
    assert (tmp_path / 'drawer-open' / 'demos_4' / 'meta.json').exists()
    assert vision_tier.main(args) == 0
    assert '| drawer-open | 1 | 3 |' in capsys.readouterr().out
    [checkpoint] = (tmp_path / 'drawer-open').glob('1demos_seed0_*_dp/dp.pt')
    trained = checkpoint.stat().st_mtime_ns
    at = args.index('dp')
    evals = ['dp-camera-off', 'dp-camera-frozen', 'dp-ddpm']
    assert vision_tier.main(args[:at] + evals + args[at + 1:]) == 0
    out = capsys.readouterr().out
    assert 'DP camera off success [%]' in out and 'DP camera frozen success [%]' in out
    assert 'DP DDPM-100 success [%]' in out
    assert checkpoint.stat().st_mtime_ns == trained  # evaluated the trained run, no retraining


def test_confidence_auroc_tests_a_state_tier_model_in_the_simulator(tmp_path, capsys):
    from benchmarks.experiments import confidence_auroc

    assert confidence_auroc.main(['--state-task', 'drawer-open', '--state-demos', '1',
                                  '--state-steps', '2', '--starts', '3',
                                  '--run-dir', str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert (tmp_path / 'state_drawer-open' / 'policy.pt').exists()
    assert '| object and goal moved 20 cm (sim) | 3 |' in out
    assert '| start of pick-place (sim) | 3 |' in out
    assert "confidence read: the plan's log p percentile, simulator starts: tune split" in out
    # the same checkpoint, its context distance read, on the test split's starts
    assert confidence_auroc.main(['--state-task', 'drawer-open', '--state-demos', '1',
                                  '--state-steps', '2', '--starts', '3', '--split', 'test',
                                  '--confidence', 'context', '--run-dir', str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "confidence read: the context's distance percentile, simulator starts: test" in out


def test_confidence_traces_are_plotted_from_a_demo_evaluation(tmp_path, monkeypatch):
    from benchmarks.experiments import confidence_auroc

    episodes = [{'success': s, 'confidence': [0.5] * n} for s, n in ((True, 12), (False, 30))]
    (tmp_path / 'eval').mkdir()
    (tmp_path / 'eval' / 'eval_nfp.json').write_text(json.dumps({'episodes': episodes}))
    monkeypatch.setattr(records, 'DOCS', tmp_path / 'docs')
    assert confidence_auroc.main(['--eval-json', str(tmp_path / 'eval' / 'eval_nfp.json'),
                                  '--write-docs']) == 0
    page = (tmp_path / 'docs' / 'confidence_auroc.md').read_text()
    assert '| make demo (ROS) | eval | 1 | 1 | 12 / 30 | 0.50 | 0.50 | 0.50 |' in page
    assert '![confidence traces](confidence_traces.png)' in page
    assert (tmp_path / 'docs' / 'confidence_traces.png').stat().st_size > 1000


def test_demo_page_shows_each_runs_load_where_recorded():
    from benchmarks.experiments import demo_report

    machine = {'git_sha': 'abcdef1234567', 'date_utc': 'today', 'host_cpu': 'cpu',
               'cpu_count': 2, 'torch': 'x', 'torch_threads': 1, 'device': 'cpu'}
    run = {'demos': 30, 'settings': {'task': 'drawer-open', 'train_steps': '2000'},
           'nfp': {'successes': 5, 'episodes': 10, 'mean_steps': 150.0,
                   'latency_ms_mean_over_episodes': {'model_p50_ms': 35.0},
                   'mean_confidence_success': 0.5, 'mean_confidence_failure': 0.3},
           'do_nothing': {'successes': 0, 'episodes': 10}, 'eval_real_time_factor': 0.25,
           'total_s': 1000.0, 'machine': machine}
    page = demo_report.render_page([run, dict(run, machine=dict(machine,
                                                                load_avg=[3.1, 2.9, 2.7]))])
    old, new = [line for line in page.splitlines() if line.startswith('| drawer-open')]
    assert new.endswith('| 16.7 | 2.70 | abcdef1234 |'), new
    assert old.endswith('| 16.7 |  | abcdef1234 |'), old
    assert 'missed** (5/10 successes; placement scale 1, where the camera is not needed; ' \
        'no camera-off run beside it)' in page
    good = dict(run, settings=dict(run['settings'], object_range_scale='2'),
                nfp=dict(run['nfp'], successes=8), camera_off={'successes': 1, 'episodes': 10,
                                                               'mean_confidence': 0.1})
    assert 'latest run: **met**.' in demo_report.render_page([good])
    assert '21.7 min, 1.7 over' in demo_report.render_page([dict(good, total_s=1300.0)])


def test_train_step_phases_differ_in_what_the_backward_reaches():
    """The benchmark's 'before' phase still sends gradients into the frozen trunks; the
    current training does not (so the comparison measures that backward)."""
    import torch

    from benchmarks.experiments import train_step
    grads = {}
    for phase in train_step.PHASES[2:]:
        policy, step = train_step.phase_step(phase, 32, torch.device('cpu'))
        step()
        grads[phase] = [p.grad for p in policy.encoder.trunks.parameters()]
    assert all(g is None for g in grads[train_step.PHASES[2]])
    assert all(g is not None for g in grads[train_step.PHASES[3]])
