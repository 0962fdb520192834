# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The benchmarks live beside the product, not in it: the installed package neither holds
nor imports them (a robot runs without them)."""

from __future__ import annotations

import ast
from pathlib import Path
import subprocess
import sys

ROOT = Path(__file__).resolve().parents[1]


def benchmark_imports(source: str) -> list[str]:
    """Every module named by an import statement of ``source`` whose top-level package is
    ``benchmarks`` (also inside functions)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [name for name in names if name.split('.')[0] == 'benchmarks']
    return found


def test_the_import_check_finds_benchmark_imports_anywhere():
    source = ('import os\nfrom benchmarks import report\n'
              'def f():\n    import benchmarks.kinds as k\n'
              'from nf_policy_ros import benchmarks_like\nfrom . import benchmarks\n')
    assert benchmark_imports(source) == ['benchmarks', 'benchmarks.kinds']


def test_the_installed_package_never_imports_the_benchmarks():
    modules = sorted((ROOT / 'nf_policy_ros').rglob('*.py')) + sorted(
        (ROOT / 'launch').glob('*.py'))
    assert len(modules) > 20
    offenders = {str(p.relative_to(ROOT)): found for p in modules
                 if (found := benchmark_imports(p.read_text()))}
    assert offenders == {}


def test_the_package_build_installs_no_benchmark(tmp_path):
    """What setuptools would install (egg_info of setup.py): the nf_policy_ros package only,
    no file of benchmarks/ and no bench/ inside the package."""
    subprocess.run([sys.executable, 'setup.py', '-q', 'egg_info', '--egg-base', str(tmp_path)],
                   cwd=ROOT, check=True, capture_output=True, timeout=120)
    [info] = tmp_path.glob('*.egg-info')
    assert (info / 'top_level.txt').read_text().split() == ['nf_policy_ros']
    sources = (info / 'SOURCES.txt').read_text().split()
    assert 'nf_policy_ros/core/policy.py' in sources
    assert [s for s in sources if s.startswith(('benchmarks/', 'nf_policy_ros/bench/'))] == []
    assert not (ROOT / 'nf_policy_ros' / 'bench').exists()
