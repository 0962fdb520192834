# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""What the CLIs share: one-line errors, output paths checked before any work is done, and
SIGINT/SIGTERM turned into a stop request.

Exit codes: 0 done, 2 bad input (one line on stderr naming the option or file, the value
and the expectation; nothing written), 128 + signal number (130 SIGINT, 143 SIGTERM) when
a signal stopped the work after saving what lets it continue.
"""

from __future__ import annotations

import os
from pathlib import Path
import signal
import sys
import threading
from types import FrameType

EXIT_BAD_INPUT = 2
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class CliError(ValueError):
    """A bad command-line input; the message names the option, the value and the expectation."""


def check_output_dir(option: str, path: str | Path) -> Path:
    """``path`` if a directory exists there or can be made there; creates nothing.

    Refused: a file at ``path``, a file in place of a parent, a parent not writable.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise CliError(f'{option} {str(path)!r} is a file: expected a directory, or a path '
                       'where one can be created')
    parent = path
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise CliError(f'{option} {str(path)!r}: {str(parent)!r} is a file: expected a '
                       'directory there')
    if not os.access(parent, os.W_OK | os.X_OK):
        raise CliError(f'{option} {str(path)!r}: {str(parent)!r} is not writable: expected '
                       'a directory this user can write to')
    return path


def report(prog: str, exc: BaseException) -> int:
    """Print ``exc`` as the one error line of ``prog``; returns the bad-input exit code."""
    text = ' '.join(str(exc).split()) or type(exc).__name__
    print(f'{prog}: error: {text}', file=sys.stderr)
    return EXIT_BAD_INPUT


class StopOnSignal:
    """While entered, SIGINT/SIGTERM end the work cleanly: before ``arm()`` (nothing worth
    saving yet) the first one raises KeyboardInterrupt; after it, the first one sets
    ``event`` (the work stops after its current step and saves) and a second one quits at
    once with 128 + the signal number.

    Main thread only (Python runs signal handlers there); old handlers come back on exit.
    """

    def __init__(self, event: threading.Event, prog: str, action: str) -> None:
        self.event = event
        self.prog = prog
        self.action = action
        self.armed = False
        self.signum: int | None = None
        self._previous: dict[int, object] = {}

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name if self.signum else ''

    @property
    def exit_code(self) -> int:
        """128 + the signal number (130 SIGINT, 143 SIGTERM); 0 if no signal came."""
        return 128 + self.signum if self.signum else 0

    def arm(self) -> None:
        """From now on the first signal requests a stop instead of aborting."""
        self.armed = True

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if not self.armed:
            self.signum = signum
            raise KeyboardInterrupt(name)
        if self.signum is not None:
            print(f'{self.prog}: second {name}: quitting now', file=sys.stderr, flush=True)
            raise SystemExit(128 + signum)
        self.signum = signum
        self.event.set()
        print(f'{self.prog}: {name} received: {self.action} (send it again to quit at once)',
              file=sys.stderr, flush=True)

    def __enter__(self) -> StopOnSignal:
        for sig in STOP_SIGNALS:
            self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc_info: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, signal.SIG_DFL if handler is None else handler)
