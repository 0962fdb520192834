# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The NF-P recipe study's bookkeeping: shards keep a training whole, recipes that differ
only in execution share one training, the page pairs each recipe with the current one."""

from __future__ import annotations

from dataclasses import replace

from conftest import sine_episode, small_config
import numpy as np
import torch

from benchmarks.experiments import nfp_ranking, nfp_recipe
from benchmarks.protocol import kinds, networks, tier
from nf_policy_ros.config import ActionConfig, SamplingConfig
from nf_policy_ros.core.policy import NFPolicy
from nf_policy_ros.data.windows import Episode, WindowDataset
from nf_policy_ros.sim.rollout import ObservationHistory
from nf_policy_ros.structs import Observation

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


def test_obs_2_is_selected_zero_on_two_observations_in_a_training_of_its_own():
    obs2, zero = (nfp_recipe.RECIPES[k] for k in ('obs-2', 'selected-zero'))
    two, one = obs2.config(1000, 0), zero.config(1000, 0)
    assert (two.encoder.obs_horizon, one.encoder.obs_horizon) == (2, 1)
    assert replace(two, encoder=one.encoder) == one  # its training and execution otherwise
    assert obs2.sampler == zero.sampler == 'nfp-zero'
    assert obs2.execute_steps(two) == zero.execute_steps(one) == 16
    args = parse()
    assert nfp_recipe.training_key(args, ('assembly', 10, 0, 'obs-2')) != \
        nfp_recipe.training_key(args, ('assembly', 10, 0, 'selected-zero'))
    # the setting enters a hash only when set: the recipes' records keep theirs
    assert tier.config_hash(one) == '7842bc91d3'
    assert tier.config_hash(nfp_recipe.RECIPES['current'].config(1000, 1)) == '691749e8bc'
    assert tier.config_hash(kinds.trained_config(tier.tier_config(2000, 0),
                                                 kinds.get('nfp2'))) == '0fba0a6003'


def test_an_nfp_kind_of_two_observations_trains_and_acts_on_the_rollout_history():
    kind = kinds.Kind('nfp-obs2', kinds.NFP, 'two observations',
                      SamplingConfig(mode='zero_latent'), obs_horizon=2)
    config = small_config(steps=(20,), stride=2)
    trained = kinds.trained_config(config, kind)
    assert trained.encoder.obs_horizon == 2  # NF-P's horizon is its config's ...
    assert kinds.trained_config(config, kinds.get('dp-own')).encoder.obs_horizon == 1
    windows = networks.kind_windows(kind, trained, WindowDataset([sine_episode()],
                                                                 config.actions))
    assert windows.obs_horizon == 2
    policy, _ = networks.of(kind).train(kind, trained, windows, None)
    actor = networks.sampled_actor(kind, policy, torch.Generator().manual_seed(0))
    assert policy.obs_horizon == actor.obs_horizon == 2
    history = ObservationHistory(actor.obs_horizon, actor.stride)  # as run_policy feeds it
    for tick in range(3):
        history.push(Observation(None, torch.full((1, 3), float(tick))))
    assert history.stacked().state[0, :, 0].tolist() == [0.0, 2.0]
    assert actor.act(history.stacked()).chunk.shape == (1, 4, 3)


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


def test_pad_drop_is_recipe_2_without_padded_windows_and_the_page_pairs_it_with_recipe_2():
    """Hypothesis 5's screen: the same training as recipe 2 but for the padding, a training
    of its own; the page shows it (and obs-2) minus `selected-zero` under the rule fixed
    before the runs."""
    drop, zero = (nfp_recipe.RECIPES[k] for k in ('pad-drop', 'selected-zero'))
    dropped, padded = drop.config(1000, 0), zero.config(1000, 0)
    assert (dropped.actions.padding, padded.actions.padding) == ('drop', 'repeat_last')
    assert replace(dropped, actions=padded.actions) == padded
    assert tier.config_hash(dropped) != tier.config_hash(padded)
    records = [fake_record(t, s, r, w) for t in TASKS for s in range(3)
               for r, w in (('selected-zero', 12), ('pad-drop', 6), ('obs-2', 14))]
    page = nfp_recipe.render_page(records)
    assert nfp_recipe.POST_TEST_RULE in page
    table = page.split('Post-test screen (POST_TEST_RULE) minus `selected-zero`')[1]
    assert '| `obs-2` | assembly, basketball | +10 pts [' in table
    assert '| `pad-drop` | assembly, basketball | -30 pts [' in table


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
