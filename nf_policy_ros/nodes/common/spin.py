# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Process entry helper: init rclpy, spin a node, stop on the first SIGINT or SIGTERM.

Signals. rclpy's own handlers are not installed: rclpy shuts the context down from a thread
of its own and, for SIGINT, also raises KeyboardInterrupt wherever the main thread happens
to be, and after ``try_shutdown`` it restores the default handlers, so a second signal during
the clean-up killed the process (exit -2 under ``ros2 launch``, which sends SIGINT and later
SIGTERM, while a terminal's Ctrl-C also reaches the node; 130 when run directly). Here the
executor spins in a worker thread and the main thread only waits, so Python runs the
handlers below at once, whatever the node is doing:

- the first SIGINT or SIGTERM while the node is being made (loading a checkpoint, compiling)
  raises ``StopRequested`` there, abandoning the start-up; while spinning it ends the wait;
- every later one is ignored: the node is already stopping;
- the clean-up and the interpreter's exit run with both signals ignored.

A stop by signal exits 0; an error in a callback still fails the process (exit 1).

Before ``rclpy.init``, each ``--params-file`` is checked (node_config/ros_args.py): a missing
or malformed one ends the process with one line naming the file and what is wrong (exit 2),
not rcl's traceback.
"""

from __future__ import annotations

from collections.abc import Callable
import os
import signal
import sys
import threading

import rclpy
from rclpy.executors import (
    ExternalShutdownException,
    MultiThreadedExecutor,
    SingleThreadedExecutor,
)
from rclpy.impl.implementation_singleton import rclpy_implementation as _rclpy
from rclpy.node import Node
from rclpy.signals import SignalHandlerOptions

from nf_policy_ros.config import ConfigError
from nf_policy_ros.node_config.ros_args import check_params_files, rcl_error_line

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
WAIT_PERIOD_S = 0.1  # [s] how often the main and spin threads look at their stop flags
EXECUTOR_ENV = 'NF_POLICY_EXECUTOR'  # overrides a node's executor kind (executor_kind)
EXECUTORS = ('single', 'multi', 'events')
USAGE_ERROR = 2  # exit code of a bad command line (a params file that cannot be used)


class StopRequested(BaseException):  # noqa: N818 (not an error: a request, like KeyboardInterrupt)
    """The first SIGINT/SIGTERM, raised in the main thread while the node is being made."""


class StopSignals:
    """SIGINT/SIGTERM handlers of a node process (main thread only).

    ``requested`` turns true at the first signal; that signal raises ``StopRequested`` while
    ``interrupting`` (start-up), later ones do nothing. The handler takes no lock, so it is
    safe wherever the main thread is.
    """

    def __init__(self) -> None:
        self.requested = False
        self.interrupting = True
        for signum in STOP_SIGNALS:
            signal.signal(signum, self._on_signal)

    def _on_signal(self, signum: int, frame: object) -> None:
        first = not self.requested
        self.requested = True
        if first and self.interrupting:
            raise StopRequested(signal.Signals(signum).name)

    @staticmethod
    def ignore_from_now() -> None:
        """Ignore both signals for the rest of the process (clean-up, interpreter exit)."""
        for signum in STOP_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)


def spin_node(make_node: Callable[[], Node], argv: list[str] | None = None,
              num_threads: int = 2, executor_default: str | None = None) -> int:
    """Create the node with ``make_node`` and spin it until SIGINT/SIGTERM; return the exit
    code (0: stopped by a signal; 2: unusable params file). Call from the main thread.

    ``num_threads`` > 1 uses a multi-threaded executor (services stay responsive while a
    callback runs long); 1 a single-threaded one, which costs less GIL time per message;
    ``executor_default`` (EXECUTORS) names another kind, e.g. ``events``; the environment
    variable NF_POLICY_EXECUTOR overrides either.
    """
    stop = StopSignals()
    program = os.path.basename(sys.argv[0]) if sys.argv else 'node'
    try:
        check_params_files(argv or [])
        kind = executor_kind(executor_default or ('multi' if num_threads > 1 else 'single'))
        rclpy.init(args=argv, signal_handler_options=SignalHandlerOptions.NO)
    except StopRequested:
        return 0
    except (ConfigError, _rclpy.RCLError) as exc:
        stop.ignore_from_now()
        print(f'{program}: {rcl_error_line(str(exc))}', file=sys.stderr)
        return USAGE_ERROR
    node = executor = spinner = None
    errors: list[BaseException] = []
    spinning = threading.Event()
    try:
        node = make_node()
        executor = make_executor(kind, num_threads)
        executor.add_node(node)
        spinning.set()
        spinner = threading.Thread(target=_spin, args=(executor, spinning, errors),
                                   name='spin', daemon=True)
        stop.interrupting = False
        spinner.start()
        while spinner.is_alive() and not stop.requested:
            spinner.join(WAIT_PERIOD_S)
    except StopRequested:
        pass
    except Exception:
        if not stop.requested:  # an error of its own, not the start-up a signal abandoned
            raise
    finally:
        stop.interrupting = False
        stop.ignore_from_now()
        spinning.clear()
        _close(node, executor, spinner)
    if errors and not stop.requested:
        raise errors[0]
    return 0


def make_executor(kind: str, num_threads: int = 1):
    """A new executor of ``kind`` (EXECUTORS): ``single`` rclpy's SingleThreadedExecutor,
    ``multi`` its MultiThreadedExecutor with ``num_threads`` threads, ``events`` its
    experimental EventsExecutor (one thread; the wait and dispatch are C++, with no Python
    wait set rebuilt per wake-up: ADR "The policy node's executor")."""
    if kind == 'events':
        from rclpy.experimental import EventsExecutor
        return EventsExecutor()
    if kind == 'multi':
        return MultiThreadedExecutor(num_threads=num_threads)
    return SingleThreadedExecutor()  # 'single' (executor_kind checked the name)


def executor_kind(default: str) -> str:
    """The executor a node process uses: ``$NF_POLICY_EXECUTOR`` when set (the way back to
    rclpy's standard executors, should the experimental one misbehave), else ``default``.
    Raises ConfigError naming the variable for an unknown kind."""
    kind = os.environ.get(EXECUTOR_ENV, '').strip() or default
    if kind not in EXECUTORS:
        raise ConfigError(f'{EXECUTOR_ENV}={kind!r}: expected one of {", ".join(EXECUTORS)}')
    return kind


def _spin(executor, spinning: threading.Event, errors: list[BaseException]) -> None:
    """The spin thread: handle work while ``spinning`` is set and the context is up (a node
    may end its own process, e.g. train_node's ``exit_when_done``); keep an error for main.

    A loop of bounded ``spin_once`` calls, not ``executor.spin()``: the stop is this
    thread's own flag, so it never depends on ``shutdown()`` waking a blocked spin (the
    EventsExecutor's ``spin()`` busy-waits and its ``shutdown()`` never returns while it
    spins, rclpy Kilted).
    """
    try:
        while spinning.is_set() and executor.context.ok():  # a callback may shut rclpy down
            executor.spin_once(timeout_sec=WAIT_PERIOD_S)
    except ExternalShutdownException:
        pass
    except Exception as exc:  # a callback's error: the process fails with it
        errors.append(exc)


def _close(node: Node | None, executor, spinner: threading.Thread | None) -> None:
    """Stop the node's own threads, the executor and rclpy (signals already ignored)."""
    close = getattr(node, 'close', None)
    if close is not None:
        close()
    if spinner is not None:
        spinner.join(timeout=5.0)  # its flag is clear: ends within one spin_once
    if executor is not None:
        executor.shutdown(timeout_sec=5.0)  # joins a multi-threaded executor's workers
    if node is not None:
        node.destroy_node()
    rclpy.try_shutdown()
