"""The package's layers: dependencies point one way, and nothing imports in a cycle.

Layers, lowest first (docs/ARCHITECTURE.md): core, io, engines, output, figures,
experiments, apps. A module imports only modules of its own layer or of layers
below it; the package root (``taobao_sim/__init__.py``) re-exports and may import
any layer. Imports inside functions count; imports under ``if TYPE_CHECKING:``
(annotations only) do not.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "taobao_sim"
LAYERS = ("core", "io", "engines", "output", "figures", "experiments", "apps")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for child in node.body:
                lines.update(range(child.lineno, child.end_lineno + 1))
    return lines


def package_imports(path: Path) -> set[str]:
    """Modules of the package that ``path`` imports (resolved to module names)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_lines(tree)
    here = module_name(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skip:
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("taobao_sim"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("taobao_sim"):
                continue
            for alias in node.names:  # "from . import rules" names a module
                sub = f"{target}.{alias.name}"
                found.add(sub if _exists(sub) else target)
    return found


def _exists(module: str) -> bool:
    rel = Path(*module.split(".")[1:])
    return (PACKAGE / rel).with_suffix(".py").exists() or (PACKAGE / rel / "__init__.py").exists()


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


def _graph() -> dict[str, set[str]]:
    # scenarios/ is data shipped with the package (its data-preparation scripts
    # included), not a module of the library
    return {module_name(p): package_imports(p) for p in sorted(PACKAGE.rglob("*.py"))
            if "scenarios" not in p.relative_to(PACKAGE).parts}


def test_every_module_belongs_to_a_layer():
    stray = [m for m in _graph() if m != "taobao_sim" and layer_of(m) is None]
    assert not stray, f"modules outside the layers {LAYERS}: {stray}"


def test_no_upward_imports():
    bad = []
    for module, imports in _graph().items():
        mine = layer_of(module)
        if mine is None:  # the package root re-exports
            continue
        for target in imports:
            theirs = layer_of(target)
            if theirs is None or LAYERS.index(theirs) > LAYERS.index(mine):
                bad.append(f"{module} imports {target}")
    assert not bad, "imports against the layers:\n" + "\n".join(sorted(bad))


def test_no_import_cycles():
    graph = _graph()
    # a package's __init__ imported by its own submodules is how Python loads them,
    # not a dependency of the submodule on its siblings
    edges = {m: {t for t in ts if t in graph and not m.startswith(t + ".")}
             for m, ts in graph.items()}
    cycles = []
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join([*path[path.index(nxt):], nxt]))
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for start in sorted(edges):
        if start not in state:
            visit(start, [start])
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


@pytest.mark.parametrize("snippet, expected", [
    ("from ..engines import simulate", {"taobao_sim.engines"}),
    ("from . import rules", {"taobao_sim.core.rules"}),
    ("import taobao_sim.output.metrics", {"taobao_sim.output.metrics"}),
    ("if TYPE_CHECKING:\n    from ..apps import cli", set()),
])
def test_the_import_reader_itself(tmp_path, snippet, expected, monkeypatch):
    """The checks above are only as good as this reader: it must see what it should."""
    fake = PACKAGE / "core" / "_probe_for_test.py"
    monkeypatch.setattr(Path, "read_text", lambda self, encoding=None: snippet)
    assert package_imports(fake) == expected
