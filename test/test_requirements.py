# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The requirement files, split by layer (requirements/), and package.xml.

A robot install is requirements/robot.txt + requirements/ros.txt (the ROS 2 wheels stand in
for /opt/ros). Every module of the package is walked (none is listed by hand); the modules
that need the simulator are nf_policy_ros.sim and whatever imports them
when it is imported (e.g. sim_robot_node). Every other module, the robot modules, must
import with only the robot requirements installed: checked on the source (AST) and by
importing each one in a fresh interpreter where every other distribution is absent.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cache
from importlib import metadata
import json
from pathlib import Path
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

from doc_blocks import read_blocks, shell_commands
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from nf_policy_ros.node_config.launch_files import LAUNCH_FILES

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = ROOT / 'requirements'
PACKAGE = 'nf_policy_ros'
SIMULATOR_PACKAGES = ('nf_policy_ros.sim',)  # requirements/sim.txt
BENCHMARKS = 'benchmarks'  # benchmark scripts outside the package, where they live there
ROBOT_FILES = ('robot.txt', 'ros.txt')
EVERYTHING = 'dev.txt'  # what scripts/setup.sh installs
# rosdep keys of the Python packages the robot modules import, as in ros/rosdistro
# rosdep/python.yaml (checked at 8468e88, 2026-08-22); None: no key exists (pip only).
ROSDEP_KEYS = {
    'numpy': 'python3-numpy', 'yaml': 'python3-yaml', 'PIL': 'python3-pil',
    'tqdm': 'python3-tqdm', 'torch': 'python3-torch', 'torchvision': 'python3-torchvision',
    'rosbags': 'python3-rosbags-pip', 'normflows': None,
}
CHILD = """
import importlib, importlib.abc, json, sys
blocked, modules = set(json.loads(sys.argv[1])), json.loads(sys.argv[2])

class Absent(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition('.')[0] in blocked:
            raise ModuleNotFoundError(f'No module named {name!r}', name=name)
        return None

early = sorted(name for name in blocked if name in sys.modules)
sys.meta_path.insert(0, Absent())
failed = {}
for module in modules:
    try:
        importlib.import_module(module)
    except BaseException as exc:
        failed[module] = f'{type(exc).__name__}: {exc}'
print(json.dumps({'failed': failed, 'early': early}))
"""


# ---- requirement files --------------------------------------------------------------------
def requirements(name: str) -> list[tuple[str, Requirement]]:
    """(file, requirement) of requirements/``name``, following ``-r`` includes."""
    found = []
    for raw in (REQUIREMENTS / name).read_text().splitlines():
        line = raw.split('#', 1)[0].strip()
        if line.startswith('-r '):
            found += requirements(line[3:].strip())
        elif line:
            found.append((name, Requirement(line)))
    return found


def _applies(req: Requirement, extras: set[str]) -> bool:
    return req.marker is None or any(req.marker.evaluate({'extra': e}) for e in extras | {''})


def closure(*files: str) -> frozenset[str]:
    """Canonical names of the installed distributions the files pull, dependencies
    included (markers evaluated for this machine)."""
    todo = [(req, set(req.extras)) for name in files for _, req in requirements(name)]
    seen: set[str] = set()
    while todo:
        req, extras = todo.pop()
        name = canonicalize_name(req.name)
        if not _applies(req, set()) or name in seen:
            continue
        seen.add(name)
        for text in metadata.distribution(name).requires or []:
            child = Requirement(text)
            if _applies(child, extras):
                todo.append((child, set(child.extras)))
    return frozenset(seen)


@cache
def owners() -> dict[str, frozenset[str]]:
    """Top-level import name -> canonical names of the distributions that provide it."""
    return {top: frozenset(canonicalize_name(d) for d in dists)
            for top, dists in metadata.packages_distributions().items()}


# ---- the package's modules and their imports ----------------------------------------------
@dataclass(frozen=True)
class Import:
    """One imported name: absolute dotted name, line, whether it runs when the module is
    imported (not inside a function, not under TYPE_CHECKING), inside try/except ImportError."""

    name: str
    line: int
    at_import: bool
    optional: bool

    @property
    def top(self) -> str:
        return self.name.partition('.')[0]


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    names = ast.unparse(handler.type) if handler.type is not None else 'BaseException'
    return bool(re.search(r'\b(ImportError|ModuleNotFoundError|Exception|BaseException)\b',
                          names))


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if node.level == 0:
        return node.module or ''
    parts = module.split('.')[:len(module.split('.')) - node.level + (1 if is_package else 0)]
    return '.'.join(parts + ([node.module] if node.module else []))


def module_imports(module: str, path: Path) -> list[Import]:
    """Every import statement of a module, classified."""
    found: list[Import] = []
    is_package = path.name == '__init__.py'

    def visit(node: ast.AST, at_import: bool, optional: bool) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            at_import = False
        if isinstance(node, ast.If) and 'TYPE_CHECKING' in ast.unparse(node.test):
            for child in node.orelse:
                visit(child, at_import, optional)
            return
        if isinstance(node, ast.Try):
            guarded = optional or any(_catches_import_error(h) for h in node.handlers)
            for child in node.body:
                visit(child, at_import, guarded)
            for child in [*node.handlers, *node.orelse, *node.finalbody]:
                visit(child, at_import, optional)
            return
        if isinstance(node, ast.Import):
            found.extend(Import(a.name, node.lineno, at_import, optional) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, module, is_package)
            found.append(Import(base, node.lineno, at_import, optional))
            if base.partition('.')[0] == PACKAGE:  # `from pkg import submodule`
                found.extend(Import(f'{base}.{a.name}', node.lineno, at_import, optional)
                             for a in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child, at_import, optional)

    visit(ast.parse(path.read_text(), str(path)), True, False)
    return found


def walk(folder: str) -> dict[str, tuple[Import, ...]]:
    """Every module under ROOT/``folder`` (dotted name) -> its imports."""
    modules = {}
    for path in sorted((ROOT / folder).rglob('*.py')):
        parts = path.relative_to(ROOT).with_suffix('').parts
        name = '.'.join(parts[:-1] if parts[-1] == '__init__' else parts)
        modules[name] = tuple(module_imports(name, path))
    return modules


@cache
def package_modules() -> dict[str, tuple[Import, ...]]:
    """Every module of the installed package -> its imports."""
    return walk(PACKAGE)


def _within(name: str, modules: set[str]) -> bool:
    return any(name == m or name.startswith(m + '.') for m in modules)


@cache
def simulator_modules() -> frozenset[str]:
    """The simulator packages and, transitively, modules that import them at import time."""
    modules = package_modules()
    side = {m for m in modules if _within(m, set(SIMULATOR_PACKAGES))}
    grown = True
    while grown:
        grown = False
        for module, imports in modules.items():
            if module not in side and any(i.at_import and not i.optional and _within(
                    i.name, side) for i in imports):
                side.add(module)
                grown = True
    return frozenset(side)


def robot_modules() -> list[str]:
    return sorted(set(package_modules()) - simulator_modules())


def third_party(imports) -> list[Import]:
    return [i for i in imports if i.top and i.top not in (PACKAGE, BENCHMARKS, '__future__')
            and i.top not in sys.stdlib_module_names]


def unsatisfied(module: str, imports, allowed: frozenset[str]) -> list[str]:
    """'module:line imports X (from dist)' for imports no ``allowed`` distribution gives."""
    problems = []
    for imp in third_party(imports):
        providers = owners().get(imp.top, frozenset())
        if not providers & allowed:
            given = ', '.join(sorted(providers)) or 'no installed distribution'
            problems.append(f'{module}:{imp.line} imports {imp.name} ({given})')
    return problems


# ---- tests: the requirement files ---------------------------------------------------------
def test_setup_installs_every_file_and_each_pin_is_in_one_file():
    everything = requirements(EVERYTHING)
    assert {f for f, _ in everything} | {EVERYTHING} == {p.name for p in
                                                         REQUIREMENTS.glob('*.txt')}, \
        f'requirements/{EVERYTHING} (what scripts/setup.sh installs) must include every file'
    where: dict[str, list[str]] = {}
    for file, req in everything:
        if req.specifier:
            where.setdefault(canonicalize_name(req.name), []).append(file)
    twice = {name: files for name, files in where.items() if len(files) > 1}
    assert not twice, f'pinned in more than one file: {twice}'


def test_the_installed_versions_are_the_pinned_set():
    wrong = []
    for file, req in requirements(EVERYTHING):
        version = metadata.version(req.name)
        if not req.specifier.contains(version, prereleases=True):
            wrong.append(f'{file}: {req} but {version} is installed')
    assert not wrong, '\n'.join(wrong)


def test_the_robot_files_pull_no_simulator_package():
    robot = closure(*ROBOT_FILES)
    simulator = {canonicalize_name(r.name) for _, r in requirements('sim.txt')}
    assert not simulator & robot, f'{sorted(simulator & robot)} reach a robot install'
    assert {'mujoco', 'gymnasium'} & closure('sim.txt'), 'sim.txt no longer pulls MuJoCo?'


def test_every_import_of_the_package_and_the_benchmarks_has_a_requirement():
    everything = closure(EVERYTHING)
    scripts = walk(BENCHMARKS) if (ROOT / BENCHMARKS).is_dir() else {}
    problems = [p for module, imports in {**package_modules(), **scripts}.items()
                for p in unsatisfied(module, imports, everything)]
    assert not problems, 'imports no requirement file provides:\n' + '\n'.join(problems)


def test_robot_modules_import_only_robot_requirements():
    robot = closure(*ROBOT_FILES)
    modules = package_modules()
    problems = [p for module in robot_modules() for p in unsatisfied(
        module, [i for i in modules[module] if i.at_import and not i.optional], robot)]
    assert not problems, ('robot modules importing what requirements/robot.txt and ros.txt '
                          'lack (add it there, or import it inside the function that needs '
                          'it):\n' + '\n'.join(problems))


def test_a_robot_install_imports_every_robot_module():
    robot = closure(*ROBOT_FILES)
    blocked = sorted(top for top, dists in owners().items()
                     if not dists & robot and top != PACKAGE)
    simulator = sorted(top for top, dists in owners().items()
                       if dists & (closure('sim.txt') - robot))
    modules = robot_modules()
    done = subprocess.run([sys.executable, '-c', CHILD, json.dumps(blocked),
                           json.dumps(modules + simulator)],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert not result['early'], f'imported before the test could block them: {result["early"]}'
    broken = {m: e for m, e in result['failed'].items() if m in modules}
    assert not broken, f'robot modules that fail without the simulator packages: {broken}'
    assert 'metaworld' in simulator and set(simulator) <= set(result['failed']), \
        'the simulator packages were importable: the robot install was not simulated'


def launched_executables(launch_file: str, arguments: list[str]) -> set[str]:
    """The executables `ros2 launch nf_policy_ros <launch_file> <arguments>` starts
    (required arguments the command leaves out get a placeholder)."""
    spec = LAUNCH_FILES[launch_file]
    given = {a.name: 'x' for a in spec.arguments if a.default is None}
    given.update(word.split(':=', 1) for word in arguments)
    return {node.executable for node in spec.resolve(given, ROOT)}


def test_the_robot_guide_runs_only_robot_modules():
    scripts = {e.name: e.value.partition(':')[0]
               for e in metadata.entry_points(group='console_scripts')
               if e.value.startswith(PACKAGE + '.')}
    used = set()
    for block in read_blocks(ROOT / 'docs' / 'robot.md'):
        if block.language != 'bash':
            continue
        for words in shell_commands(block.text):
            if words[:3] == ['ros2', 'run', PACKAGE]:
                words = words[3:]
            if words[:3] == ['ros2', 'launch', PACKAGE]:
                used |= {scripts[n] for n in launched_executables(words[3], words[4:])
                         if n in scripts}
            elif words[:2] == ['python', '-m']:
                used.add(words[2])
            elif words and words[0] in scripts:
                used.add(scripts[words[0]])
    assert {scripts['policy_node'], scripts['train'], scripts['policy_ctl']} <= used
    assert not used & simulator_modules(), \
        f'docs/robot.md runs modules that need the simulator: {used & simulator_modules()}'


# ---- tests: package.xml -------------------------------------------------------------------
def package_xml() -> dict[str, set[str]]:
    root = ET.parse(ROOT / 'package.xml').getroot()
    tags = {}
    for tag in ('depend', 'exec_depend', 'test_depend', 'build_depend'):
        tags[tag] = {e.text.strip() for e in root.findall(tag)}
    return tags


def _is_ros(top: str) -> bool:
    """A ROS package (from /opt/ros, or one of the ros-* wheels here)."""
    return any(d.startswith('ros-') for d in owners().get(top, ()))


def file_imports(path: Path) -> list[Import]:
    return third_party(module_imports(path.stem, path))


LAUNCH_DESCRIPTIONS = ROOT / PACKAGE / 'node_config' / 'launch_files.py'


def launched_packages() -> set[str]:
    """The ROS packages whose executables the launch files start (NodeStart's first
    argument in node_config/launch_files.py), other than this one; plus ros2launch, the
    `ros2 launch` verb that runs them."""
    tree = ast.parse(LAUNCH_DESCRIPTIONS.read_text())
    started = {call.args[0].value for call in ast.walk(tree) if isinstance(call, ast.Call)
               and getattr(call.func, 'id', None) == 'NodeStart' and call.args
               and isinstance(call.args[0], ast.Constant)}
    assert 'rviz2' in started, 'no NodeStart found: did launch_files.py change its form?'
    return started | ({'ros2launch'} if any((ROOT / 'launch').glob('*.launch.py')) else set())


def test_package_xml_declares_every_runtime_dependency_and_no_other():
    modules = package_modules()
    ros = {i.top for imports in modules.values() for i in third_party(imports) if
           _is_ros(i.top)}
    launch = {i.top for path in (ROOT / 'launch').glob('*.py') for i in file_imports(path)}
    launch |= launched_packages()
    robot = closure(*ROBOT_FILES)  # a simulator package imported in a function is not one
    python = {i.top for m in robot_modules() for i in third_party(modules[m])
              if not _is_ros(i.top) and owners().get(i.top, frozenset()) & robot}
    unknown = sorted(python - set(ROSDEP_KEYS))
    assert not unknown, (f'robot modules import {unknown}: add the rosdep key (rosdistro '
                         'rosdep/python.yaml) to package.xml and ROSDEP_KEYS, or None')
    needed = ros | launch | {ROSDEP_KEYS[t] for t in python if ROSDEP_KEYS[t]}
    xml = package_xml()
    declared = xml['depend'] | xml['exec_depend']
    assert not needed - declared, f'package.xml lacks exec_depend {sorted(needed - declared)}'
    assert not declared - needed, f'package.xml declares unused {sorted(declared - needed)}'


def test_package_xml_declares_what_the_tests_need():
    local = {p.stem for p in (ROOT / 'test').glob('*.py')}
    xml = package_xml()
    runtime = xml['depend'] | xml['exec_depend']
    ros = {i.top for path in (ROOT / 'test').glob('*.py') for i in file_imports(path)
           if i.top not in local and (_is_ros(i.top) or i.top not in owners())}
    needed = (ros - runtime) | {'python3-pytest'}
    assert xml['test_depend'] == needed, (f'test_depend {sorted(xml["test_depend"])}; '
                                          f'the tests import {sorted(needed)}')
