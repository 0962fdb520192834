# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The benchmark pages check the issue's targets from the records themselves."""

from __future__ import annotations

from benchmarks.experiments import ablations
from benchmarks.pages import records, targets, tier_page
from nf_policy_ros.sim.task import DEFAULT_OMEGA, TASK_OMEGA


def _run(task: str, policy: str, wins: int, seed: int = 0, episodes: int = 20,
         page: str = 'state_tier', **extra) -> dict:
    """A finished run of ``page`` whose first ``wins`` start states succeeded, at the task's
    current servo, as the page code reads it (loaded: in the current record format)."""
    outcomes = [i < wins for i in range(episodes)]
    return records.migrate(page, {
        'task': task, 'policy': policy, 'successes': wins, 'episodes': episodes,
        'seed': seed, 'episode_success': outcomes, 'demos': 10, 'steps': 2000, 'lr': 1e-3,
        'ema_warmup': True, 'servo_omega': TASK_OMEGA.get(task, DEFAULT_OMEGA), **extra})


def _seeds(task: str, policy: str, wins: list[int], **extra) -> list[dict]:
    return [_run(task, policy, w, seed=i, **extra) for i, w in enumerate(wins)]


def test_a_clear_gap_is_better_and_a_small_one_is_no_detectable_difference():
    runs = (_seeds('hammer', 'nfp', [15, 16, 14]) + _seeds('hammer', 'dp', [5, 6, 4]) +
            _seeds('assembly', 'nfp', [10, 11, 9]) + _seeds('assembly', 'dp', [9, 11, 10]) +
            _seeds('basketball', 'nfp', [2, 3, 1]) + _seeds('basketball', 'dp', [12, 14, 13]))
    found = targets.verdicts(runs, ['hammer', 'assembly', 'basketball'])
    assert {t: d.verdict for t, d in found.items()} == {
        'hammer': targets.BETTER, 'assembly': targets.NO_DIFFERENCE,
        'basketball': targets.WORSE}
    hammer = found['hammer']
    assert hammer.mean == 0.5 and 0 < hammer.low < 0.5 < hammer.high <= 1.0
    assert (hammer.seeds, hammer.episodes) == (3, 20)


def test_no_verdict_from_fewer_than_three_seeds_however_large_the_gap():
    runs = _seeds('hammer', 'nfp', [20, 20]) + _seeds('hammer', 'dp', [0, 0])
    difference = targets.verdicts(runs, ['hammer'])['hammer']
    assert difference.mean == 1.0 and difference.verdict == targets.TOO_FEW


def test_only_seeds_both_policies_ran_with_outcomes_are_compared():
    runs = (_seeds('hammer', 'nfp', [20, 20, 20, 0]) + _seeds('hammer', 'dp-ddpm', [0, 0, 0]) +
            [_run('assembly', 'nfp', 5), {**_run('assembly', 'dp-ddpm', 9),
                                          'episode_success': None}])
    found = targets.verdicts(runs, ['hammer', 'assembly'], 'dp-ddpm')
    assert list(found) == ['hammer'] and found['hammer'].seeds == 3
    assert found['hammer'].verdict == targets.BETTER
    line = targets.head_to_head_line('budget', runs, ['hammer', 'assembly'], need=1,
                                     opponent='dp-ddpm', label='DP DDPM-100')
    assert 'NF-P better: hammer +100 pts [100, 100]; not measured: assembly' in line, line
    assert '**met**' in line


def test_pooled_difference_weights_tasks_equally_and_resamples_within_each():
    runs = (_seeds('hammer', 'nfp', [15, 16, 14]) + _seeds('hammer', 'dp', [5, 6, 4]) +
            _seeds('assembly', 'nfp', [10, 11, 9, 10]) + _seeds('assembly', 'dp', [10, 11, 9, 10]))
    pooled = targets.pooled_difference(runs, ['hammer', 'assembly'], 'dp')
    assert pooled.mean == 0.25 and (pooled.seeds, pooled.episodes) == (3, 20)
    assert 0 < pooled.low < 0.25 < pooled.high < 0.5 and pooled.verdict == targets.BETTER
    # one task alone is the paired difference; a task without a paired seed: no pooling
    assert targets.pooled_difference(runs, ['hammer'], 'dp') == targets.paired_difference(
        runs, 'hammer', 'dp')
    assert targets.pooled_difference(runs, ['hammer', 'basketball'], 'dp') is None
    few = runs + _seeds('basketball', 'nfp', [20, 20]) + _seeds('basketball', 'dp', [0, 0])
    pooled = targets.pooled_difference(few, ['hammer', 'assembly', 'basketball'], 'dp')
    assert pooled.seeds == 2 and pooled.verdict == targets.TOO_FEW


def test_target_status_is_open_until_the_unmeasured_tasks_cannot_change_it():
    assert targets.status(at_least=4, measured=5, tasks=6, need=4) == 'met'
    assert targets.status(at_least=3, measured=5, tasks=6, need=4) == 'open'
    assert targets.status(at_least=2, measured=5, tasks=6, need=4) == 'not met'


def test_a_tie_is_not_a_win_in_the_target_line():
    runs = (_seeds('hammer', 'nfp', [12, 12, 12]) + _seeds('hammer', 'dp', [12, 12, 12]) +
            _seeds('lever-pull', 'nfp', [18, 19, 18]) + _seeds('lever-pull', 'dp', [2, 3, 1]))
    line = targets.head_to_head_line('10 demos', runs, ['hammer', 'lever-pull', 'x'], 2)
    assert 'NF-P better: lever-pull +' in line and 'no detectable difference: hammer +0' in line
    assert 'not measured: x' in line and '**open**' in line
    noise = _seeds('hammer', 'nfp-noise', [3, 2, 4]) + runs
    variant = targets.head_to_head_line('10 demos', noise, ['hammer'], 1,
                                        mine=('nfp-noise', 'NF-P noise'))
    assert 'DP better: hammer' in variant and '**not met**' in variant, variant
    lines = tier_page.target_lines(noise, ['hammer', 'lever-pull'], 2)
    assert [line.split(': ')[1].split(',')[0] for line in lines] == [
        'NF-P - DP', 'NF-P action noise 0.1 - DP']


def test_tuning_and_test_split_runs_never_pool_into_one_verdict_or_row():
    tune = (_seeds('assembly', 'nfp', [10, 10, 10], split='tune') +
            _seeds('assembly', 'dp', [0, 0, 0], split='tune'))
    test = (_seeds('assembly', 'nfp', [0, 0, 0], split='test') +
            _seeds('assembly', 'dp', [10, 10, 10], split='test'))
    test_line, tune_line = tier_page.target_lines(tune + test, ['assembly'], 1)
    assert 'test split' in test_line and 'DP better: assembly' in test_line
    assert 'tune split' in tune_line and 'NF-P better: assembly' in tune_line
    machine = {'git_sha': 'abc', 'date_utc': 'now', 'host_cpu': 'cpu', 'cpu_count': 2,
               'torch_threads': 1, 'torch': 'x', 'device': 'cpu'}
    page = tier_page.render_page(
        [{**r, 'config_hash': 'h', 'machine': machine} for r in tune + test], 'title',
        'setup', 'state', (['assembly'], 1))
    rows = [line for line in page.splitlines() if line.startswith('| assembly |')]
    assert [row.split(' | ')[4] for row in rows] == ['test', 'tune']



def test_tuned_budgets_pair_each_policy_at_its_own_steps_on_the_test_split():
    """The headline: NF-P at its 2000 steps against DP (own recipe) at its 8000, both on
    their tuned budgets, pair into one verdict; fixed-budget runs of the same steps do not
    join it."""
    nfp = _seeds('assembly', 'nfp', [20, 19, 20], split='test', budget='tuned', steps=2000)
    dp = _seeds('assembly', 'dp-own', [5, 4, 6], split='test', budget='tuned', steps=8000)
    fixed = _seeds('assembly', 'dp-own', [20, 20, 20], split='test', steps=2000)
    lines = [line for line in tier_page.target_lines(nfp + dp + fixed, ['assembly'], 1)
             if 'DP (own recipe)' in line]
    assert len(lines) == 1
    assert lines[0].startswith('- 10 demos, each policy on its own recipe for its budget '
                               'chosen on the tuning split')
    assert 'NF-P better: assembly' in lines[0] and '**met**' in lines[0]

def test_state_tier_targets_use_each_tasks_current_servo_only():
    old_servo = (_seeds('assembly', 'nfp', [0, 0, 0], servo_omega=200.0) +
                 _seeds('assembly', 'dp', [9, 9, 9], servo_omega=200.0))
    now = (_seeds('assembly', 'nfp', [10, 10, 10], servo_omega=300.0) +
           _seeds('assembly', 'dp', [0, 0, 0], servo_omega=300.0))
    line, = tier_page.target_lines(old_servo + now, ['assembly'], 1)
    assert line.startswith('- 10 demos, 2000 steps, lr 0.001, EMA warm-up, tune split:')
    assert 'NF-P better: assembly' in line and '**met**' in line
    assert tier_page.target_lines(old_servo, ['assembly'], 1) == [
        '- No budget with both NF-P and DP measured yet.']
    dp_line, ddpm_line = tier_page.target_lines(
        now + _seeds('assembly', 'dp-ddpm', [15, 15, 15], servo_omega=300.0), ['assembly'], 1)
    assert 'NF-P - DP,' in dp_line and '**met**' in dp_line
    assert 'NF-P - DP DDPM-100,' in ddpm_line
    assert 'DP DDPM-100 better: assembly -25 pts' in ddpm_line and '**not met**' in ddpm_line


def test_sampler_lines_compare_each_policys_samplers_on_the_same_trainings_only():
    runs = [_run('hammer', 'dp', 4), _run('hammer', 'dp-ddpm', 10),
            _run('lever-pull', 'dp', 8, seed=1), _run('lever-pull', 'dp-ddpm', 14, seed=1),
            _run('lever-pull', 'dp-ddpm', 20, seed=2),  # no DDIM-10 run of seed 2: left out
            _run('peg-insert-side', 'dp', 5), _run('peg-insert-side', 'dp-ddim-trailing', 3),
            _run('hammer', 'nfp', 12), _run('hammer', 'nfp-sample', 7),
            _run('hammer', 'nfp-zero', 9, seed=1)]  # no best-of-128 run of seed 1
    ddpm, trailing, sample = tier_page.sampler_lines(runs)
    assert ddpm == ('- 10 demos, 2000 steps, lr 0.001, EMA warm-up, tune split: '
                    'DP DDIM-10 12/40, CI 18-45 vs DP DDPM-100 24/40, CI 45-74 on the same 2 '
                    'DP trainings (hammer, lever-pull).')
    assert 'DP DDIM-10 5/20' in trailing and 'DP DDIM-10 trailing 3/20' in trailing
    noise, = tier_page.sampler_lines([_run('hammer', 'nfp', 12), _run('hammer', 'nfp-noise', 9),
                                      _run('basketball', 'nfp-noise', 9)])
    assert noise.endswith('NF-P best-of-128 12/20, CI 39-78 vs NF-P action noise 0.1 9/20, '
                          'CI 26-66 on the same 1 demos and seed (hammer).'), noise
    assert sample.endswith('NF-P best-of-128 12/20, CI 39-78 vs NF-P sample std 1 7/20, '
                           'CI 18-57 on the same 1 NF-P training (hammer).'), sample
    assert tier_page.sampler_lines([_run('hammer', 'dp', 4), _run('hammer', 'nfp', 4)]) == []


def test_the_ablation_stride_target_is_not_met_on_a_tie():
    base = {'task': 'hammer', 'demos': 10, 'steps': 2000, 'group': 'stride', 'episodes': 20,
            'lr': 1e-3, 'ema_warmup': True, 'servo_omega': 100.0, 'budget': 'fixed',
            'split': 'tune', 'successes': 9, 'episode_success': [i < 9 for i in range(20)]}
    runs = [dict(base, seed=s, variant=v, policy=f'stride {v}') for s in range(3) for v in '14']
    line = ablations.target_line(runs, 'hammer')
    assert line == ('Target stride 4 better than stride 1: +0 pts [0, 0] over 3 seeds, '
                    'no detectable difference: **not met**.')


def test_pages_are_redrawn_from_their_records(tmp_path, monkeypatch):
    import json

    from benchmarks.pages import render

    base = {'task': 'hammer', 'demos': 10, 'steps': 2000, 'group': 'stride', 'episodes': 20,
            'paper_beat_block_hammer': 51, 'tick_p50_ms': 30.0,
            'machine': {'git_sha': 'abc', 'date_utc': 'today', 'host_cpu': 'cpu',
                        'cpu_count': 2, 'torch': 'x', 'torch_threads': 1, 'device': 'cpu'}}
    written = [dict(base, variant=v, successes=k, episode_success=[i < k for i in range(20)])
               for v, k in (('1', 4), ('4', 9))]
    (tmp_path / 'ablations.json').write_text(json.dumps(written))  # format 1: no 'format'
    monkeypatch.setattr(records, 'DOCS', tmp_path)
    assert render.main(['ablations']) == 0
    page = (tmp_path / 'ablations.md').read_text()
    assert '| stride | 4 | 45 (n=1; 9/20, CI 26-66) | 51 | 30.0 |' in page
    assert ('Target stride 4 better than stride 1: +25 pts [' in page
            and 'over 1 seed, too few seeds: **no verdict (fewer than 3 seeds)**.' in page)


def test_latency_targets_use_the_newest_run_per_device_and_each_dp_size():
    from benchmarks.experiments import policy_latency

    def record(device: str, ddpm: float, ddim: float, eta1: float | None = None) -> dict:
        rows = [{'policy': 'NF-P best-of-128', 'vs_best_of_128': 1.0},
                {'policy': 'DP (small U-Net) DDPM-100 (5 M denoiser)', 'vs_best_of_128': ddpm},
                {'policy': 'DP (small U-Net) DDIM-10 (5 M denoiser)', 'vs_best_of_128': ddim}]
        if eta1 is not None:  # listed first: the DDIM-10 line must not take this row
            rows.insert(1, {'policy': 'DP (small U-Net) DDIM-10 eta 1 (5 M denoiser)',
                            'vs_best_of_128': eta1})
        return records.migrate('policy_latency', {'machine': {'device': device},
                                                  'image_size': 84, 'rows': rows})

    lines = policy_latency.target_lines([record('cpu', 50.0, 2.0),
                                         record('cpu', 30.0, 0.9, eta1=1.2),
                                         record('cuda', 12.0, 1.5)])
    assert lines == [
        '- cpu, 84x84: DP (small U-Net) DDPM-100 takes 30.0x the time of NF-P best-of-128. '
        'Target >= 30x: **met**.',
        '- cpu, 84x84: DP (small U-Net) DDIM-10 takes 0.9x the time of NF-P best-of-128. '
        'Target > 1x: **not met**.',
        '- cpu, 84x84: DP (small U-Net) DDIM-10 eta 1 takes 1.2x the time of NF-P '
        'best-of-128. Target > 1x: **met**.',
        '- cuda, 84x84: DP (small U-Net) DDPM-100 takes 12.0x the time of NF-P best-of-128. '
        'Target >= 30x: **not met**.',
        '- cuda, 84x84: DP (small U-Net) DDIM-10 takes 1.5x the time of NF-P best-of-128. '
        'Target > 1x: **met**.']
    assert policy_latency.target_lines([]) == ['- No run recorded.']


def test_vision_page_says_what_the_camera_is_worth_and_checks_the_bar():
    from benchmarks.experiments import vision_tier

    def camera_runs(task: str, on: list[int], off: list[int], split: str) -> list[dict]:
        # config_hash differs per seed
        extra = {'split': split, 'image': 48, 'episodes': 50, 'page': 'vision_tier'}
        runs = (_seeds(task, 'nfp', on, camera='on', **extra) +
                _seeds(task, 'nfp-camera-off', off, camera='off', **extra))
        return [dict(r, config_hash=f"h{r['seed']}") for r in runs]

    runs = (camera_runs('hammer', [40, 42, 38], [5, 6, 4], 'test') +
            camera_runs('assembly', [30, 31, 29], [25, 27, 26], 'test') +
            camera_runs('hammer', [15, 16], [2, 1], 'tune'))
    lines = vision_tier.camera_lines(runs)
    hammer = next(line for line in lines if line.startswith('- hammer, 10 demos, 48 px, test'))
    assert 'NF-P camera on - off: +70 pts' in hammer and '3 training seeds' in hammer
    assert any('tune split' in line and 'too few seeds' in line for line in lines)
    assert '**not met yet** (1 of 2 tasks measured on the test split pass)' in lines[-1]
    more = runs + camera_runs('basketball', [45, 44, 46], [10, 12, 9], 'test')
    assert '**met** (2 of 3' in vision_tier.camera_lines(more)[-1]


def test_each_task_set_gets_its_own_target_line_where_it_was_measured():
    old = _seeds('hammer', 'nfp', [15, 16, 14]) + _seeds('hammer', 'dp', [5, 6, 4])
    new = (_seeds('drawer-open', 'nfp', [15, 16, 14], split='test') +
           _seeds('drawer-open', 'dp', [15, 16, 14], split='test'))
    lines = tier_page.all_target_lines(old + new, [(('hammer', 'assembly'), 2),
                                                   (('drawer-open', 'button-press'), 2)])
    assert len(lines) == 2
    assert 'tune split' in lines[0] and 'not measured: assembly' in lines[0]
    assert 'test split' in lines[1] and 'not measured: button-press' in lines[1]
    assert tier_page.all_target_lines([], [(('hammer',), 1)]) == [
        '- No budget with both NF-P and DP measured yet.']
