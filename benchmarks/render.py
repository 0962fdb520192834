# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Redraw benchmark pages from their JSON records, without running anything: after a change
to how a page is rendered, or to bring a page written by an older worker up to date.

    python -m benchmarks.render state_tier ablations vision_tier

A page module may also define ``write_figures(records)``: its plots, redrawn with the page.
"""

from __future__ import annotations

import argparse
import importlib

from benchmarks import records, report

# page name (docs/benchmarks/<name>.json) -> the module whose render_page draws it
PAGES = {'ablations': 'ablations', 'blind_floor': 'blind_floor', 'gate_delay': 'gate_delay',
         'confidence_auroc': 'confidence_auroc',
         'conversion': 'conversion', 'candidate_precision': 'candidate_precision',
         'core': 'core_latency', 'demo': 'demo_report',
         'image_use': 'image_use', 'nfp_ranking': 'nfp_ranking',
         'nfp_recipe': 'nfp_recipe',
         'learning_curves': 'curve_page', 'node': 'node_latency',
         'policy_latency': 'policy_latency',
         'sim_success': 'sim_success', 'state_tier': 'state_tier',
         'train_step': 'train_step', 'vision_tier': 'vision_tier'}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('pages', nargs='+', choices=sorted(PAGES))
    args = parser.parse_args(argv)
    for name in args.pages:
        module = importlib.import_module(f'benchmarks.{PAGES[name]}')
        report.rerender(name, module.render_page, getattr(module, 'write_figures', None))
        print(f'rendered {records.DOCS / name}.md', flush=True)
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
