# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Process entry helper: init rclpy, spin a node, exit 0 on SIGINT/SIGTERM."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
import signal
import threading
import time

import rclpy
from rclpy.executors import (
    ExternalShutdownException,
    MultiThreadedExecutor,
    SingleThreadedExecutor,
)
from rclpy.node import Node


def spin_node(make_node: Callable[[], Node], argv: list[str] | None = None,
              num_threads: int = 2) -> int:
    """Create the node with ``make_node`` and spin it until shutdown; return the exit code.

    ``num_threads`` > 1 uses a multi-threaded executor (services stay responsive while a
    callback runs long); 1 a single-threaded one, which costs less GIL time per message.
    """
    rclpy.init(args=argv)
    node = executor = None
    try:
        try:
            node = make_node()
            executor = (MultiThreadedExecutor(num_threads=num_threads) if num_threads > 1
                        else SingleThreadedExecutor())
            executor.add_node(node)
            executor.spin()
        except ExternalShutdownException:
            pass
        except Exception:
            # A signal can interrupt rclpy while it converts a message it is taking: the
            # KeyboardInterrupt then surfaces as a RuntimeError from pybind11 ("Unable to
            # convert call argument", seen in CI) before rclpy's signal thread has shut the
            # context down. That is a clean shutdown, not a crash; any other error is.
            if not shutdown_follows(SHUTDOWN_GRACE_S):
                raise
    except KeyboardInterrupt:
        pass
    finally:
        with late_interrupt_ignored():
            close = getattr(node, 'close', None)
            if close is not None:
                close()
            if executor is not None:
                executor.shutdown()  # joins a multi-threaded executor's worker threads
            if node is not None:
                node.destroy_node()
            rclpy.try_shutdown()
    return 0


SHUTDOWN_GRACE_S = 2.0  # [s] an executor error this close before shutdown is the shutdown's


def shutdown_follows(timeout_s: float) -> bool:
    """True once the context is shut down (a signal's doing), within ``timeout_s`` [s]."""
    deadline = time.monotonic() + timeout_s
    while rclpy.ok():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


@contextmanager
def late_interrupt_ignored() -> Iterator[None]:
    """Keep the SIGINT that ended the spin from interrupting the clean-up.

    rclpy's signal handler shuts the context down from its own thread and also hands the
    signal to Python, which raises KeyboardInterrupt in the main thread at its next
    bytecode. The executor can see the shutdown first (ExternalShutdownException); the
    KeyboardInterrupt then lands wherever clean-up has got to (seen in CI: exit code 1 from
    a node that was shutting down cleanly). A pending SIGINT is handled by the Python
    handler installed when it is delivered, so this one only notes it.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread handles signals (and may set their handlers)
        return
    previous = signal.signal(signal.SIGINT, _note_interrupt_during_cleanup)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _note_interrupt_during_cleanup(signum: int, frame: object) -> None:
    """SIGINT while the node is already shutting down: nothing more to do."""
