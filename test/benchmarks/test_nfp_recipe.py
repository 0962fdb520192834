# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The NF-P recipe study's bookkeeping: shards keep a training whole, recipes that differ
only in execution share one training, the page pairs each recipe with the current one."""

from __future__ import annotations

from conftest import small_config
import numpy as np
import torch

from benchmarks.experiments import nfp_ranking, nfp_recipe
from nf_policy_ros.config import ActionConfig
from nf_policy_ros.core.policy import NFPolicy
from nf_policy_ros.data.windows import Episode, WindowDataset

TASKS = ['assembly', 'basketball']


def parse(*extra: str):
    return nfp_recipe.build_parser().parse_args(['--tasks', *TASKS, *extra])


def test_shards_split_the_trainings_and_keep_each_whole():
    every = nfp_recipe.my_jobs(parse())
    shards = [nfp_recipe.my_jobs(parse('--shard', f'{k}/2')) for k in range(2)]
    assert sorted(shards[0] + shards[1]) == sorted(every)
    keys = [{nfp_recipe.training_key(parse(), job) for job in shard} for shard in shards]
    assert not keys[0] & keys[1]  # no training run by two processes
    assert len(every) == len(TASKS) * 3 * len(nfp_recipe.RECIPES)


def test_execution_recipes_share_the_training_of_their_config():
    args = parse()
    current = ('assembly', 10, 0, nfp_recipe.BASE)
    execute = ('assembly', 10, 0, 'execute-2')
    assert nfp_recipe.training_key(args, current) == nfp_recipe.training_key(args, execute)
    combined = ('assembly', 10, 0, 'combined')
    assert nfp_recipe.training_key(args, combined) != nfp_recipe.training_key(args, current)
    assert nfp_recipe.RECIPES['execute-2'].execute_steps(
        nfp_recipe.RECIPES['execute-2'].config(10, 0)) == 8


def fake_record(task: str, seed: int, recipe: str, wins: int) -> dict:
    outcome = [True] * wins + [False] * (20 - wins)
    return {'task': task, 'demos': 10, 'seed': seed, 'policy': recipe, 'steps': 1000,
            'split': 'tune', 'successes': wins, 'episodes': 20, 'episode_success': outcome,
            'train_nll': -2.0, 'val_nll': -1.5, 'val_curve': [[250, -1.0], [1000, -1.5]]}


def test_the_page_pairs_each_recipe_with_the_current_one():
    records = [fake_record(t, s, r, w) for t in TASKS for s in range(3)
               for r, w in ((nfp_recipe.BASE, 5), ('cosine', 15))]
    page = nfp_recipe.render_page(records)
    assert '| `cosine` | 45/60 (+50 pts [' in page
    assert '+50 pts' in page and 'better' in page
    assert '| `current` | -2.00 | -1.50 | 0.50 | 1000 |' in page


def test_the_ranking_check_scores_arm_errors_of_candidates():
    config = small_config(state_dim=4, action_dim=9)
    policy = NFPolicy(config).eval()
    rng = np.random.default_rng(0)
    state = rng.normal(size=(30, 4)).astype(np.float32)
    actions = rng.normal(size=(30, 9)).astype(np.float32)
    data = WindowDataset([Episode(np.zeros((30, 0, 3, 1, 1), np.uint8), state, actions)],
                         ActionConfig(action_dim=9, horizon=4, stride=2))
    policy.action_normalizer.fit(torch.zeros(9), torch.ones(9))
    found = nfp_ranking.candidate_errors(policy, data, seed=0)
    assert found['windows'] == len(data)
    # an untrained flow at latent std 0.5: its zero latent is the mean chunk (closer than
    # a draw), and every error is positive and finite
    assert 0 < found['arm_rmse_zero'] < found['arm_rmse_random']
    assert -1.0 <= found['rank_correlation'] <= 1.0
