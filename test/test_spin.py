# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""spin_node: a Ctrl-C is a clean exit, however late Python delivers it."""

from __future__ import annotations

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

        def fail(self):
            raise RuntimeError('a real error in a callback')

        def close(self):
            # the interrupt that rclpy hands to Python after its own shutdown, arriving
            # while the node cleans up (the CI failure this guards against)
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.2)
            print('closed', flush=True)

    raise SystemExit(spin_node(Probe, [], num_threads=int(sys.argv[1])))
""")


def probe(num_threads: int, callback: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, '-c', PROBE, str(num_threads), callback],
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize('num_threads', [1, 2])
@pytest.mark.parametrize('callback', ['interrupt', 'interrupt_seen_as_runtime_error'])
def test_an_interrupt_is_a_clean_exit_even_if_cleanup_sees_it_again(num_threads, callback):
    done = probe(num_threads, callback)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == 'closed'


def test_an_error_without_a_signal_still_fails_the_process_after_closing():
    done = probe(1, 'fail')
    assert done.returncode == 1 and 'a real error in a callback' in done.stderr
    assert done.stdout.strip() == 'closed'
