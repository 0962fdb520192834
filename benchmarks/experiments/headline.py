# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The choices the test-split headline runs on (benchmarks.pages.headline_page), for
scripts/headline.sh:

    python -m benchmarks.headline budget dp-own     # steps, or one line why not yet
    python -m benchmarks.headline fast-sampler      # dp-own or dp-own-eta1
    python -m benchmarks.headline recipes           # NF-P's recipes, newest first: nfp2, nfp
"""

from __future__ import annotations

import argparse
import sys

from benchmarks.pages import records, state_page
from benchmarks.pages.headline_page import FAST_SAMPLERS, RECIPES, budget, fast_sampler
from benchmarks.protocol import kinds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = parser.add_subparsers(dest='what', required=True)
    sub.add_parser('budget', help="a policy's training steps").add_argument(
        'policy', choices=kinds.keys(kinds.STATE))
    sub.add_parser('fast-sampler', help="DP (own recipe)'s headline fast sampler")
    sub.add_parser('recipes', help='the NF-P recipes the headline shows, newest first')
    args = parser.parse_args(argv)
    try:
        if args.what == 'budget':
            print(budget(args.policy))
        elif args.what == 'recipes':
            print('\n'.join(RECIPES))
        else:
            print(fast_sampler(records.load(state_page.NAME), budget(FAST_SAMPLERS[0]))[0])
    except ValueError as error:
        print(f'headline: {error}', file=sys.stderr)
        return 2
    return 0
