# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Honest timing and self-describing results for every benchmark script.

Timings: warm-up calls excluded, ``perf_counter`` around each call, CUDA synchronized, and
p50/p95 reported. Results: one JSON record per run appended to ``docs/benchmarks/<name>.json``
(benchmarks.records: versioned) with the machine, library versions, thread count and git
SHA; the Markdown page beside it is regenerated from all records by the script, never
edited by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
import os
from pathlib import Path
import platform
import statistics
import threading
import time
from typing import Any

import numpy as np
import torch

from benchmarks.pages import records
from nf_policy_ros.core.checkpoint import git_sha


def time_calls(fn: Callable[[], Any], repeats: int, warmup: int,
               device: torch.device) -> dict[str, float]:
    """p50/p95/mean [ms] of ``fn()`` over ``repeats`` calls after ``warmup`` calls."""
    for _ in range(warmup):
        fn()
    _sync(device)
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        _sync(device)
        samples.append((time.perf_counter() - start) * 1e3)
    return {'p50_ms': float(np.percentile(samples, 50)),
            'p95_ms': float(np.percentile(samples, 95)),
            'mean_ms': statistics.fmean(samples), 'n': repeats}


def time_interleaved(fns: dict[str, Callable[[], Any]], repeats: int, warmup: int,
                     device: torch.device) -> dict[str, dict[str, float]]:
    """``time_calls`` of several functions in rounds (one call of each per round), so a
    slow spell of a shared machine hits them all alike and their ratios stay fair."""
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    _sync(device)
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            _sync(device)
            samples[name].append((time.perf_counter() - start) * 1e3)
    return {name: {'p50_ms': float(np.percentile(v, 50)), 'p95_ms': float(np.percentile(v, 95)),
                   'mean_ms': statistics.fmean(v), 'n': repeats} for name, v in samples.items()}


def _sync(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def cpu_model() -> str:
    try:
        for line in Path('/proc/cpuinfo').read_text().splitlines():
            if line.startswith('model name'):
                return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or 'unknown'


# the commit this process's code came from: read once, at import, so a run that spans a
# commit (hours of training while the checkout moves on) records the code that ran
CODE_SHA = git_sha()


def machine_info(device: torch.device) -> dict[str, Any]:
    """Where and with what the numbers were measured (``git_sha``: the commit checked out
    when this process imported the benchmarks, not when the record was written)."""
    info = {
        'git_sha': CODE_SHA, 'date_utc': datetime.now(timezone.utc).isoformat(timespec='seconds'),
        'host_cpu': cpu_model(), 'cpu_count': os.cpu_count(),
        'torch_threads': torch.get_num_threads(), 'python': platform.python_version(),
        'torch': torch.__version__, 'device': str(device),
        # runnable processes averaged over 1, 5 and 15 min when the record was made: above
        # the benchmark's own threads, something else shared the CPU (timings suspect)
        'load_avg': [round(x, 2) for x in os.getloadavg()],
    }
    if device.type == 'cuda':
        info['gpu'] = torch.cuda.get_device_name(device)
    return info


def matmul_peak_gflops(device: torch.device, size: int = 1024, repeats: int = 20) -> float:
    """Measured float32 matmul throughput [GFLOP/s]: this machine's practical limit."""
    a = torch.randn(size, size, device=device)
    b = torch.randn(size, size, device=device)
    timing = time_calls(lambda: a @ b, repeats, 3, device)
    return 2 * size ** 3 / (timing['p50_ms'] * 1e-3) / 1e9


def publish(name: str, record: dict[str, Any], render_page, write_docs: bool,
            figures: Callable[[list[dict[str, Any]]], None] | None = None) -> None:
    """With ``write_docs`` append ``record`` to docs/benchmarks/<name>.json, regenerate the
    page (``_write_page``) from all records and print it, so a worker's log shows what the
    docs show; without, print the page of ``record`` alone. The file's older records are
    rewritten in the current format (``records.migrate``)."""
    record = records.stamp(record)
    if not write_docs:
        print(render_page([record]))
        return
    with records.locked(name):
        every = [*records.load(name), record]
        records.save(name, every)
        page = _write_page(name, every, render_page, figures)
    print(page)


def rerender(name: str, render_page,
             figures: Callable[[list[dict[str, Any]]], None] | None = None) -> None:
    """Regenerate docs/benchmarks/<name>.md (and its ``figures``) from its JSON records
    (under the writers' lock)."""
    with records.locked(name):
        _write_page(name, records.load(name), render_page, figures)


def _write_page(name: str, every: list[dict[str, Any]], render_page,
                figures: Callable[[list[dict[str, Any]]], None] | None) -> str:
    """Write docs/benchmarks/<name>.md (and, with ``figures``, its figures) from ``every``
    record; returns the page. Call under ``records.locked(name)``, so parallel workers
    never lose a record or leave a stale page."""
    page = render_page(every)
    records.write_text(records.DOCS / f'{name}.md', page)
    if figures is not None:
        figures(every)
    return page


def wilson_interval(successes: int, trials: int, z: float = 1.96) -> tuple[float, float]:
    """95 % Wilson score interval of a success rate, as fractions (honest at 0 or n wins)."""
    if trials <= 0:
        return float('nan'), float('nan')
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = (z / (1 + z * z / trials)) * np.sqrt(p * (1 - p) / trials + z * z / (4 * trials ** 2))
    return float(max(0.0, centre - half)), float(min(1.0, centre + half))


def successes_with_interval(wins: int, trials: int) -> str:
    """'12/20, CI 39-78': the count and its 95 % Wilson interval in %."""
    low, high = wilson_interval(wins, trials)
    return f'{wins}/{trials}, CI {100 * low:.0f}-{100 * high:.0f}'


def markdown_table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ['| ' + ' | '.join(header) + ' |', '|' + ' --- |' * len(header)]
    lines += ['| ' + ' | '.join(_cell(c) for c in row) + ' |' for row in rows]
    return '\n'.join(lines)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f'{value:.1f}' if abs(value) >= 10 else f'{value:.2f}'
    return str(value)


def describe_machine(info: dict[str, Any]) -> str:
    gpu = f", GPU {info['gpu']}" if 'gpu' in info else ''
    load = ('' if 'load_avg' not in info else ', load average (1/5/15 min) '
            + '/'.join(f'{x:.1f}' for x in info['load_avg']))
    return (f"{info['date_utc']}, git `{info['git_sha'][:10]}`, {info['host_cpu']} "
            f"({info['cpu_count']} cores), torch {info['torch']} with "
            f"{info['torch_threads']} thread(s), device `{info['device']}`{gpu}{load}")


def run_script(parser, argv: list[str] | None, run: Callable[[Any], Any],
               threads: int = 1) -> int:
    """Add ``--threads`` and ``--write-docs`` to a benchmark's parser, parse, fix torch's
    thread count, and call ``run(args)``; returns the exit code."""
    parser.add_argument('--threads', type=int, default=threads)
    parser.add_argument('--write-docs', action='store_true')
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    run(args)
    return 0


class Deadline(threading.Event):
    """An event set once ``minutes`` have passed (0 = never): a session's share of a long
    run. ``minutes_left()`` lets a run start only the jobs that can finish in time, so
    nothing half-trained is left behind when a checkout does not survive the session."""

    def __init__(self, minutes: float) -> None:
        super().__init__()
        self.end = time.monotonic() + minutes * 60.0 if minutes > 0 else None
        if self.end is not None:
            timer = threading.Timer(minutes * 60.0, self.set)
            timer.daemon = True
            timer.start()

    def minutes_left(self) -> float:
        """[min] until the event is set (inf without a limit)."""
        if self.end is None:
            return float('inf')
        return max(0.0, (self.end - time.monotonic()) / 60.0)


def stop_after(minutes: float) -> Deadline:
    """A Deadline ``minutes`` from now (0 = never)."""
    return Deadline(minutes)
