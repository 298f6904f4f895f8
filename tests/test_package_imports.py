"""Import direction between the config loader and the OpenSLO converter.

:mod:`exporter.config` calls :mod:`exporter.openslo`; the converter must not
reach back into the config package, or importing one of them first breaks.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXPORTER = ROOT / "exporter"


def _module_name(file: Path) -> str:
    parts = file.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(file): file for file in sorted(EXPORTER.rglob("*.py"))}


def _imported(name: str, file: Path, known: dict[str, Path]) -> set[str]:
    """Every exporter module ``name`` imports: at top level, in functions, under TYPE_CHECKING."""
    package = name if file.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    modules = {module for module in found if module in known}
    # Importing a.b.c runs a/__init__.py and a/b/__init__.py first.
    for module in list(modules):
        parts = module.split(".")
        modules.update(".".join(parts[:end]) for end in range(1, len(parts)))
    return modules & known.keys()


def _reachable(start: set[str], graph: dict[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    todo = list(start)
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo.extend(graph[module])
    return seen


def _graph() -> dict[str, set[str]]:
    known = _modules()
    return {name: _imported(name, file, known) for name, file in known.items()}


def test_openslo_never_reaches_the_config_package() -> None:
    """No chain of imports, however indirect, leads from exporter.openslo to exporter.config."""
    graph = _graph()
    openslo = {name for name in graph if name.startswith("exporter.openslo")}
    reached = _reachable(openslo, graph)
    assert sorted(name for name in reached if name.startswith("exporter.config")) == []


def test_config_uses_openslo_through_its_package_only() -> None:
    """Config modules import OpenSLO names from ``exporter.openslo`` itself, not its modules."""
    graph = _graph()
    inner = {
        (name, target)
        for name, targets in graph.items()
        if name.startswith("exporter.config")
        for target in targets
        if target.startswith("exporter.openslo.")
    }
    assert sorted(inner) == []


def test_openslo_imports_first_in_a_fresh_interpreter() -> None:
    """``import exporter.openslo`` works before anything else is imported."""
    result = subprocess.run(
        [sys.executable, "-c", "import exporter.openslo, exporter.config"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
