# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""No import cycle in nf_policy_ros/: every import counts (module level, inside functions,
under ``if TYPE_CHECKING``; relative ones resolved), read with ``ast`` (test/layers.py's
``imports_in``), nothing imported. A cycle is reported as the modules around it, each with
the line of its import of the next."""

from __future__ import annotations

from pathlib import Path

from layers import PACKAGE, ROOT, imports_in, module_file, module_name, package_modules

# module -> {imported module of the package -> line of the first such import}
Graph = dict[str, dict[str, int]]


def import_graph(sources: dict[Path, str] | None = None) -> Graph:
    """The package's import graph; ``sources`` (module file -> text) replace files' text."""
    graph: Graph = {}
    for path in package_modules():
        edges = graph.setdefault(module_name(path), {})
        for imp in imports_in(path, (sources or {}).get(path)):
            target_file = module_file(imp.module)
            if imp.module.split('.')[0] == PACKAGE and target_file is not None:
                edges.setdefault(module_name(target_file), imp.line)
    for path, _ in (sources or {}).items():
        graph.setdefault(module_name(path), {})
    return graph


def strongly_connected(graph: Graph) -> list[list[str]]:
    """Tarjan's components with more than one module or a module importing itself."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(root: str) -> None:  # iterative: no recursion limit on a deep graph
        work = [(root, iter(sorted(graph.get(root, {}))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            module, targets = work[-1]
            target = next(targets, None)
            if target is not None:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph.get(target, {})))))
                elif target in on_stack:
                    low[module] = min(low[module], index[target])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[module])
            if low[module] == index[module]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == module:
                        break
                if len(component) > 1 or module in graph.get(module, {}):
                    found.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def one_cycle(graph: Graph, component: list[str]) -> list[str]:
    """A shortest cycle through the component's first module: [a, b, ..., a]."""
    start, members = component[0], set(component)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for module in frontier:
            for target in sorted(graph[module]):
                if target == start:
                    return paths[module] + [start]
                if target in members and target not in paths:
                    paths[target] = paths[module] + [target]
                    following.append(target)
        frontier = following
    raise AssertionError(f'no cycle through {start}')  # a component always has one


def describe(graph: Graph, cycle: list[str]) -> str:
    """'a (a.py:3) -> b (b.py:7) -> a': each module with the line importing the next."""
    hops = [f'{module} ({module_file(module).relative_to(ROOT)}:{graph[module][target]})'
            for module, target in zip(cycle, cycle[1:])]
    return ' -> '.join(hops + [cycle[-1]])


def cycles(graph: Graph) -> list[str]:
    return [describe(graph, one_cycle(graph, component))
            for component in strongly_connected(graph)]


def test_the_package_has_no_import_cycle():
    graph = import_graph()
    assert len(graph) > 60 and any(graph.values()), 'the walk found the package'
    found = cycles(graph)
    assert not found, 'import cycles:\n' + '\n'.join(found)


def test_a_cycle_through_a_lazy_or_type_checking_import_is_reported_with_its_lines():
    """The check sees what Python defers: ``TYPE_CHECKING`` blocks, imports in functions,
    relative imports (the cycle issue 33 removed was hidden under TYPE_CHECKING)."""
    policy = ROOT / PACKAGE / 'nodes' / 'policy'
    loop, node = policy / 'control_loop.py', policy / 'node.py'
    sources = {
        loop: 'from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n'
              '    from .node import PolicyNode\n',
        node: 'def make():\n    from nf_policy_ros.nodes.policy import control_loop\n',
    }
    found = cycles(import_graph(sources))
    assert found == [
        'nf_policy_ros.nodes.policy.control_loop (nf_policy_ros/nodes/policy/'
        'control_loop.py:3) -> nf_policy_ros.nodes.policy.node (nf_policy_ros/nodes/policy/'
        'node.py:2) -> nf_policy_ros.nodes.policy.control_loop'], found


def test_a_longer_cycle_and_a_self_import_are_each_one_report():
    graph: Graph = {'p.a': {'p.b': 1}, 'p.b': {'p.c': 2}, 'p.c': {'p.a': 3, 'p.d': 4},
                    'p.d': {}, 'p.e': {'p.e': 5}}
    components = strongly_connected(graph)
    assert components == [['p.a', 'p.b', 'p.c'], ['p.e']]
    assert one_cycle(graph, components[0]) == ['p.a', 'p.b', 'p.c', 'p.a']
    assert one_cycle(graph, components[1]) == ['p.e', 'p.e']
    assert strongly_connected({'p.a': {'p.b': 1}, 'p.b': {}}) == []
