# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""spin_node: a Ctrl-C is a clean exit, however late Python delivers it, with each executor
kind; an idle node costs no CPU; an unknown kind is one line."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

PROBE = textwrap.dedent("""
    import os, signal, sys, time
    from rclpy.node import Node
    from nf_policy_ros.nodes.common.spin import spin_node

    class Probe(Node):
        def __init__(self):
            super().__init__('spin_probe')
            self.create_timer(0.1, getattr(self, sys.argv[2]))

        def interrupt(self):
            os.kill(os.getpid(), signal.SIGINT)

        def interrupt_seen_as_runtime_error(self):
            # pybind11 turns a KeyboardInterrupt raised while rclpy converts a taken message
            # into a RuntimeError, before rclpy's signal thread shuts the context down
            try:
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.1)
            except KeyboardInterrupt:
                raise RuntimeError('Unable to convert call argument') from None

        def idle_cpu(self):
            # CPU the process spends over 2 s with nothing to do but this 10 Hz timer
            if not hasattr(self, 'start'):
                self.start = (time.monotonic(), time.process_time())
            elif time.monotonic() - self.start[0] > 2.0:
                print(f'idle cpu {time.process_time() - self.start[1]:.3f}', flush=True)
                os.kill(os.getpid(), signal.SIGTERM)

        def fail(self):
            raise RuntimeError('a real error in a callback')

        def close(self):
            # the interrupt that rclpy hands to Python after its own shutdown, arriving
            # while the node cleans up (the CI failure this guards against)
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.2)
            if sys.argv[2] != 'idle_cpu':
                print('closed', flush=True)

    raise SystemExit(spin_node(Probe, [], num_threads=int(sys.argv[1])))
""")


def probe(num_threads: int, callback: str, executor: str = '') -> subprocess.CompletedProcess:
    """Run the probe node; ``executor`` sets NF_POLICY_EXECUTOR (empty: the default)."""
    env = {**os.environ, 'NF_POLICY_EXECUTOR': executor}
    return subprocess.run([sys.executable, '-c', PROBE, str(num_threads), callback],
                          capture_output=True, text=True, timeout=60, env=env)


@pytest.mark.parametrize('num_threads,executor', [(1, ''), (2, ''), (1, 'events')])
@pytest.mark.parametrize('callback', ['interrupt', 'interrupt_seen_as_runtime_error'])
def test_an_interrupt_is_a_clean_exit_even_if_cleanup_sees_it_again(num_threads, executor,
                                                                    callback):
    done = probe(num_threads, callback, executor)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == 'closed'


@pytest.mark.parametrize('executor', ['single', 'events'])
def test_an_idle_node_costs_no_cpu_and_stops_on_the_first_sigterm(executor):
    """rclpy's EventsExecutor.spin() busy-waits (a core's worth of CPU with nothing to do)
    and its shutdown() never returns while it spins: spin_node must not use either."""
    done = probe(1, 'idle_cpu', executor)
    assert done.returncode == 0, done.stdout + done.stderr
    seconds = float(done.stdout.split()[-1])
    assert seconds < 0.3, f'{executor}: {seconds:.2f} s of CPU in 2 s idle'


def test_an_unknown_executor_kind_is_one_line():
    done = probe(1, 'interrupt', 'fast')
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and 'NF_POLICY_EXECUTOR' in lines[0] and "'fast'" in lines[0], lines


def test_an_error_without_a_signal_still_fails_the_process_after_closing():
    done = probe(1, 'fail')
    assert done.returncode == 1 and 'a real error in a callback' in done.stderr
    assert done.stdout.strip() == 'closed'
