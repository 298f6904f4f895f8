"""The package's shape: subpackages depend on each other one way, and no file grows huge.

The import graph is read from the source with ``ast`` (nothing is imported). Every
``import exporter...`` and ``from exporter... import ...`` counts, wherever it stands:
at the top, inside a function, and inside ``if TYPE_CHECKING:``. Type-only imports count
because they couple the two sides just the same: renaming a type in one breaks the
other's type check, and ``TYPE_CHECKING`` would otherwise be an easy place to hide a
cycle. Relative imports are resolved against the importing module.

Modules are collapsed to their *unit*: a module inside a subpackage belongs to it
(``exporter/store/history.py`` is ``exporter.store``), a top-level module is its own
unit (``exporter/daemon.py`` is ``exporter.daemon``), ``exporter/__init__.py`` is
``exporter``. A cycle is a group of units each reaching the others through imports.

Sizes are lines of the file (at most 400) and lines of each class statement (at most
150) and function (at most 60), ``end_lineno - lineno + 1``.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "exporter"
ROOT_NAME = "exporter"
MAX_MODULE_LINES = 400
MAX_CLASS_LINES = 150
MAX_FUNCTION_LINES = 60


@dataclass(frozen=True)
class Module:
    name: str
    """Dotted name: ``exporter.store.history``; a package's ``__init__`` is the package."""
    path: Path
    tree: ast.Module
    lines: int

    @property
    def is_package(self) -> bool:
        return self.path.name == "__init__.py"

    @property
    def unit(self) -> str:
        """``exporter.<first part>``, or ``exporter`` for the package's own ``__init__``."""
        return ".".join(self.name.split(".")[:2])

    @property
    def label(self) -> str:
        return str(self.path.relative_to(PACKAGE.parent))


@dataclass(frozen=True)
class Import:
    source: Module
    target: str
    """Dotted name of the module or package imported (never a class or function)."""
    line: int


@cache
def modules() -> dict[str, Module]:
    """Every module under exporter/, by dotted name."""
    found: dict[str, Module] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text, filename=str(path))
        found[name] = Module(name, path, tree, len(text.splitlines()))
    return found


def _absolute(module: Module, node: ast.ImportFrom) -> str:
    """The module an ``import from`` names, relative levels resolved."""
    if node.level == 0:
        return node.module or ""
    package = module.name.split(".")
    if not module.is_package:
        package = package[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _targets(module: Module, node: ast.Import | ast.ImportFrom) -> Iterator[str]:
    """Dotted names of the modules ``node`` imports: ``from a import b`` imports ``a.b``
    when that is a module, otherwise ``a`` (``b`` is then a name defined in ``a``)."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
        return
    base = _absolute(module, node)
    for alias in node.names:
        submodule = f"{base}.{alias.name}"
        yield submodule if submodule in modules() else base


def imports() -> list[Import]:
    """Every import of an exporter module by an exporter module, wherever it stands
    (one per statement and module imported, in file and line order)."""
    found: set[Import] = set()
    for module in modules().values():
        for node in ast.walk(module.tree):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            for target in _targets(module, node):
                if target == ROOT_NAME or target.startswith(ROOT_NAME + "."):
                    found.add(Import(module, target, node.lineno))
    return sorted(found, key=lambda imp: (imp.source.name, imp.line, imp.target))


def unit_of(name: str) -> str:
    return ".".join(name.split(".")[:2])


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm: the groups of nodes that all reach each other."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for follower in sorted(graph.get(node, ())):
            if follower not in index:
                visit(follower)
                low[node] = min(low[node], low[follower])
            elif follower in on_stack:
                low[node] = min(low[node], index[follower])
        if low[node] == index[node]:
            group: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def import_cycles() -> list[str]:
    """One problem per group of units that import each other, with the imports that
    close the loop (file, line, imported module)."""
    graph: dict[str, set[str]] = {}
    edges: dict[tuple[str, str], list[Import]] = {}
    for imp in imports():
        source, target = imp.source.unit, unit_of(imp.target)
        if source != target:
            graph.setdefault(source, set()).add(target)
            edges.setdefault((source, target), []).append(imp)
    problems = []
    for group in strongly_connected(graph):
        if len(group) < 2:
            continue
        members = set(group)
        evidence = [
            f"    {imp.source.label}:{imp.line} imports {imp.target}"
            for (source, target), found in sorted(edges.items())
            if source in members and target in members
            for imp in found
        ]
        problems.append(" <-> ".join(group) + " import each other:\n" + "\n".join(evidence))
    return problems


def long_modules() -> list[str]:
    return [
        f"{module.label}: {module.lines} lines"
        for module in modules().values()
        if module.lines > MAX_MODULE_LINES
    ]


def long_classes() -> list[str]:
    return [
        f"{module.label}:{node.lineno}: class {node.name}: {size} lines"
        for module in modules().values()
        for node in ast.walk(module.tree)
        if isinstance(node, ast.ClassDef)
        and (size := (node.end_lineno or node.lineno) - node.lineno + 1) > MAX_CLASS_LINES
    ]


def long_functions() -> list[str]:
    return [
        f"{module.label}:{node.lineno}: {node.name}: {size} lines"
        for module in modules().values()
        for node in ast.walk(module.tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and (size := (node.end_lineno or node.lineno) - node.lineno + 1) > MAX_FUNCTION_LINES
    ]


RULES: dict[str, Callable[[], list[str]]] = {
    "no-import-cycles-between-subpackages": import_cycles,
    f"modules-at-most-{MAX_MODULE_LINES}-lines": long_modules,
    f"classes-at-most-{MAX_CLASS_LINES}-lines": long_classes,
    f"functions-at-most-{MAX_FUNCTION_LINES}-lines": long_functions,
}


@pytest.mark.parametrize("rule", list(RULES))
def test_package_shape(rule: str):
    """Subpackages import each other in one direction only and every module and class
    stays small, so a developer can read, test and change one part without pulling in
    the rest; a violation is listed with the file and line to look at."""
    problems = RULES[rule]()
    assert not problems, f"{rule}: {len(problems)} problem(s):\n" + "\n".join(problems)


def test_the_graph_sees_every_kind_of_import():
    """The rules above cannot pass by missing imports: top-level, function-level,
    type-only and relative imports of exporter modules are all found, and collapsed to
    the right subpackage."""
    found = {(imp.source.unit, unit_of(imp.target)) for imp in imports()}
    assert ("exporter.daemon", "exporter.config") in found
    assert ("exporter.store", "exporter.domain") in found
    assert len(modules()) > 50
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from exporter.store.history import HistoryStore\n"
        "def f():\n"
        "    import exporter.promql.client\n"
        "from . import plan\n"
        "from ..domain import model\n"
        "from exporter import __version__\n"
    )
    module = Module("exporter.store.fill", PACKAGE / "store" / "fill.py", tree, 8)
    targets = {
        target
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for target in _targets(module, node)
    }
    assert targets == {
        "typing",
        "exporter.store.history",
        "exporter.store.plan",
        "exporter.domain.model",
        "exporter",
        "exporter.promql.client",
    }


SUBPACKAGES = sorted(f"{ROOT_NAME}.{path.parent.name}" for path in PACKAGE.glob("*/__init__.py"))


@pytest.mark.integration
@pytest.mark.parametrize("package", SUBPACKAGES)
def test_each_subpackage_imports_first_in_a_fresh_interpreter(package: str):
    """Any subpackage can be the first one a program imports (an import cycle used to make
    ``import exporter.openslo`` fail with a circular ImportError in a fresh process)."""
    done = subprocess.run(
        [sys.executable, "-c", f"import {package}"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
