# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""scripts/shards.sh: the grids' shards stop on the first Ctrl-C or SIGTERM (real bash, real
processes)."""

from __future__ import annotations

import os
from pathlib import Path
import signal
import subprocess
import time

import pytest

SHARDS = Path(__file__).resolve().parents[2] / 'scripts' / 'shards.sh'
# a stand-in shard: notes its pid, then sleeps far longer than the test waits
SLEEPER = """import os, sys, time
open(f"pid_{sys.argv[sys.argv.index('--shard') + 1].split('/')[0]}", 'w').write(str(os.getpid()))
time.sleep(120)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _wait_for(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


@pytest.mark.parametrize('to_group, sig', [(True, signal.SIGINT), (False, signal.SIGTERM)],
                         ids=['ctrl-c', 'sigterm'])
def test_the_first_signal_stops_every_shard(tmp_path, to_group, sig):
    """Ctrl-C reaches the whole process group (the shards ignore SIGINT as background jobs of
    a script); `kill` reaches the script alone. Either way every shard ends, and the grid
    exits non-zero."""
    (tmp_path / 'sleeper.py').write_text(SLEEPER)
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    grid = subprocess.Popen(['bash', '-c', f'source {SHARDS}; run_shards grid 2 sleeper'],
                            cwd=tmp_path, env=env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    pid_files = [tmp_path / 'pid_0', tmp_path / 'pid_1']
    try:
        assert _wait_for(lambda: all(p.exists() and p.read_text() for p in pid_files), 20)
        shards = [int(p.read_text()) for p in pid_files]
        if to_group:
            os.killpg(grid.pid, sig)
        else:
            grid.send_signal(sig)
        out, _ = grid.communicate(timeout=15)
        assert grid.returncode != 0, out
        assert 'stopping the shards' in out
        assert _wait_for(lambda: not any(_alive(pid) for pid in shards), 5), out
    finally:
        if grid.poll() is None:
            os.killpg(grid.pid, signal.SIGKILL)
        for p in pid_files:
            if p.exists() and p.read_text() and _alive(int(p.read_text())):
                os.kill(int(p.read_text()), signal.SIGKILL)
