# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Redraw benchmark pages from their JSON records, without running anything: after a change
to how a page is rendered, or to bring a page written by an older worker up to date.

    python -m benchmarks.render state_tier ablations vision_tier

A page is any module of benchmarks/pages/ or benchmarks/experiments/ with a ``NAME`` (its
docs/benchmarks/<NAME>.json) that defines ``render_page(records)``; it may also define
``write_figures(records)``: its plots, redrawn with the page. The pages are found, not
listed, so a new experiment's page needs no entry here.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
from types import ModuleType

from benchmarks.pages import records, report

ROOMS = ('benchmarks.pages', 'benchmarks.experiments')  # where the page modules lie


def pages() -> dict[str, ModuleType]:
    """Page name -> the module whose ``render_page`` draws it."""
    found: dict[str, ModuleType] = {}
    for room in ROOMS:
        package = importlib.import_module(room)
        for info in pkgutil.iter_modules(package.__path__, f'{room}.'):
            module = importlib.import_module(info.name)
            draws = getattr(module, 'render_page', None)
            if hasattr(module, 'NAME') and getattr(draws, '__module__', None) == info.name:
                if module.NAME in found:
                    raise ValueError(f'page {module.NAME!r}: drawn by both '
                                     f'{found[module.NAME].__name__} and {module.__name__}')
                found[module.NAME] = module
    return dict(sorted(found.items()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    found = pages()
    parser.add_argument('pages', nargs='+', choices=list(found))
    args = parser.parse_args(argv)
    for name in args.pages:
        module = found[name]
        report.rerender(name, module.render_page, getattr(module, 'write_figures', None))
        print(f'rendered {records.DOCS / name}.md', flush=True)
    return 0
