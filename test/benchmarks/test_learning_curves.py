# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The learning-curve script: real trainings saved at snapshot steps, each evaluated in the
simulator, resumed after a stop; and its page and plot drawn from records."""

from __future__ import annotations

import json
import math
import threading

import numpy as np
import pytest
import torch

from benchmarks.experiments import learning_curve
from benchmarks.pages import curve_page, records, render
from benchmarks.protocol import kinds, splits
from benchmarks.runs import run_dirs
from nf_policy_ros.data.windows import Episode, WindowDataset
from nf_policy_ros.sim.task import DEFAULT_OMEGA, TASK_OMEGA

MACHINE = {'git_sha': 'abcdef1234', 'date_utc': 'now', 'host_cpu': 'cpu', 'cpu_count': 2,
           'torch_threads': 1, 'torch': 'x', 'device': 'cpu', 'load_avg': [1.0, 1.0, 1.0]}
TINY = ['--tasks', 'drawer-open', '--demos', '1', '--episodes', '1', '--threads', '1']


@pytest.fixture
def docs(tmp_path, monkeypatch):
    monkeypatch.setattr(records, 'DOCS', tmp_path / 'docs')
    return tmp_path / 'docs'


def test_each_snapshot_is_trained_evaluated_and_recorded(tmp_path, docs, capsys):
    assert learning_curve.main([*TINY, '--steps', '2', '1', '--run-dir', str(tmp_path / 'runs'),
                                '--policies', 'nfp', 'dp-own', 'dp', '--write-docs']) == 0
    saved = json.loads((docs / 'learning_curves.json').read_text())
    assert [(r['policy'], r['step']) for r in saved] == [
        ('nfp', 1), ('nfp', 2), ('dp-own', 1), ('dp-own', 2), ('dp', 1), ('dp', 2)]
    for r in saved:
        assert (r['split'], r['eval_seed0'], r['demos'], r['max_steps']) == ('tune', 10_000, 1, 2)
        assert len(r['episode_success']) == r['episodes'] == 1
        assert r['machine']['torch_threads'] == 1 and r['train_s'] > 0
    by = {(r['policy'], r['step']): r for r in saved}
    for policy in ('nfp', 'dp-own', 'dp'):
        assert by[(policy, 2)]['train_s'] > by[(policy, 1)]['train_s']  # it adds up
    own, shared = by[('dp-own', 2)], by[('dp', 2)]
    assert (own['lr'], own['lr_schedule'], own['ema_power'], own['obs_horizon']) == (
        1e-4, 'cosine', 0.75, 2)
    assert (own['horizon'], own['execute_steps']) == (16, 32)
    assert (shared['lr'], shared['horizon'], shared['execute_steps']) == (1e-3, 8, 4)
    assert own['config_hash'] != shared['config_hash'] == by[('nfp', 2)]['config_hash']
    page = (docs / 'learning_curves.md').read_text()
    assert '| drawer-open | DP (own recipe) | 1 |' in page
    assert '| drawer-open | DP (shared recipe) | 1 |' in page
    assert (docs / 'learning_curves.png').stat().st_size > 10_000
    runs = sorted(p.name.rsplit('_', 1)[-1] for p in (tmp_path / 'runs' / 'drawer-open').iterdir())
    assert runs == ['dp', 'dp-own', 'nfp']
    capsys.readouterr()


def test_a_stopped_run_resumes_and_skips_what_it_evaluated(tmp_path, docs, capsys):
    args = [*TINY, '--steps', '1', '3', '--policies', 'dp-own', '--write-docs']
    resumed = ['--run-dir', str(tmp_path / 'resumed')]
    assert learning_curve.main(args + resumed + ['--max-minutes', '1e-9']) == 0
    assert 'stopped after 1e-09 min: re-run to resume' in capsys.readouterr().out
    assert not (docs / 'learning_curves.json').exists()  # nothing evaluated, nothing written
    assert learning_curve.main(args + resumed) == 0
    [run] = (tmp_path / 'resumed' / 'drawer-open').iterdir()
    snapshots = sorted((run / 'snapshots').iterdir())
    assert [p.name for p in snapshots] == ['step_000001.pt', 'step_000003.pt']
    written = [p.stat().st_mtime_ns for p in (*snapshots, run / 'last.pt')]
    count = len(json.loads((docs / 'learning_curves.json').read_text()))
    assert count == 2
    assert learning_curve.main(args + resumed) == 0  # everything recorded: nothing to do
    assert len(json.loads((docs / 'learning_curves.json').read_text())) == count
    assert [p.stat().st_mtime_ns for p in (*snapshots, run / 'last.pt')] == written
    capsys.readouterr()


def _demo(length: int, seed: int) -> Episode:
    """A smooth 48-D state / 9-D action episode of the state tier's shape."""
    t = np.linspace(0, 1, length, dtype=np.float32)[:, None]
    phase = np.random.default_rng(seed).uniform(0, 6, (1, 57)).astype(np.float32)
    path = np.sin(3 * t + phase)
    return Episode(np.zeros((length, 0, 3, 32, 32), np.uint8), path[:, :48], path[:, 48:])


class _EndsTheSessionAt:
    """Wraps a CurveRun's training: the session ends after step ``step`` (as
    --max-minutes would, but at a known step)."""

    def __init__(self, run: learning_curve.CurveRun, step: int,
                 session: threading.Event) -> None:
        self.run, self.step, self.session = run, step, session

    def train(self, stop, on_step):
        def then_end(n: int) -> None:
            if n == self.step:
                self.session.set()
            on_step(n)
        return learning_curve.CurveRun.train(self.run, stop, then_end)


@pytest.mark.parametrize('key', ['dp-own', 'nfp'])
def test_a_training_stopped_between_snapshots_resumes_to_the_same_network(tmp_path, key,
                                                                          monkeypatch):
    kind = kinds.get(key)
    config = learning_curve.curve_config(4, seed=0, kind=kind)
    data = WindowDataset([_demo(40, 0), _demo(50, 1)], learning_curve.curve_config(
        4, 0, kinds.get('nfp')).actions)
    straight = learning_curve.CurveRun(kind, config, data, tmp_path / 'straight')
    for step in (2, 4):
        assert learning_curve.train_to(straight, step, threading.Event()) == step
    stopped = learning_curve.CurveRun(kind, config, data, tmp_path / 'stopped')
    assert learning_curve.train_to(stopped, 2, threading.Event()) == 2
    session = threading.Event()
    monkeypatch.setattr(stopped, 'train', _EndsTheSessionAt(stopped, 3, session).train)
    assert learning_curve.train_to(stopped, 4, session) == 3  # stopped: no snapshot of 4
    assert not stopped.snapshot(4).exists() and stopped.saved_step() == 3
    monkeypatch.undo()
    assert learning_curve.train_to(stopped, 4, threading.Event()) == 4
    a, b = (run.load_snapshot(4).state_dict() for run in (straight, stopped))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    clock = learning_curve.TrainClock(stopped.run_dir)
    assert 0 < clock.at(2) < clock.at(3) < clock.at(4)


def _record(task: str, policy: str, seed: int, step: int, wins: int, **extra) -> dict:
    return records.stamp({
        'task': task, 'demos': 50, 'seed': seed, 'policy': policy, 'step': step,
        'max_steps': 16000, 'train_s': 60.0 * step / 1000, 'successes': wins, 'episodes': 20,
        'episode_success': [i < wins for i in range(20)], 'split': 'tune',
        'eval_seed0': 10_000, 'config_hash': f'h{policy}{seed}', 'servo_omega': 100.0,
        'machine': MACHINE, **extra})


def test_the_page_and_plot_are_drawn_from_the_records(docs, capsys):
    steps = (1000, 2000, 4000, 8000, 16000)
    wins = {'nfp': (4, 10, 14, 14, 12), 'dp-own': (0, 2, 6, 11, 15), 'dp': (2, 5, 8, 9, 9)}
    every = [_record(task, policy, seed, step, w)
             for task in ('drawer-open', 'hammer') for seed in (0, 1)
             for policy, row in wins.items() for step, w in zip(steps, row)
             if not (policy == 'dp' and seed == 1 and step == 16000)]  # still training
    every.append(_record('hammer', 'nfp', 0, 1000, 20, split='test'))  # never on this page
    every.insert(0, _record('hammer', 'nfp', 0, 1000, 20, config_hash='older'))  # recipe
    docs.mkdir()
    (docs / 'learning_curves.json').write_text(json.dumps(every))
    assert render.main(['learning_curves']) == 0
    page = (docs / 'learning_curves.md').read_text()
    assert '| task | policy | trainings | 1000 | 2000 | 4000 | 8000 | 16000 |' in page
    assert '| hammer | NF-P | 2 | 20 (1 min) | 50 (2 min) | 70 (4 min) |' in page
    assert '| all tasks | DP (shared recipe) | 4 | 10 (1 min) |' in page
    assert ('- NF-P: **4000 steps**, chosen on the tuning split (56/80, CI 59-79 pooled over '
            '4 trainings on 2 tasks).') in page
    assert '- DP (own recipe): **16000 steps**' in page
    assert ('- DP (shared recipe): **8000 steps**, chosen on the tuning split (36/80'
            in page and 'provisional: 2 of 4 trainings have reached their last step' in page)
    assert '![success against training steps and wall-clock](learning_curves.png)' in page
    assert (docs / 'learning_curves.png').stat().st_size > 10_000
    assert 'scripts/learning_curves.sh' in page and 'load average' in page
    assert curve_page.render_page([]).endswith('No snapshot evaluated yet.\n')
    capsys.readouterr()


def test_the_test_split_waits_for_final_budgets_then_trains_each_policy_for_its_own(docs):
    """state_tier --split test takes each policy's steps from the finished learning curves
    of every state task, and refuses (one line, nothing written) while one is provisional
    or missing, or when --steps is given."""
    from benchmarks.experiments import state_tier

    def curves(last_dp_step: int) -> list[dict]:
        wins = {'nfp': {1000: 15, 2000: 15}, 'dp': {1000: 3, 2000: 9, 4000: 9}}
        return [_record(task, policy, 0, step, w, max_steps=max(row),
                        servo_omega=TASK_OMEGA.get(task, DEFAULT_OMEGA))
                for task in splits.TASKS for policy, row in wins.items()
                for step, w in row.items() if policy == 'nfp' or step <= last_dp_step]
    docs.mkdir()
    (docs / 'learning_curves.json').write_text(json.dumps(curves(2000)))
    parse = ['--split', 'test', '--policies', 'nfp', 'dp', 'dp-ddpm', 'hold']
    with pytest.raises(SystemExit, match=r"--split test: policy='dp': its budget is "
                       r'provisional \(0 of 6 trainings'):
        state_tier.policy_steps(_state_args(parse))
    (docs / 'learning_curves.json').write_text(json.dumps(curves(4000)))
    assert state_tier.policy_steps(_state_args(parse)) == {'nfp': 1000, 'dp': 2000,
                                                           'dp-ddpm': 2000}
    with pytest.raises(SystemExit, match='--steps=500 with --split test: expected none'):
        state_tier.policy_steps(_state_args([*parse, '--steps', '500']))
    assert state_tier.policy_steps(_state_args(['--policies', 'nfp'])) == {'nfp': 2000}
    missing = [r for r in curves(4000) if r['task'] != 'hammer']
    (docs / 'learning_curves.json').write_text(json.dumps(missing))
    with pytest.raises(SystemExit, match="policy='nfp': no learning curve yet on hammer"):
        state_tier.policy_steps(_state_args(parse))
    assert not (docs / 'state_tier.json').exists()



def _state_args(argv: list[str]):
    """state_tier's parsed command line (nothing run)."""
    from benchmarks.experiments import state_tier

    return state_tier.build_parser().parse_args(argv)


def test_a_curve_still_rising_at_its_last_step_blocks_the_test_split(docs):
    """Finished curves on every task whose last step is clearly above the step before (a
    paired interval above 0) are not a final budget; flat ones are."""

    def curves(last_wins: int) -> list[dict]:
        return [_record(task, 'dp-own', 0, step, w, max_steps=2000,
                        servo_omega=TASK_OMEGA.get(task, DEFAULT_OMEGA))
                for task in splits.TASKS for step, w in ((1000, 6), (2000, last_wins))]
    rising, flat = curves(18), curves(7)
    assert curve_page.last_rise(rising)[2].verdict == 'better'
    with pytest.raises(ValueError, match=r"'dp-own': its curve still rises from 1000 to 2000 "
                       r'steps \(\+60 pts'):
        curve_page.final_budget('dp-own', rising)
    assert curve_page.final_budget('dp-own', flat) == 2000
    page = curve_page.render_page(rising)
    assert '- DP (own recipe): 2000 - 1000 steps +60 pts [' in page
    assert 'over 6 trainings: still rising: a longer run is needed' in page


def test_the_page_says_whether_a_finished_curve_holds_up_to_its_last_step(docs):
    """Issue 32's collapse target: the last step's pooled success within 5 points of the
    budget's; a curve with a training short of its last step gets no line."""

    def curves(last_wins: int, last_step: int = 2000) -> list[dict]:
        return [_record(task, 'nfp2', 0, step, w, max_steps=2000,
                        servo_omega=TASK_OMEGA.get(task, DEFAULT_OMEGA))
                for task in splits.TASKS for step, w in ((1000, 18), (last_step, last_wins))]
    line = curve_page.hold_up_line('nfp2', curves(15))  # 108/120 -> 90/120
    assert line == ('- NF-P (recipe 2): 2000 steps 75 % (90/120) vs its budget 1000 steps '
                    '90 % (108/120): 15.0 points below, beyond the 5 (missed by 10.0).')
    assert curve_page.hold_up_line('nfp2', curves(17)).endswith('5.0 points below, within 5.')
    assert curve_page.hold_up_line('nfp2', curves(17, last_step=1500)) is None  # unfinished
    assert line in curve_page.render_page(curves(15))


def _ema_weights(path) -> dict[str, torch.Tensor]:
    return torch.load(path, map_location='cpu', weights_only=True)['ema']


def test_a_dp_training_the_curve_ran_to_its_budget_is_loaded_not_run_again(tmp_path, docs,
                                                                             monkeypatch, capsys):
    """The state tier's DP (own recipe) training at the length of a finished curve training
    (same task, demos, seed and recipe) starts from that training's saved state. It is the
    same network the tier trains by itself (only the save interval differs), and the record
    names the curve run and its training wall-clock."""
    from benchmarks.experiments import state_tier

    monkeypatch.setattr(run_dirs, 'CURVE_RUNS', tmp_path / 'curves')
    assert learning_curve.main([*TINY, '--steps', '2', '3', '--policies', 'dp-own',
                                '--write-docs']) == 0
    [curve_run] = (tmp_path / 'curves' / 'drawer-open').iterdir()
    tier = ['--tasks', 'drawer-open', '--demos', '1', '--seeds', '0', '--policies', 'dp-own',
            '--episodes', '1', '--threads', '1', '--write-docs']
    assert state_tier.main([*tier, '--steps', '3', '--run-dir', str(tmp_path / 'seeded')]) == 0
    [seeded] = (tmp_path / 'seeded' / 'drawer-open').iterdir()
    assert (seeded / run_dirs.CURVE_MARK).read_text().strip() == str(curve_run)
    [record] = json.loads((docs / 'state_tier.json').read_text())
    assert record['trained_in'] == curve_run.name
    assert record['train_s'] == learning_curve.TrainClock(curve_run).at(3)
    monkeypatch.setattr(run_dirs, 'CURVE_RUNS', tmp_path / 'no_curves')
    again = [a for a in tier if a != '--write-docs']  # recorded once: not skipped as done
    assert state_tier.main([*again, '--steps', '3', '--run-dir', str(tmp_path / 'own')]) == 0
    [own] = (tmp_path / 'own' / 'drawer-open').iterdir()
    assert not (own / run_dirs.CURVE_MARK).exists()
    a, b = _ema_weights(seeded / 'dp.pt'), _ema_weights(own / 'dp.pt')
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    monkeypatch.setattr(run_dirs, 'CURVE_RUNS', tmp_path / 'curves')
    assert state_tier.main([*again, '--steps', '2', '--run-dir', str(tmp_path / 'shorter')]) == 0
    [shorter] = (tmp_path / 'shorter' / 'drawer-open').iterdir()  # a 2-step cosine is not
    assert not (shorter / run_dirs.CURVE_MARK).exists()  # the 3-step run's step 2
    capsys.readouterr()


def _tier_record(task: str, policy: str, wins: int, steps: int = 2000, **extra) -> dict:
    """A state-tier record of the sampler study's training (50 demos, seed 0)."""
    return records.stamp({
        'task': task, 'demos': 50, 'seed': 0, 'policy': policy, 'steps': steps,
        'split': 'tune', 'budget': 'fixed', 'successes': wins, 'episodes': 20,
        'episode_success': [i < wins for i in range(20)], 'lr': 1e-3, 'ema_warmup': True,
        'config_hash': f'h{steps}', 'servo_omega': TASK_OMEGA.get(task, DEFAULT_OMEGA),
        'machine': MACHINE, **extra})


def _final_curves(docs, tasks) -> list[dict]:
    """Finished learning curves on ``tasks`` (written to ``docs``) whose budgets are NF-P
    1000 and DP (own recipe) 2000 steps; the records."""
    curves = [_record(task, policy, 0, step, w, max_steps=2000,
                      servo_omega=TASK_OMEGA.get(task, DEFAULT_OMEGA))
              for task in tasks for policy, row in (('nfp', (10, 9)), ('dp-own', (9, 10)))
              for step, w in zip((1000, 2000), row)]
    docs.mkdir()
    (docs / 'learning_curves.json').write_text(json.dumps(curves))
    return curves


def test_the_headline_sampler_is_chosen_by_the_rule_once_the_study_has_every_task(docs,
                                                                                capsys):
    """DP (own recipe)'s headline sampler: the one with more successes pooled over the six
    tasks at its budget on the tuning split; a tie keeps DDIM-10; nothing before the study
    covers every task; other budgets, splits and seeds do not count. The state-tier page
    and the CLI say so."""
    from benchmarks.experiments import headline, state_tier

    tasks = splits.TASKS
    curves = _final_curves(docs, tasks)
    assert headline.budget('dp-own') == headline.budget('dp-own-eta1') == 2000
    study = [_tier_record(t, 'dp-own', 10) for t in tasks]
    with pytest.raises(ValueError, match=r"sampler='dp-own-eta1': no tuning-split study run "
                       r'at 2000 steps on hammer, assembly'):
        headline.fast_sampler(study, 2000)
    tie = study + [_tier_record(t, 'dp-own-eta1', 10) for t in tasks]
    assert headline.fast_sampler(tie, 2000) == ('dp-own', {'dp-own': 60, 'dp-own-eta1': 60})
    better = [r for r in tie if r['task'] != 'hammer'] + [
        _tier_record('hammer', 'dp-own-eta1', 11), _tier_record('hammer', 'dp-own', 10),
        _tier_record('hammer', 'dp-own', 20, seed=1), _tier_record('hammer', 'dp-own', 20,
                                                                     split='test'),
        _tier_record('hammer', 'dp-own', 20, steps=1000)]
    assert headline.fast_sampler(better, 2000)[0] == 'dp-own-eta1'
    (docs / 'state_tier.json').write_text(json.dumps(better))
    assert headline.main(['fast-sampler']) == 0 and headline.main(['budget', 'nfp']) == 0
    assert capsys.readouterr().out.split() == ['dp-own-eta1', '1000']
    page = state_tier.render_page(better)
    assert ('- Training budgets (learning_curves.md): NF-P 1000 steps, DP (own recipe) 2000 '
            'steps.') in page
    assert ('headline sampler: **DDIM-10 eta 1**' in page
            and 'a tie keeps the published DDIM-10): DDIM-10 60/120, DDIM-10 eta 1 61/120.'
            in page)
    (docs / 'learning_curves.json').write_text(json.dumps(curves[:-1]))  # one still training
    assert headline.main(['fast-sampler']) == 2
    assert 'its budget is provisional' in capsys.readouterr().err
    page = state_tier.render_page(better)  # NF-P's budget is final, DP's is not
    assert '- Training budgets (learning_curves.md): NF-P 1000 steps.' in page
    assert 'headline sampler' not in page


def test_the_headline_says_where_nfp_wins_ties_and_loses_on_the_test_split(docs):
    """The state-tier page opens with the test-split headline: per task NF-P minus DP (own
    recipe, its chosen sampler) with the verdict, each policy at its tuned budget only,
    pooled over the six tasks once each has a paired seed, and the plain standing line."""
    from benchmarks.experiments import headline, state_tier

    tasks = splits.TASKS
    _final_curves(docs, tasks)
    study = [_tier_record(t, p, 10) for t in tasks for p in headline.FAST_SAMPLERS]

    def test_runs(task: str, nfp: list[int], dp: list[int], nfp_steps: int = 1000) -> list:
        return [_tier_record(task, policy, w, steps=steps, seed=seed, split='test',
                             budget='tuned')
                for policy, wins, steps in (('nfp', nfp, nfp_steps), ('dp-own', dp, 2000))
                for seed, w in enumerate(wins)]
    tier = (study + test_runs('hammer', [18, 19, 17], [5, 6, 4])
            + test_runs('assembly', [10, 11, 9], [10, 11, 9])
            + test_runs('basketball', [2, 3, 1], [15, 16, 14])
            + test_runs('lever-pull', [12, 12], [10, 10])
            + test_runs('peg-insert-side', [20, 20, 20], [0, 0, 0], nfp_steps=2000))
    page = state_tier.render_page(tier)
    assert page.index('## Headline') < page.index('## All runs')
    assert '| DP (own recipe) | 50 | hammer | 3 | 54/60 (90 %) | 15/60 (25 %) | +65 pts [' in page
    assert ('- 50 demos, NF-P vs DP (own recipe): NF-P wins on 1, ties on 1, loses on 1 of 6 '
            'tasks (NF-P better: hammer; no detectable difference: assembly; DP better: '
            'basketball; no verdict (< 3 seeds): lever-pull; no pair yet (seeds run): '
            'peg-insert-side (NF-P 0, DP 3), bin-picking (NF-P 0, DP 0)).') in page
    # peg-insert-side's NF-P trained 2000 steps, not its budget: not counted
    assert '- 10 demos, NF-P vs DP (own recipe): NF-P wins on 0, ties on 0, loses on 0' in page
    assert '(pooled)' not in page
    tier += (test_runs('peg-insert-side', [10, 10, 10], [])
             + test_runs('bin-picking', [10, 10, 10], [10, 10, 10])
             + [_tier_record('lever-pull', p, 10, steps=s, seed=2, split='test',
                             budget='tuned') for p, s in (('nfp', 1000), ('dp-own', 2000))])
    page = state_tier.render_page(tier)
    assert '| DP (own recipe) | 50 | peg-insert-side | 3 | 30/60 (50 %) | 0/60 (0 %) |' in page
    pooled = '| DP (own recipe) | 50 | all 6 (pooled) | 3 | 184/360 (51 %) | 150/360 (42 %) |'
    assert pooled in page
    # a re-run of a seed replaces it in the counts as in the verdict
    rerun = [_tier_record('bin-picking', 'dp-own', 0, seed=0, split='test', budget='tuned')]
    page = state_tier.render_page(tier + rerun)
    assert '| DP (own recipe) | 50 | bin-picking | 3 | 30/60 (50 %) | 20/60 (33 %) |' in page
    # the slow sampler, evaluated at 50 demos only, has no 10-demo standing line
    slow = [_tier_record('hammer', kinds.slow_samplers()[0], 5, steps=2000, seed=0,
                         split='test', budget='tuned')]
    page = state_tier.render_page(tier + slow)
    assert '- 50 demos, NF-P vs DP DDPM-100 (own recipe): NF-P wins on 0' in page
    assert '- 10 demos, NF-P vs DP DDPM-100' not in page


def test_recipe_2_curves_log_the_held_out_nll_and_the_page_sets_it_beside_success(
        tmp_path, docs, capsys):
    assert learning_curve.main([*TINY, '--steps', '1', '2', '--run-dir', str(tmp_path / 'runs'),
                                '--policies', 'nfp2', '--write-docs']) == 0
    saved = {r['step']: r for r in json.loads((docs / 'learning_curves.json').read_text())}
    assert 'val_nll' not in saved[1]  # logged every 250 steps and at the last
    assert math.isfinite(saved[2]['val_nll']) and saved[2]['val_demos'] == 3
    assert (saved[2]['lr_schedule'], saved[2]['execute_steps']) == ('cosine', 16)
    every = [_record(task, 'nfp2', seed, step, wins, val_nll=nll)
             for task in ('drawer-open', 'hammer') for seed in (0, 1)
             for step, wins, nll in ((1000, 10, -1.0), (2000, 14, -1.5), (4000, 12, -1.2))]
    page = curve_page.render_page(every)
    assert '## Held-out NLL against success' in page
    assert ('| NF-P (recipe 2) | 1000: -1.00 / 50 %, 2000: -1.50 / 70 %, 4000: -1.20 / 60 % '
            '| 2000 | 2000 |') in page
    capsys.readouterr()


def _recipe_2_curves(docs, tasks, final: bool = True) -> None:
    """Adds NF-P (recipe 2)'s learning curves on ``tasks`` to ``docs`` (budget 2000 steps;
    ``final=False``: still training to 4000)."""
    curves = json.loads((docs / 'learning_curves.json').read_text())
    curves += [_record(task, 'nfp2', 0, step, w, max_steps=2000 if final else 4000,
                       servo_omega=TASK_OMEGA.get(task, DEFAULT_OMEGA))
               for task in tasks for step, w in ((1000, 9), (2000, 10))]
    (docs / 'learning_curves.json').write_text(json.dumps(curves))


def _test_split(policy: str, steps: int, demos: int, wins: list[int]) -> list[dict]:
    """Test-split records of ``policy`` at its tuned ``steps``: per state task (in order)
    seeds 0-2 with ``w``, ``w + 1``, ``w - 1`` of 20 start states."""
    return [_tier_record(task, policy, w + d, steps=steps, seed=seed, demos=demos,
                         split='test', budget='tuned')
            for task, w in zip(splits.TASKS, wins) for seed, d in enumerate((0, 1, -1))]


def _two_recipes() -> list[dict]:
    """DP (own recipe)'s sampler study and test split (its budget 2000 steps, DDIM-10 chosen,
    DDPM-100 on hammer at 50 demos), NF-P as compared (recipe 1, 1000 steps) and recipe 2
    (2000 steps) on the test split, both demo counts, 3 seeds on every task."""
    from benchmarks.experiments import headline

    return ([_tier_record(t, p, 10) for t in splits.TASKS for p in headline.FAST_SAMPLERS]
            + _test_split('dp-own', 2000, 50, [18, 19, 15, 15, 19, 16])
            + _test_split('dp-own', 2000, 10, [10, 19, 15, 12, 12, 10])
            + _test_split('nfp', 1000, 50, [18, 10, 15, 15, 8, 16])
            + _test_split('nfp', 1000, 10, [10, 5, 2, 12, 4, 10])
            + _test_split('nfp2', 2000, 50, [19, 19, 18, 16, 18, 17])
            + _test_split('nfp2', 2000, 10, [18, 19, 8, 19, 12, 19])
            + [_tier_record('hammer', 'dp-own-ddpm', 17, seed=s, split='test', budget='tuned')
               for s in range(3)])


def _section(page: str, title: str) -> str:
    """The text of ``page``'s section ``title`` up to the next heading of any level."""
    start = page.index(title)
    end = page.find('\n#', start + 1)
    return page[start:end if end > 0 else len(page)]


def test_the_headline_shows_each_nfp_recipe_newest_first_with_issue_32s_targets(docs):
    """Once recipe 2's budget is final the headline has one titled table per NF-P recipe,
    newest first, against the same DP runs, each with its standing lines and issue 32's
    targets (met or missed, with the margin) where it has 3 paired seeds on every task,
    else what is missing; the choices list each recipe's budget."""
    from benchmarks.experiments import state_tier

    _final_curves(docs, splits.TASKS)
    _recipe_2_curves(docs, splits.TASKS)
    tier = _two_recipes()
    page = state_tier.render_page(tier)
    new, old = '### NF-P (recipe 2)\n', '### NF-P (recipe 1, before issue 32)\n'
    assert page.index('## Headline') < page.index(new) < page.index(old) < page.index(
        '## All runs')
    assert ('(NF-P (recipe 2) 2000 steps, zero latent; NF-P (recipe 1, before issue 32) 1000 '
            'steps, best-of-128; DP (own recipe) 2000 steps), 50 start states') in page
    recipe_2, recipe_1 = _section(page, new), _section(page, old)
    assert ('| DP (own recipe) | 10 | hammer | 3 | 54/60 (90 %) | 30/60 (50 %) | +40 pts '
            '[22, 60] | NF-P better |') in recipe_2
    assert ('| DP (own recipe) | 10 | hammer | 3 | 30/60 (50 %) | 30/60 (50 %) | +0 pts '
            '[0, 0] | no detectable difference |') in recipe_1
    assert ('| DP (own recipe) | 50 | assembly | 3 | 30/60 (50 %) | 57/60 (95 %) | -45 pts '
            '[-65, -25] | DP better |') in recipe_1
    for section in (recipe_1, recipe_2):  # the same DP runs in both
        assert ('| DP DDPM-100 (own recipe) | 50 | hammer | 3 |' in section
                and '| 51/60 (85 %) |' in section)
    assert ('- 10 demos, NF-P (recipe 2) vs DP (own recipe): NF-P wins on 3, ties on 2, loses '
            'on 1 of 6 tasks (NF-P better: hammer, lever-pull, bin-picking; no detectable '
            'difference: assembly, peg-insert-side; DP better: basketball).') in recipe_2
    assert ('- 50 demos, NF-P (recipe 1, before issue 32) vs DP (own recipe): NF-P wins on 0, '
            'ties on 4, loses on 2 of 6 tasks') in recipe_1
    assert [line for line in recipe_2.splitlines() if 'Issue 32' in line] == [
        '- Issue 32 target, 50 demos, "DP better" on 0 of 6 tasks: **met**: DP better on 0 '
        'of 6.',
        '- Issue 32 target, 10 demos, "DP better" on at most 1 of 6 tasks: **met**: DP better '
        'on 1 of 6 (basketball).',
        '- Issue 32 target, 10 demos, the pooled 95 % interval reaches 0 or above: **met with '
        '21 pts to spare**: pooled interval [7, 21] (NF-P - DP +14 pts).',
        '- Issue 32 stretch target, 10 demos, "NF-P better" on >= 3 of 6 tasks: **met**: '
        'NF-P better on 3 of 6 (hammer, lever-pull, bin-picking).']
    assert [line for line in recipe_1.splitlines() if 'Issue 32' in line] == [
        '- Issue 32 target, 50 demos, "DP better" on 0 of 6 tasks: **missed**: DP better on '
        '2 of 6 (assembly, peg-insert-side).',
        '- Issue 32 target, 10 demos, "DP better" on at most 1 of 6 tasks: **missed**: DP '
        'better on 3 of 6 (assembly, basketball, peg-insert-side).',
        '- Issue 32 target, 10 demos, the pooled 95 % interval reaches 0 or above: **missed '
        'by 24 pts**: pooled interval [-35, -24] (NF-P - DP -29 pts).',
        '- Issue 32 stretch target, 10 demos, "NF-P better" on >= 3 of 6 tasks: **missed by '
        '3 tasks**: NF-P better on 0 of 6.']
    assert ('- Training budgets (learning_curves.md): NF-P (recipe 2) 2000 steps, NF-P '
            '(recipe 1, before issue 32) 1000 steps, DP (own recipe) 2000 steps.') in page
    # an incomplete set at 10 demos: the targets there say what is missing
    partial = [r for r in tier if not (
        r['policy'] == 'nfp2' and r['demos'] == 10 and (
            r['task'] == 'peg-insert-side' or (r['task'], r['seed']) == ('bin-picking', 2)))]
    recipe_2 = _section(state_tier.render_page(partial), new)
    assert [line for line in recipe_2.splitlines() if 'Issue 32' in line] == [
        '- Issue 32 target, 50 demos, "DP better" on 0 of 6 tasks: **met**: DP better on 0 '
        'of 6.',
        '- Issue 32 targets, 10 demos: not checked yet: expected 3 paired seeds on each of '
        'the 6 tasks; missing: peg-insert-side (NF-P 0, DP 3 seeds run), bin-picking (NF-P 2, '
        'DP 3 seeds run).']
    # recipe 2's budget final, its test split not run yet: its place says so
    page = state_tier.render_page([r for r in tier if r['policy'] != 'nfp2'])
    recipe_2 = _section(page, new)
    assert ('No test-split run of NF-P (recipe 2) at its 2000 steps paired with DP yet '
            '(`bash scripts/headline.sh --recipe nfp2`).') in recipe_2
    assert ('- Issue 32 targets, 50 demos: not checked yet: no run of this recipe (expected 3 '
            'paired seeds on each of the 6 tasks).') in recipe_2
    assert '**missed by 24 pts**' in _section(page, old)


LEGACY_INTRO = (
    'Each policy on its own recipe for its budget chosen on the tuning split (NF-P 1000 steps, '
    'DP (own recipe) 2000 steps; NF-P best-of-128), 50 start states of the test split '
    '(20000+) per training seed. Difference: NF-P minus DP in percentage points, paired on '
    'seeds and start states, with its 95 % bootstrap interval over both; "pooled": the 6 '
    'tasks weighted equally (resampled within each task). A verdict needs 3 seeds on every '
    'task it covers; a tie is not a win.\n')


@pytest.mark.parametrize('recipe_2', ['no curve', 'provisional', 'missing a task'])
def test_before_recipe_2_has_a_final_budget_the_headline_is_as_before(docs, recipe_2):
    """Without recipe 2's final budget the headline and the choices are exactly what they
    were with NF-P as compared alone (its records, even on the test split, are not shown)."""
    from benchmarks.experiments import headline, state_tier
    from benchmarks.pages import headline_page, state_page

    _final_curves(docs, splits.TASKS)
    if recipe_2 != 'no curve':
        _recipe_2_curves(docs, splits.TASKS[:-1] if recipe_2 == 'missing a task'
                         else splits.TASKS, final=recipe_2 == 'missing a task')
    with_2 = _two_recipes()
    without = [r for r in with_2 if r['policy'] != 'nfp2']
    section = headline_page.headline_section(with_2)
    assert section == headline_page.headline_section(without)
    assert section[:2] == ['## Headline: NF-P vs Diffusion Policy on the test split\n',
                           LEGACY_INTRO]
    assert section[2].startswith('| DP as compared | demos | task | seeds | NF-P | DP | NF-P '
                                 '- DP [95 % CI] | verdict |')
    assert ('| DP (own recipe) | 50 | assembly | 3 | 30/60 (50 %) | 57/60 (95 %) | -45 pts '
            '[-65, -25] | DP better |') in section[2]
    assert section[4] == (
        '- 50 demos, NF-P vs DP (own recipe): NF-P wins on 0, ties on 4, loses on 2 of 6 tasks '
        '(no detectable difference: hammer, basketball, lever-pull, bin-picking; DP better: '
        'assembly, peg-insert-side).')
    assert len(section) == 8 and section[-1] == ''  # three standing lines, nothing more
    assert not any('###' in line or 'Issue 32' in line or 'recipe 2' in line
                   for line in section)
    choices = headline_page.choices_section(with_2)
    assert choices == headline_page.choices_section(without)
    assert choices[1] == ('- Training budgets (learning_curves.md): NF-P 1000 steps, DP (own '
                          'recipe) 2000 steps.')
    page = state_tier.render_page(with_2)
    headline_part = page[:page.index('## All runs')]
    assert headline_part == state_page.render_page(without)[:len(headline_part)]
    assert headline.RECIPES == ('nfp2', 'nfp')


def test_the_test_split_runs_recipe_2_once_its_curve_is_final(docs, capsys):
    """state_tier --split test --policies nfp2 (scripts/headline.sh --recipe nfp2) takes
    recipe 2's budget from its own learning curve and refuses, in one line, before it is
    final; benchmarks.headline names the recipes, newest first."""
    from benchmarks.experiments import headline, state_tier

    _final_curves(docs, splits.TASKS)
    args = _state_args(['--split', 'test', '--policies', 'nfp2', '--demos', '10', '50',
                        '--seeds', '0', '1', '2'])
    with pytest.raises(SystemExit, match="--split test: policy='nfp2': no learning curve yet"):
        state_tier.policy_steps(args)
    _recipe_2_curves(docs, splits.TASKS)
    assert state_tier.policy_steps(args) == {'nfp2': 2000}
    assert headline.main(['recipes']) == 0 and headline.main(['budget', 'nfp2']) == 0
    assert capsys.readouterr().out.split() == ['nfp2', 'nfp', '2000']
