# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The benchmark records: docs/benchmarks/<page>.json, one JSON list per page, versioned.

Every record carries ``"format"`` (``FORMAT`` when written by this code). ``load`` brings
older records to the current format in one step (``migrate``), so page code reads every
field it needs directly and never sees an old format; files written by runs that started
before a format change are migrated as they are read. ``python -m benchmarks.records
<page> ...`` rewrites files in the current format (``--all``: every page).

Format 1 (no "format" field): the records before versioning. Format 2 fills what they left
out with the values those runs used: the evaluation split (every evaluation before the test
split existed ran on the tuning split, start states 10000+), the training recipe (lr 1e-3;
EMA with a fixed decay before ``ema_warmup`` was recorded), the servo bandwidth, the vision
tier's image size, trunk stride, crop, state noise, placement scale and camera condition
(None: a run of the earlier, blind encoder), the compile path of the latency pages, and the
fields later added to confidence and latency rows (None: not measured). Format 3 adds the
vision tier's encoder warm-up steps (0 before it existed). Format 4 adds the vision tier's
warm-up precision ('fp32' before it existed) and camera path (the revision of
benchmarks.protocol.tier.camera_path: 1 for the blind encoder's runs, 2 for the runs after
it, 3 from the trunks frozen for autograd after the warm-up on). Format 5 adds the
closed-loop records' ``budget``: 'fixed' (the steps given on the command line: every record
before it) or 'tuned' (each policy's steps chosen on the tuning split's learning curves: the
state tier's test split). Format 6 adds the ablations' training ``seed`` (0 before it was
recorded: the script's one seed, ``--seed`` defaulting to 0). Format 7 makes the state
tier's ``train_s`` the network's whole training time (summed over sessions, the same for
every sampler of one training); older records keep what they measured, their job's seconds,
as ``job_train_s``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
import contextlib
import fcntl
import json
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parents[2] / 'docs' / 'benchmarks'  # <repository>/docs/...
FORMAT = 7
TUNE_SEED0 = 10_000  # the tuning split's first start state: every evaluation before format 2
# [rad/s] the simulated servo of records from before records carried it (sim.task's
# TASK_OMEGA then; assembly moved to 300 rad/s afterwards)
SERVO_BEFORE_RECORDED = {'assembly': 200.0, 'basketball': 200.0, 'bin-picking': 200.0,
                         'drawer-open': 100.0, 'hammer': 100.0, 'lever-pull': 300.0,
                         'peg-insert-side': 300.0}
# the vision tier's settings before records carried them
VISION_BEFORE_RECORDED = {'image': 84, 'trunk_stride': 0, 'crop_fraction': 0.9,
                          'state_noise_std': 0.0, 'object_range_scale': 1.0, 'camera': None}

Record = dict[str, Any]


def _servo(name: str, record: Record) -> float:
    if record['task'] not in SERVO_BEFORE_RECORDED:
        raise ValueError(f"{name}.json: record of task={record['task']!r} has no servo_omega "
                         'and no servo is known for it before servos were recorded')
    return SERVO_BEFORE_RECORDED[record['task']]


def _closed_loop(name: str, record: Record) -> Record:
    """The state tier's and the ablations' fields of format 2."""
    out = {'split': 'tune', 'lr': 1e-3, 'ema_warmup': False}
    if 'servo_omega' not in record:
        out['servo_omega'] = _servo(name, record)
    if 'successes' in record:
        out['eval_seed0'] = TUNE_SEED0
    return out


def _vision(name: str, record: Record) -> Record:
    return {'split': 'tune', 'eval_seed0': TUNE_SEED0, **VISION_BEFORE_RECORDED}


def _sim_success(name: str, record: Record) -> Record:
    return {'split': 'tune', 'eval_seed0': TUNE_SEED0}


def _latency(name: str, record: Record) -> Record:
    return {'compile': 'eager'}


def _core(name: str, record: Record) -> Record:
    """Per run: the compile path, training as a list (one dict before precisions), fp32."""
    runs = []
    for run in record['runs']:
        training = run.get('training', [])
        training = [training] if isinstance(training, dict) else training
        runs.append({**run, 'compile': run.get('compile', 'eager'),
                     'training': [{**t, 'precision': t.get('precision', 'fp32')}
                                  for t in training]})
    return {'runs': runs}


def _node(name: str, record: Record) -> Record:
    fill = {'compile': 'eager', 'num_candidates_end': None, 'degraded_ticks': None}
    return {'runs': [_fill(run, fill) for run in record['runs']]}


def _confidence(name: str, record: Record) -> Record:
    fill = {'auroc_early': None, 'plans_success': None, 'plans_failure': None}
    return {'traces_plotted': [], 'failure': [_fill(row, fill) for row in record['failure']]}


def _fill(row: Record, defaults: Record) -> Record:
    """``row`` with the ``defaults`` it lacks, after its own fields."""
    return {**row, **{k: v for k, v in defaults.items() if k not in row}}


# page -> the fields format 2 adds to a format-1 record of it (kept where the record has
# them, except the nested lists these return whole)
TO_FORMAT_2: dict[str, Callable[[str, Record], Record]] = {
    'state_tier': _closed_loop, 'ablations': _closed_loop, 'vision_tier': _vision,
    'sim_success': _sim_success, 'policy_latency': _latency, 'core': _core, 'node': _node,
    'confidence_auroc': _confidence}
NESTED = ('runs', 'failure')


def _to_format_2(name: str, record: Record) -> Record:
    added = TO_FORMAT_2.get(name, lambda *_: {})(name, record)
    return {**_fill(record, added), **{k: v for k, v in added.items() if k in NESTED}}


# format n -> n + 1. A change of what a record holds: FORMAT + 1 and a step here that fills
# the new fields of older records with the values their runs used.
def _to_format_3(name: str, record: Record) -> Record:
    """Format 3: vision-tier runs record the encoder warm-up steps (0 before it existed)."""
    if name == 'vision_tier':
        record.setdefault('encoder_warmup_steps', 0)
    return record


def _to_format_4(name: str, record: Record) -> Record:
    """Format 4: vision-tier runs record the warm-up precision and the camera path."""
    if name == 'vision_tier':
        record.setdefault('warmup_precision', 'fp32')
        record.setdefault('camera_path', 1 if record.get('camera') is None else 2)
    return record


def _to_format_5(name: str, record: Record) -> Record:
    """Format 5: closed-loop runs record how their training budget was set."""
    if name in CLOSED_LOOP:
        record.setdefault('budget', 'fixed')
    return record


def _to_format_6(name: str, record: Record) -> Record:
    """Format 6: ablation runs record their training seed."""
    if name == 'ablations':
        record.setdefault('seed', 0)
    return record


def _to_format_7(name: str, record: Record) -> Record:
    """Format 7: a state-tier record's ``train_s`` is its network's whole training time.
    Before, it was the seconds its own job spent (a resumed training's last part, the load
    of a training another sampler's job had run): kept as ``job_train_s``, ``train_s``
    None (not known), except from a learning-curve training, whose clock was whole."""
    if name == 'state_tier' and 'trained_in' not in record:
        record['job_train_s'] = record.get('train_s')
        record['train_s'] = None
    return record


CLOSED_LOOP = ('state_tier', 'ablations', 'vision_tier')
UPGRADES: dict[int, Callable[[str, Record], Record]] = {1: _to_format_2, 2: _to_format_3,
                                                         3: _to_format_4, 4: _to_format_5,
                                                         5: _to_format_6, 6: _to_format_7}


def migrate(name: str, record: Record) -> Record:
    """``record`` of docs/benchmarks/<name>.json in format ``FORMAT``: the record itself when
    it is current, else a new dict with the record's fields in their order, ``format``
    first and the added fields last."""
    version = record.get('format', 1)
    if version == FORMAT:
        return record
    if version not in UPGRADES:
        raise ValueError(f'{name}.json: record format={version!r}: expected 1 to {FORMAT} '
                         '(written by newer code?)')
    out = {'format': FORMAT, **record}
    for step in range(version, FORMAT):
        out = UPGRADES[step](name, out)
    out['format'] = FORMAT
    return out


def stamp(record: Record) -> Record:
    """A record written now: ``format`` first."""
    return {'format': FORMAT, **record}


def load(name: str) -> list[Record]:
    """The records of docs/benchmarks/<name>.json in the current format ([] without any)."""
    path = DOCS / f'{name}.json'
    return [migrate(name, r) for r in json.loads(path.read_text())] if path.exists() else []


@contextlib.contextmanager
def locked(name: str) -> Iterator[None]:
    """Serialise writers of docs/benchmarks/<name>.* (parallel benchmark workers)."""
    DOCS.mkdir(parents=True, exist_ok=True)
    with open(DOCS / f'.{name}.lock', 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def write_text(path: Path, text: str) -> None:
    """Replace ``path`` atomically (a reader never sees half a file)."""
    tmp = path.with_name(path.name + '.tmp')
    tmp.write_text(text)
    tmp.replace(path)


def save(name: str, records: list[Record]) -> None:
    """Write docs/benchmarks/<name>.json (call under ``locked(name)``): a JSON list with one
    record per line, so a new record is one added line in a diff (indented, each
    per-episode value took a line of its own: 2 MB and 100k lines per page)."""
    lines = ',\n'.join(json.dumps(record) for record in records)
    write_text(DOCS / f'{name}.json', f'[\n{lines}\n]\n')


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description='Rewrite docs/benchmarks/<page>.json in the current record format.')
    parser.add_argument('pages', nargs='*', help='page names (<page>.json)')
    parser.add_argument('--all', action='store_true', help='every page in docs/benchmarks')
    parser.add_argument('--merge', type=Path, metavar='FILE',
                        help="one page's records written elsewhere (a GPU machine's copy of "
                        '<page>.json): those the page lacks are appended')
    args = parser.parse_args(argv)
    if args.merge is not None:
        return merge_main(parser, args.pages, args.merge)
    pages = sorted(p.stem for p in DOCS.glob('*.json')) if args.all else args.pages
    missing = [p for p in pages if not (DOCS / f'{p}.json').exists()]
    if missing or not pages:
        parser.error(f'pages={missing or pages}: expected pages with a '
                     f'{DOCS}/<page>.json file')
    with contextlib.ExitStack() as stack:
        for name in pages:
            stack.enter_context(locked(name))
        try:  # all or nothing: a record that cannot be migrated stops before any write
            migrated = {name: load(name) for name in pages}
        except ValueError as error:
            parser.error(str(error))
        for name, records in migrated.items():
            save(name, records)
            print(f'{DOCS / name}.json: {len(records)} records in format {FORMAT}',
                  flush=True)
    return 0


def merge(name: str, path: Path) -> int:
    """Append to docs/benchmarks/<name>.json the records of ``path`` (another copy of it,
    any format) it lacks; how many. A ValueError (nothing written) when ``path`` is not a
    JSON list of records or a record cannot be migrated."""
    try:
        theirs = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise ValueError(f'merge={str(path)!r}: expected a JSON list of records ({error})') \
            from None
    if not isinstance(theirs, list) or not all(isinstance(r, dict) for r in theirs):
        raise ValueError(f'merge={str(path)!r}: expected a JSON list of records')
    with locked(name):
        ours = load(name)
        known = {json.dumps(r, sort_keys=True) for r in ours}
        new = [r for r in (migrate(name, dict(r)) for r in theirs)
               if json.dumps(r, sort_keys=True) not in known]
        if new:
            save(name, ours + new)
    return len(new)


def merge_main(parser: argparse.ArgumentParser, pages: list[str], path: Path) -> int:
    """``--merge FILE`` for exactly one page."""
    if len(pages) != 1 or not (DOCS / f'{pages[0]}.json').exists():
        parser.error(f'pages={pages}: expected one page with a {DOCS}/<page>.json file '
                     'to merge into')
    try:
        added = merge(pages[0], path)
    except ValueError as error:
        parser.error(str(error))
    print(f'{DOCS / pages[0]}.json: {added} records added from {path}; redraw the page with '
          f'python -m benchmarks.render {pages[0]}', flush=True)
    return 0
