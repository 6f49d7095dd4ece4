"""The shape of the house: imports run downhill, with no circle, and no module reads
another module's private attributes.

Every module of ``lambda_lab`` has a layer; a module may import only modules of
its own layer or lower ones, and the import graph has no cycle.  Imports inside
``if TYPE_CHECKING:`` are for annotations only and never run, so they are not
counted.  A new module fails this test until it is given its layer here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "lambda_lab"

#: Layers, lowest first: a module may import its own layer and those below.
LAYERS: list[tuple[str, ...]] = [
    ("lambda_lab.errors",),
    ("lambda_lab.config",),
    # the engine and its helpers know nothing of Lambda
    (
        "lambda_lab.sim.engine",
        "lambda_lab.sim.clock",
        "lambda_lab.sim.fastjson",
        "lambda_lab.sim.ids",
        "lambda_lab.sim.registry",
        "lambda_lab.sim.patterns",
    ),
    ("lambda_lab.sim.trace",),
    ("lambda_lab.sim.compute",),
    ("lambda_lab.sim.resources",),
    ("lambda_lab.sim.invoke",),
    ("lambda_lab.sim.callers", "lambda_lab.sim.mappings"),
    ("lambda_lab.sim.world",),
    ("lambda_lab.lab",),
    ("lambda_lab.widgets", "lambda_lab.magics", "lambda_lab.checks"),
]

#: The engine's own modules import nothing of lambda_lab at all.
STANDALONE = ("lambda_lab.sim.engine", "lambda_lab.sim.clock", "lambda_lab.sim.fastjson")

#: Private attributes of other libraries read on purpose, each with its reason.
ALLOWED_PRIVATE = {
    # time-machine has no public way to set a traveller's instant without parsing
    # it; runtime.py sets the one integer, behind a version check with a fallback.
    ("lambda_lab/sim/compute/runtime.py", "_destination_timestamp_ns"),
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The lambda_lab modules ``name`` imports when it runs."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    class Imports(ast.NodeVisitor):
        def visit_If(self, node: ast.If) -> None:
            if _is_type_checking(node):  # annotations only: never runs
                for child in node.orelse:
                    self.visit(child)
            else:
                self.generic_visit(node)

        def visit_Import(self, node: ast.Import) -> None:
            found.update(a.name for a in node.names if a.name.startswith("lambda_lab"))

        def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if not target.startswith("lambda_lab"):
                return
            for alias in node.names:  # `from .x import y` may import the module x.y
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in known else target)

    Imports().visit(tree)
    found.discard(name)
    return found


def _layer(name: str) -> int | None:
    if name == "lambda_lab":
        return len(LAYERS) - 1  # the public surface sits on top
    best = None
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if name == prefix or name.startswith(prefix + "."):
                best = index
    if best is None and name in ("lambda_lab.sim", *(p for ps in LAYERS for p in ps)):
        return 0
    return best


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: _runtime_imports(name, path, known) for name, path in modules.items()}


def test_every_module_has_a_layer():
    unplaced = [name for name in _modules() if _layer(name) is None and name != "lambda_lab.sim"]
    assert unplaced == [], f"give these modules a layer in tests/test_layers.py: {unplaced}"


def test_imports_run_downhill():
    upward = []
    for name, imports in _graph().items():
        here = _layer(name)
        for target in imports:
            there = _layer(target)
            if here is not None and there is not None and there > here:
                upward.append(f"{name} (layer {here}) imports {target} (layer {there})")
    assert upward == []


def test_the_engine_knows_nothing_of_lambda():
    graph = _graph()
    for name in STANDALONE:
        assert graph[name] == set(), f"{name} imports {sorted(graph[name])}"


def test_no_module_under_sim_imports_the_facade():
    for name, imports in _graph().items():
        if name.startswith("lambda_lab.sim"):
            assert "lambda_lab.lab" not in imports, name
            assert "lambda_lab" not in imports, name


def test_the_import_graph_has_no_cycle():
    graph = _graph()
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                cycle = [*path[path.index(target) :], target]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)


def _defined_privates(tree: ast.AST) -> set[str]:
    """Private names a module defines: functions, classes, attributes set, slots."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names.add(node.value)  # __slots__ entries
    return {n for n in names if n.startswith("_")}


def test_no_module_reads_another_modules_private_attributes():
    # GIVEN every module of the package, the tests and the benchmarks
    files = [
        *PACKAGE.rglob("*.py"),
        *(ROOT / "tests").rglob("*.py"),
        *(ROOT / "bench").glob("*.py"),
    ]
    reads = []
    for path in sorted(files):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        own = _defined_privates(tree)
        relative = path.relative_to(ROOT).as_posix()
        for node in ast.walk(tree):
            if not isinstance(node, ast.Attribute):
                continue
            attr = node.attr
            if not attr.startswith("_") or attr.startswith("__"):
                continue
            if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                continue
            # THEN an object's private attribute is read only in the module that defines it
            if attr not in own and (relative, attr) not in ALLOWED_PRIVATE:
                reads.append(f"{relative}:{node.lineno}: {ast.unparse(node)}")
    assert reads == []
