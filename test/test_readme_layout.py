# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""README's "Layout" tree names every folder of the package, the benchmarks and the tests,
one line each, and no folder that does not exist."""

from __future__ import annotations

from pathlib import Path
import re
import subprocess

ROOT = Path(__file__).resolve().parents[1]
# trees drawn whole: every folder under them that git tracks a Python file in
DRAWN_WHOLE = ('nf_policy_ros', 'benchmarks', 'test')


def drawn_folders() -> set[str]:
    """The folders README's Layout block draws, as paths relative to the root."""
    text = (ROOT / 'README.md').read_text()
    block = text.split('## Layout', 1)[1].split('```')[1]
    folders, parents = set(), {}
    for line in block.splitlines():
        match = re.match(r'^([│├└─\s]*)(\S+/)\s', line + ' ')
        if not match:
            continue
        depth = len(match.group(1)) // 4
        name = match.group(2).rstrip('/')
        path = '/'.join([parents[d] for d in range(depth)] + [name])
        parents[depth] = name
        folders.add(path)
    return folders


def tracked_python_folders() -> set[str]:
    """Folders under DRAWN_WHOLE holding a tracked .py file (caches and data aside)."""
    files = subprocess.run(['git', 'ls-files', *DRAWN_WHOLE], cwd=ROOT, check=True,
                           capture_output=True, text=True).stdout.split()
    return {str(Path(f).parent) for f in files if f.endswith('.py')}


def test_the_layout_draws_every_folder_and_only_real_ones():
    drawn = drawn_folders()
    missing = tracked_python_folders() - drawn
    assert not missing, f'README Layout lacks: {sorted(missing)}'
    ghosts = sorted(f for f in drawn if not (ROOT / f).is_dir())
    assert not ghosts, f'README Layout draws folders that do not exist: {ghosts}'
