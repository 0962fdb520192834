# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The package's layers and the benchmarks' rooms: which module may import which, from its
path alone.

    base <- node_config, data <- core <- runtime, sim, tools <- nodes/common <- nodes/<role>
    benchmarks: baselines <- protocol <- pages <- runs <- experiments <- commands

A module's layer comes from where it lies under nf_policy_ros/: directly in it (config,
config_tree, structs, chunks) is ``base``; under ``nodes/<role>/`` is ``nodes.<role>``;
under any other folder is that folder's name. ``MAY_IMPORT`` says what each layer may import
besides itself; the layers below nodes never import ROS (``runtime`` is the control logic
a node drives: inference worker, plan and gate, governor, stats, configure, takeover), and
nothing imports the top-level ``benchmarks`` package. test_layers.py checks every module
against this table (ast, every import, lazy ones too) and checks that the per-folder
ruff.toml files, which make ruff report the same imports while editing, are the ones this
table renders:

    python test/layers.py --write    # rewrite nf_policy_ros/**/ruff.toml from the table

``runtime`` (nf_policy_ros/runtime/: the ROS-free parts of the running nodes, such as the
confidence gate) is in the table before its folder exists. The benchmarks (outside the
package) have rooms: a module directly in benchmarks/ is a ``commands`` entry (``python -m
benchmarks.<name>``), one under benchmarks/<room>/ is in that room; ``BENCH_MAY_IMPORT``
says what each room may import of the benchmarks besides itself (the package is theirs to
import, the reverse never). test_layers.py checks every benchmark module too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
import sys

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = 'nf_policy_ros'
PACKAGE_DIR = ROOT / PACKAGE

BELOW_NODES = ('base', 'node_config', 'data', 'core', 'runtime', 'sim', 'tools')
# layer -> the other layers it may import
MAY_IMPORT: dict[str, tuple[str, ...]] = {
    'base': (),
    'node_config': ('base',),  # ROS-free node parameters and joint routing
    'data': ('base',),
    'core': ('base', 'data'),
    'runtime': ('base', 'node_config', 'data', 'core'),  # ROS-free parts of the nodes
    'sim': ('base', 'data', 'core'),
    'tools': ('base', 'node_config', 'data', 'core'),
    'nodes': BELOW_NODES,  # nodes/__init__.py
    'nodes.common': BELOW_NODES,
    'nodes.clients': (*BELOW_NODES, 'nodes.common'),
    'nodes.policy': (*BELOW_NODES, 'nodes.common'),
    'nodes.sim': (*BELOW_NODES, 'nodes.common', 'nodes.clients'),
    'nodes.recording': (*BELOW_NODES, 'nodes.common'),
    'nodes.training': (*BELOW_NODES, 'nodes.common'),
}
ROS_FREE = BELOW_NODES
NEVER_IMPORTED = ('benchmarks',)  # the benchmarks import the package, never the reverse
# The ROS packages the project uses, by name, for ruff (which has no wildcards); the ast
# check also refuses any other ROS-looking name (is_ros).
ROS_PACKAGES = (
    'ament_index_python', 'builtin_interfaces', 'diagnostic_msgs', 'launch', 'launch_ros',
    'lifecycle_msgs', 'rcl_interfaces', 'rclpy', 'rosgraph_msgs', 'sensor_msgs', 'std_msgs',
    'std_srvs', 'trajectory_msgs', 'visualization_msgs')


def is_ros(module: str) -> bool:
    """Whether ``module`` belongs to ROS 2 (client library, launch or an interface package);
    rosbags (a pure-Python bag reader) does not."""
    top = module.split('.')[0]
    return (top in ROS_PACKAGES or top.startswith('rosidl')
            or top.endswith(('_msgs', '_srvs', '_interfaces')))


BENCHMARKS = 'benchmarks'
BENCHMARKS_DIR = ROOT / BENCHMARKS
# benchmark room -> the other rooms it may import
BENCH_MAY_IMPORT: dict[str, tuple[str, ...]] = {
    'baselines': (),  # the Diffusion Policy baseline
    'protocol': ('baselines',),  # kinds, network adapters, actors, tasks, splits, protocol
    'pages': ('protocol',),  # records, report, targets, page renderers, render
    'runs': ('baselines', 'protocol', 'pages'),  # run directories, train clock, job pace
    'experiments': ('baselines', 'protocol', 'pages', 'runs'),  # the measurements
    'commands': ('experiments', 'pages'),  # benchmarks/<name>.py: python -m benchmarks.<name>
}


def package_modules() -> list[Path]:
    """Every module file under nf_policy_ros/, sorted."""
    return sorted(p for p in PACKAGE_DIR.rglob('*.py') if '__pycache__' not in p.parts)


def layer_of(path: Path) -> str | None:
    """The layer of module file ``path`` (under nf_policy_ros/), or None if it has none (a
    new folder, or a module directly in nodes/ instead of a role folder)."""
    parts = path.relative_to(PACKAGE_DIR).parts
    if len(parts) == 1:
        return 'base'
    if parts[0] != 'nodes':
        layer = parts[0]
    elif parts[1:] == ('__init__.py',):
        layer = 'nodes'
    else:
        layer = f'nodes.{parts[1]}' if len(parts) > 2 else None
    return layer if layer in MAY_IMPORT else None


def benchmark_modules() -> list[Path]:
    """Every module file under benchmarks/, sorted."""
    return sorted(p for p in BENCHMARKS_DIR.rglob('*.py') if '__pycache__' not in p.parts)


def room_of(path: Path) -> str | None:
    """The room of module file ``path`` (under benchmarks/), or None if it has none (a
    new folder, or a module deeper than a room)."""
    parts = path.relative_to(BENCHMARKS_DIR).parts
    if len(parts) == 1:
        return 'commands'
    return parts[0] if len(parts) == 2 and parts[0] in BENCH_MAY_IMPORT else None


def room_violations(path: Path, source: str | None = None) -> list[str]:
    """'<file>:<line>: <room> imports <module>: <rule>' for each import of benchmark
    module ``path`` that the rooms forbid."""
    room = room_of(path)
    if room is None:
        return [f'{path.relative_to(ROOT)}: in no room (a room of test/layers.py)']
    found = []
    for imp in imports_in(path, source):
        if imp.module.split('.')[0] != BENCHMARKS:
            continue
        target_file = module_file(imp.module)
        target = room_of(target_file) if target_file is not None else None
        where = f'{path.relative_to(ROOT)}:{imp.line}: {room} imports {imp.module}'
        if imp.module == BENCHMARKS:
            continue  # the package itself (its __init__ imports nothing)
        if target is None:
            found.append(f'{where}: no module of a known room')
        elif target != room and target not in BENCH_MAY_IMPORT[room]:
            found.append(f'{where}: {room} may import only '
                         f'{", ".join(BENCH_MAY_IMPORT[room]) or "itself"}, not {target}')
    return found


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix('').parts
    return '.'.join(parts[:-1] if parts[-1] == '__init__' else parts)


def module_file(name: str) -> Path | None:
    """The file of module or package ``name`` in this repository, None if there is none."""
    base = ROOT.joinpath(*name.split('.'))
    for candidate in (base / '__init__.py', base.with_suffix('.py')):
        if candidate.is_file():
            return candidate
    return None


@dataclass(frozen=True)
class Import:
    line: int
    module: str  # absolute; ``from a import b`` gives ``a.b`` when that is a module


def imports_in(path: Path, source: str | None = None) -> Iterator[Import]:
    """Every import statement of module ``path`` (``source``: its text, default the file's),
    at any depth: module level, in functions, under ``if TYPE_CHECKING``."""
    tree = ast.parse(path.read_text() if source is None else source, str(path))
    name = module_name(path)
    package = name if path.name == '__init__.py' else name.rpartition('.')[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (Import(node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ''
            if node.level:  # relative: from the package, up level - 1
                anchor = package.split('.')[:len(package.split('.')) - node.level + 1]
                base = '.'.join(anchor + ([node.module] if node.module else []))
            for alias in node.names:
                sub = f'{base}.{alias.name}'
                yield Import(node.lineno, sub if module_file(sub) else base)


def violations(path: Path, source: str | None = None) -> list[str]:
    """'<file>:<line>: <layer> imports <module>: <rule>' for each import of module ``path``
    that the layers forbid."""
    layer = layer_of(path)
    if layer is None:
        return [f'{path.relative_to(ROOT)}: in no layer (a folder of test/layers.py)']
    found = []
    for imp in imports_in(path, source):
        where = f'{path.relative_to(ROOT)}:{imp.line}: {layer} imports {imp.module}'
        top = imp.module.split('.')[0]
        if top in NEVER_IMPORTED:
            found.append(f'{where}: the package never imports the top-level {top} package')
        elif top == PACKAGE:
            target_file = module_file(imp.module)
            target = layer_of(target_file) if target_file is not None else None
            if target is None:
                found.append(f'{where}: no module of a known layer')
            elif target != layer and target not in MAY_IMPORT[layer]:
                found.append(f'{where}: {layer} may import only '
                             f'{", ".join(MAY_IMPORT[layer]) or "itself"}, not {target}')
        elif layer in ROS_FREE and is_ros(imp.module):
            found.append(f'{where}: {layer} is ROS-free (only nodes/ imports ROS)')
    return found


# ---- ruff ---------------------------------------------------------------------------------
def layer_prefix(layer: str) -> str:
    return f'{PACKAGE}.{layer}'


def layer_folder(layer: str) -> Path:
    return PACKAGE_DIR if layer == 'base' else PACKAGE_DIR.joinpath(*layer.split('.'))


def banned_modules(layer: str) -> dict[str, str]:
    """Module -> message for ruff's banned-api in ``layer``'s folder: the package layers it
    must not import (the widest prefix that does not contain the layer itself; only layers
    whose folder exists: a layer planned in the table, such as runtime before its folder,
    enters the configs with its folder), the ROS packages for a ROS-free layer, and the
    benchmarks."""
    assert all('base' in allowed for name, allowed in MAY_IMPORT.items() if name != 'base')
    own = layer_prefix(layer)
    forbidden = sorted(layer_prefix(other) for other in layer_folders()
                       if other not in (layer, 'base', *MAY_IMPORT[layer])
                       and not own.startswith(f'{layer_prefix(other)}.'))
    out = {prefix: f'{layer} must not import {prefix} (layers: test/layers.py)'
           for prefix in forbidden
           if not any(prefix.startswith(f'{wider}.') for wider in forbidden)}
    if layer in ROS_FREE:
        out.update({name: f'{layer} is ROS-free (only nodes/ imports ROS)'
                    for name in ROS_PACKAGES})
    out.update({name: 'the package never imports the benchmarks' for name in NEVER_IMPORTED})
    return dict(sorted(out.items()))


def ruff_config(layer: str) -> str:
    """The ruff.toml of ``layer``'s folder: the repository's config plus the banned imports."""
    depth = len(layer_folder(layer).relative_to(ROOT).parts)
    allowed = [other for other in MAY_IMPORT[layer] if other in layer_folders()]
    lines = ['# Generated by `python test/layers.py --write` (test_layers.py checks it).',
             f"# Layer '{layer}' may import itself and: "
             f'{", ".join(allowed) or "nothing else"}.',
             f'extend = "{"../" * depth}ruff.toml"', '',
             '[lint.flake8-tidy-imports.banned-api]']
    lines += [f'"{module}".msg = "{message}"' for module, message in
              banned_modules(layer).items()]
    return '\n'.join(lines) + '\n'


def layer_folders() -> dict[str, Path]:
    """Layer -> its folder, for the layers whose folder exists."""
    return {layer: layer_folder(layer) for layer in MAY_IMPORT if layer_folder(layer).is_dir()}


if __name__ == '__main__':
    if sys.argv[1:] != ['--write']:
        sys.exit(__doc__)
    for layer, folder in layer_folders().items():
        (folder / 'ruff.toml').write_text(ruff_config(layer))
        print(folder.relative_to(ROOT) / 'ruff.toml')
