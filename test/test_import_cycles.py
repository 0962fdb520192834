# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""No import cycle in nf_policy_ros/ or benchmarks/: the graph of every import statement
that runs (ast, at any depth: module level, inside functions and methods) between the
repository's modules has no strongly connected component of more than one module and no
module that imports itself. An import moved into a function to dodge a cycle is still an
edge here; only an import under ``if TYPE_CHECKING:`` is not (it never runs: a type
annotation's reference back is no cycle). A package's ``__init__`` counts as the module it
is; importing ``a.b.c`` is an edge to ``a.b.c`` alone."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

from layers import BENCHMARKS_DIR, PACKAGE_DIR, ROOT, imports_in, module_file, module_name


def type_checking_lines(source: str) -> set[int]:
    """The lines of the import statements under ``if TYPE_CHECKING:`` (or
    ``typing.TYPE_CHECKING``) in ``source``."""
    lines = set()
    for node in ast.walk(ast.parse(source)):
        test = node.test if isinstance(node, ast.If) else None
        name = getattr(test, 'id', None) or getattr(test, 'attr', None)
        if name == 'TYPE_CHECKING':
            lines |= {inner.lineno for stmt in node.body for inner in ast.walk(stmt)
                      if isinstance(inner, (ast.Import, ast.ImportFrom))}
    return lines


def import_graph(files: Iterable[Path]) -> dict[str, set[str]]:
    """module -> the modules of this repository it imports where the import runs."""
    graph: dict[str, set[str]] = {}
    for path in files:
        targets = set()
        typing_only = type_checking_lines(path.read_text())
        for imp in imports_in(path):
            if imp.line in typing_only:
                continue
            target = module_file(imp.module)
            if target is not None:
                targets.add(module_name(target))
        graph[module_name(path)] = targets
    return graph


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with a cycle (Tarjan's algorithm, iterative),
    each sorted, the list sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in graph.get(node, ()):
                    found.append(sorted(component))
    return sorted(found)


def repository_modules() -> list[Path]:
    return sorted(p for folder in (PACKAGE_DIR, BENCHMARKS_DIR) for p in folder.rglob('*.py')
                  if '__pycache__' not in p.parts)


def test_the_cycle_check_finds_cycles_of_any_length():
    assert cycles({'a': {'b'}, 'b': {'c'}, 'c': {'a'}, 'd': {'a'}}) == [['a', 'b', 'c']]
    assert cycles({'a': {'a'}, 'b': set()}) == [['a']]
    assert cycles({'a': {'b'}, 'b': {'c'}, 'c': set()}) == []
    assert cycles({'a': {'b'}, 'b': {'a'}, 'c': {'d'}, 'd': {'c'}}) == [['a', 'b'], ['c', 'd']]


def test_the_graph_counts_imports_inside_functions(tmp_path):
    """An import in a function body is an edge (benchmarks/protocol/tier.py's own file as
    the importer, so its relative names resolve)."""
    tier = BENCHMARKS_DIR / 'protocol' / 'tier.py'
    lazy = 'def f():\n    from benchmarks.pages import records\n'
    assert {imp.module for imp in imports_in(tier, lazy)} == {'benchmarks.pages.records'}


def test_type_checking_imports_are_no_edges():
    source = ('from typing import TYPE_CHECKING\nimport os\n'
              'if TYPE_CHECKING:\n    from a import b\n    import c\n'
              'def f():\n    import d\n')
    assert type_checking_lines(source) == {4, 5}


def test_no_import_cycle_in_the_package_or_the_benchmarks():
    modules = repository_modules()
    assert len(modules) > 100
    graph = import_graph(modules)
    assert 'benchmarks.pages.state_page' in graph['benchmarks.experiments.state_tier']
    found = cycles(graph)
    assert not found, 'import cycles:\n' + '\n'.join(' <-> '.join(c) for c in found)


def test_the_repository_root_is_where_the_modules_are():
    assert (ROOT / 'nf_policy_ros' / '__init__.py').is_file()
    assert (ROOT / 'benchmarks' / '__init__.py').is_file()
