# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""policy_node on a robot without surprises (issue 34): signals, params files, bad
checkpoints, reasons reaching the client, names and namespaces, lifecycle managers, parameter
descriptors, oversized camera frames. Real processes on real DDS, like test_policy_node.py."""

from __future__ import annotations

import signal
import subprocess
import time

from policy_fixtures import make_checkpoint
import pytest
from ros_helpers import NodeProcess, executable, wait_for
from test_policy_node import Harness


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    return make_checkpoint(tmp_path_factory.mktemp('ckpt'))


# ---- signals (items 1, 2) -----------------------------------------------------------------
def send_signals(proc: subprocess.Popen, steps: tuple) -> None:
    """``steps``: 'INT' / 'TERM' send that signal, a number waits that many seconds."""
    for step in steps:
        if isinstance(step, str):
            proc.send_signal(getattr(signal, f'SIG{step}'))
        else:
            time.sleep(step)


def exit_code(proc: NodeProcess, timeout: float = 30.0) -> int:
    """The exit code, or a failure naming the hang (the process is killed)."""
    try:
        return proc.proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.proc.kill()
        raise AssertionError(f'still running {timeout} s after the signals:\n'
                             f'{proc.output()}') from None


def signal_ids(steps: tuple) -> str:
    return '-'.join(map(str, steps))


# launch sends SIGINT, then SIGTERM after a timeout; a terminal's Ctrl-C reaches launch and
# the node, and launch sends its own SIGINT 0.05-1 s later
SEQUENCES = [('TERM',), ('INT',), ('INT', 0.05, 'INT'), ('INT', 0.5, 'INT'),
             ('INT', 0.2, 'TERM')]


@pytest.mark.parametrize('steps', SEQUENCES, ids=signal_ids)
def test_a_ticking_node_stops_cleanly_on_the_first_signal_whatever_follows(checkpoint,
                                                                          tmp_path, steps):
    h = Harness(checkpoint, tmp_path)
    try:
        h.wait_running()  # ticking: camera and joint states flow, plans are computed
        send_signals(h.proc.proc, steps)
        code = exit_code(h.proc)
    finally:
        h.close()
    assert code == 0, h.proc.output()


@pytest.mark.parametrize('steps', [('TERM',), ('INT', 0.1, 'TERM')], ids=signal_ids)
def test_an_idle_node_stops_on_the_first_signal(tmp_path, steps):
    """Unconfigured, nothing to do: the main thread waits in the executor's spin."""
    proc = NodeProcess('policy_node', ['-p', 'autostart:=false'], tmp_path)
    wait_for(lambda: 'waiting for the configure transition' in proc.output(), 60,
             'the node up', proc)
    time.sleep(1.0)  # idle in the spin
    send_signals(proc.proc, steps)
    assert exit_code(proc, timeout=15) == 0, proc.output()


def test_a_node_stops_on_the_first_sigterm_while_it_compiles(checkpoint, tmp_path):
    """compile:=inductor spends ~15 s or more in configure at start-up."""
    proc = NodeProcess('policy_node', ['-p', f'checkpoint:={checkpoint}', '-p',
                                       'compile:=inductor'], tmp_path)
    wait_for(lambda: f'loading {checkpoint}' in proc.output(), 60, 'configure started', proc)
    time.sleep(1.0)
    assert ': ready' not in proc.output() and proc.alive(), 'still configuring'
    proc.proc.send_signal(signal.SIGTERM)
    assert exit_code(proc, timeout=20) == 0, proc.output()


# ---- params files (item 4) ----------------------------------------------------------------
PARAMS_FILES = {
    'missing': (None, 'no such file'),
    'not_yaml': ('/**/nf_policy:\n  ros__parameters: [1, 2\n', 'not valid YAML'),
    'no_value': ('/**/nf_policy:\n  ros__parameters:\n    sampling: {mode: }\n',
                 '/**/nf_policy/ros__parameters.sampling.mode has no value'),
    'flat': ('checkpoint: policy.pt\n', 'checkpoint holds a str: expected <node name>: '
                                        '{ros__parameters: {name: value, ...}}'),
}


@pytest.mark.parametrize('case', sorted(PARAMS_FILES))
def test_an_unusable_params_file_is_one_line_naming_it(tmp_path, case):
    content, reason = PARAMS_FILES[case]
    path = tmp_path / 'nope.yaml'
    if content is not None:
        path.write_text(content)
    done = subprocess.run([str(executable('policy_node')), '--ros-args', '--params-file',
                           str(path)], capture_output=True, text=True, timeout=120)
    lines = (done.stdout + done.stderr).strip().splitlines()
    assert done.returncode == 2, lines
    assert lines == [f'policy_node: --params-file {path}: {reason}'] or (
        len(lines) == 1 and lines[0].startswith(
            f'policy_node: --params-file {path}: {reason}')), lines
