"""The architecture, checked: each layer imports only the layers below it, and no import cycle.

The layers, lowest first (docs/architecture.md draws them)::

    base          inspire_sim.errors, .outdir, .manifest, .data
    core          inspire_sim.core          the model
    levers        inspire_sim.levers        the lever plug-ins and their registry
    runner        inspire_sim.run, .results, .runpool, .costs, .allocator
    experiments   inspire_sim.experiments   } siblings: neither imports the other
    analyses      inspire_sim.analyses      }
    reports       inspire_sim.reports
    app           inspire_sim.app
    cli           inspire_sim.cli
    package       inspire_sim (its __init__) and inspire_sim.__main__: the public face, imported by none

A module may import any module of its own group (a subpackage, or the top-level modules of its
layer) and any module of a lower layer; nothing else of the package.

How imports are read (``ast``, the source is never executed): every ``import`` and ``from ... import``
of a package module, relative or absolute, anywhere in a module, plus ``importlib.import_module``
calls with a constant name. Imports under ``if TYPE_CHECKING:`` are left out: they exist for the
type checker only and never run. Imports inside functions (deferred so that start-up stays light)
are checked against the layers like any other: deferring an import does not make an upward one
acceptable. The cycle check looks at module-level imports only (those run when a module is
imported, so a cycle among them is a real one). ``from P import name`` counts as importing the
submodule ``P.name`` when there is one, else ``P`` itself.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "inspire_sim"
DOC = ROOT / "docs" / "architecture.md"
MAX_TOP_LEVEL = 12

# (layer, [(group, [module or package names])]), lowest first
LAYERS: list[tuple[str, list[tuple[str, list[str]]]]] = [
    (
        "base",
        [("base", ["inspire_sim.errors", "inspire_sim.outdir", "inspire_sim.manifest", "inspire_sim.data"])],
    ),
    ("core", [("core", ["inspire_sim.core"])]),
    ("levers", [("levers", ["inspire_sim.levers"])]),
    (
        "runner",
        [
            (
                "runner",
                [
                    "inspire_sim.run",
                    "inspire_sim.results",
                    "inspire_sim.runpool",
                    "inspire_sim.costs",
                    "inspire_sim.allocator",
                ],
            )
        ],
    ),
    ("experiments, analyses", [("experiments", ["inspire_sim.experiments"]), ("analyses", ["inspire_sim.analyses"])]),
    ("reports", [("reports", ["inspire_sim.reports"])]),
    ("app", [("app", ["inspire_sim.app"])]),
    ("cli", [("cli", ["inspire_sim.cli"])]),
    ("package", [("package", ["inspire_sim", "inspire_sim.__main__"])]),
]


# -------------------------------------------------------------------- reading the package


def modules(pkg: Path = PKG) -> dict[str, tuple[Path, bool]]:
    """Every module of the package: dotted name -> (file, is a package ``__init__``)."""
    out = {}
    for path in sorted(pkg.rglob("*.py")):
        parts = list(path.relative_to(pkg.parent).with_suffix("").parts)
        is_pkg = parts[-1] == "__init__"
        out[".".join(parts[:-1] if is_pkg else parts)] = (path, is_pkg)
    return out


def _type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _calls(node: ast.AST, top: bool, found: list[tuple[ast.AST, bool]]) -> None:
    found.extend((sub, top) for sub in ast.walk(node) if isinstance(sub, ast.Call))


def _visit(body: list[ast.stmt], top: bool, found: list[tuple[ast.AST, bool]]) -> None:
    """Collect (import node or call, at module level) pairs, skipping ``if TYPE_CHECKING:`` bodies."""
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append((node, top))
        elif isinstance(node, ast.If) and _type_checking(node.test):
            _visit(node.orelse, top, found)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            deferred = [c for c in ast.walk(node) if isinstance(c, (ast.Import, ast.ImportFrom, ast.Call))]
            found.extend((c, False) for c in deferred)
        else:  # a class body, if, try, with, for ... at module level runs at import time
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.expr):
                    _calls(child, top, found)
            for field in ("body", "orelse", "finalbody"):
                _visit(getattr(node, field, []), top, found)
            for handler in getattr(node, "handlers", []):
                _visit(handler.body, top, found)


def _import_module_call(node: ast.Call) -> tuple[str, str | None] | None:
    """``importlib.import_module("name"[, package])`` with a constant name: (name, "__name__" or None)."""
    f = node.func
    named = (isinstance(f, ast.Attribute) and f.attr == "import_module") or (
        isinstance(f, ast.Name) and f.id == "import_module"
    )
    first = node.args[0] if node.args else None
    if not named or not isinstance(first, ast.Constant) or not isinstance(first.value, str):
        return None
    pkg = node.args[1] if len(node.args) > 1 else None
    return first.value, ("__name__" if isinstance(pkg, ast.Name) and pkg.id == "__name__" else None)


def imports_of(name: str, source: str, is_pkg: bool, known: Iterable[str]) -> list[tuple[str, bool]]:
    """(imported package module, at module level) for every import of ``source`` (module ``name``)."""
    known = set(known)
    base = name.split(".") if is_pkg else name.split(".")[:-1]
    found: list[tuple[ast.AST, bool]] = []
    _visit(ast.parse(source).body, True, found)
    out: list[tuple[str, bool]] = []

    def add(target: str, top: bool) -> None:
        while target and target not in known and "." in target:
            target = target.rsplit(".", 1)[0]  # an attribute of a module, not a module
        if target in known and target != name:
            out.append((target, top))

    for node, top in found:
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name, top)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                stem = ".".join([*base[: len(base) - node.level + 1], *([node.module] if node.module else [])])
            else:
                stem = node.module or ""
            for alias in node.names:
                add(f"{stem}.{alias.name}" if f"{stem}.{alias.name}" in known else stem, top)
        elif isinstance(node, ast.Call) and (call := _import_module_call(node)):
            target, package = call
            if target.startswith(".") and package:
                level = len(target) - len(target.lstrip("."))
                target = ".".join([*base[: len(base) - level + 1], target.lstrip(".")])
            add(target, False)  # a deferred import: never part of a cycle at import time
    return out


def import_graph(pkg: Path = PKG) -> dict[str, list[tuple[str, bool]]]:
    mods = modules(pkg)
    return {m: imports_of(m, path.read_text(encoding="utf-8"), is_pkg, mods) for m, (path, is_pkg) in mods.items()}


# -------------------------------------------------------------------- the checks


def layer_of(module: str, layers: list[tuple[str, list[tuple[str, list[str]]]]] = LAYERS) -> tuple[int, str] | None:
    """(layer index, group) of ``module``: the group whose name is the module or one of its packages."""
    for i, (_, groups) in enumerate(layers):
        for group, names in groups:
            for n in names:
                if module == n or (n != "inspire_sim" and module.startswith(n + ".")):
                    return i, group
    return None


def violations(
    graph: Mapping[str, Iterable[tuple[str, bool]]], layers: list[tuple[str, list[tuple[str, list[str]]]]] = LAYERS
) -> list[str]:
    """Every import of a module of a higher layer, or of a sibling group of the same layer."""
    out = []
    for mod, deps in graph.items():
        src = layer_of(mod, layers)
        for dep, _ in deps:
            dst = layer_of(dep, layers)
            if src is None or dst is None:
                continue  # reported by test_every_module_has_a_layer
            if dst[0] > src[0] or (dst[0] == src[0] and dst[1] != src[1]):
                out.append(f"{mod} ({src[1]}) imports {dep} ({dst[1]})")
    return sorted(set(out))


def cycles(graph: Mapping[str, Iterable[tuple[str, bool]]]) -> list[list[str]]:
    """The import cycles among module-level imports: strongly connected components of more than one
    module, or a module importing itself (Tarjan's algorithm)."""
    edges = {m: sorted({d for d, top in deps if top}) for m, deps in graph.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, []):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1 or v in edges.get(v, []):
                found.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            strong(v)
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, list[tuple[str, bool]]]:
    return import_graph()


# -------------------------------------------------------------------- the checker can fail


def test_the_checker_finds_a_fabricated_cycle_and_upward_import():
    """The checks on a tiny in-memory package: they report what they must, and only that."""
    files = {
        "inspire_sim.core.a": ("from . import b\nfrom ..cli import c\n", False),  # core -> cli: upward
        "inspire_sim.core.b": ("from .a import X\n", False),  # a <-> b: a cycle
        "inspire_sim.core.d": (
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..reports import r\n"
            "def f():\n    from ..analyses import z\n    from . import a\n",
            False,
        ),
        "inspire_sim.cli.c": ("from ..core import d\n", False),
        "inspire_sim.analyses.z": ("from inspire_sim.experiments import e\n", False),  # sibling
        "inspire_sim.experiments.e": ("import inspire_sim.core.d\n", False),
        "inspire_sim.reports.r": ("", False),
        "inspire_sim.core": ("", True),
    }
    known = set(files)
    g = {m: imports_of(m, src, is_pkg, known) for m, (src, is_pkg) in files.items()}
    assert ("inspire_sim.core.a", False) in g["inspire_sim.core.d"]  # deferred: layering only
    assert not any(dep == "inspire_sim.reports.r" for dep, _ in g["inspire_sim.core.d"])  # TYPE_CHECKING
    assert cycles(g) == [["inspire_sim.core.a", "inspire_sim.core.b"]]
    assert violations(g) == [
        "inspire_sim.analyses.z (analyses) imports inspire_sim.experiments.e (experiments)",
        "inspire_sim.core.a (core) imports inspire_sim.cli.c (cli)",
        "inspire_sim.core.d (core) imports inspire_sim.analyses.z (analyses)",
    ]


def test_the_checker_reads_import_module_calls():
    src = 'import importlib\ndef f():\n    return importlib.import_module(".model", __name__)\n'
    assert imports_of("inspire_sim.core", src, True, {"inspire_sim.core", "inspire_sim.core.model"}) == [
        ("inspire_sim.core.model", False)
    ]


# -------------------------------------------------------------------- the package


def test_every_module_has_a_layer(graph):
    assert [m for m in graph if layer_of(m) is None] == []


def test_no_import_cycle_at_module_level(graph):
    assert cycles(graph) == []


def test_no_layer_imports_a_higher_one(graph):
    assert violations(graph) == []


def test_the_core_imports_nothing_above_it(graph):
    """The rule the issue names, spelled out: the core never imports levers, analyses, reports, app or cli."""
    above = ("inspire_sim.levers", "inspire_sim.analyses", "inspire_sim.reports", "inspire_sim.app", "inspire_sim.cli")
    bad = [
        (m, d)
        for m, deps in graph.items()
        if m.startswith("inspire_sim.core")
        for d, _ in deps
        if d.startswith(above) or d in ("inspire_sim", "inspire_sim.run", "inspire_sim.results")
    ]
    assert bad == []


def test_top_level_is_small():
    top = sorted(p.name for p in PKG.glob("*.py"))
    assert len(top) <= MAX_TOP_LEVEL, top


def test_every_subpackage_says_what_it_is_for_and_what_it_may_import():
    for init in sorted(PKG.glob("*/__init__.py")):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
        assert len(doc.splitlines()) >= 3, f"{init.parent.name}: no docstring saying what it is for"
        assert "May import" in doc, f"{init.parent.name}: its docstring does not say what it may import"


# -------------------------------------------------------------------- the architecture map

_NAMED = re.compile(r"\binspire_sim(?:[./][A-Za-z_][\w]*)+(?:\.py|/)?")


def named_modules(text: str) -> list[str]:
    """Every ``inspire_sim/...`` path or ``inspire_sim.x.y`` dotted name in ``text``."""
    return sorted({m.group(0) for m in _NAMED.finditer(text)})


def _top_level_names(path: Path) -> set[str]:
    """Names a module binds at its top level (definitions, assignments, imports)."""
    names: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {t.id for t in targets if isinstance(t, ast.Name)}
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names


def _exists(name: str) -> bool:
    """``inspire_sim/core/params.py``, ``inspire_sim/core/``, ``inspire_sim.core.params`` or
    ``inspire_sim.core.params.ModelParams`` (a module, then a name it defines) exist."""
    if "/" in name:
        return (ROOT / name.rstrip("/")).exists()
    parts = name.split(".")
    for k in range(len(parts), 0, -1):
        path = ROOT.joinpath(*parts[:k])
        file = path.with_suffix(".py") if path.with_suffix(".py").is_file() else path / "__init__.py"
        if file.is_file():
            if k == len(parts):
                return True
            sub = path / parts[k]
            return (
                sub.with_suffix(".py").is_file()
                or (sub / "__init__.py").is_file()
                or (parts[k] in _top_level_names(file))
            )
    return False


def test_the_architecture_map_names_only_modules_that_exist():
    names = named_modules(DOC.read_text(encoding="utf-8"))
    assert len(names) > 20
    assert [n for n in names if not _exists(n)] == []


def test_the_architecture_map_shows_every_subpackage_and_top_level_module():
    text = DOC.read_text(encoding="utf-8")
    shown = set(named_modules(text))
    parts = [f"inspire_sim/{p.parent.name}/" for p in PKG.glob("*/__init__.py")]
    parts += [f"inspire_sim/{p.name}" for p in PKG.glob("*.py")]
    assert sorted(p for p in parts if p not in shown) == []


def test_named_modules_reads_paths_and_dotted_names():
    text = "see `inspire_sim/core/params.py`, inspire_sim/levers/ and inspire_sim.core.policies.Policy."
    assert named_modules(text) == [
        "inspire_sim.core.policies.Policy",
        "inspire_sim/core/params.py",
        "inspire_sim/levers/",
    ]
    assert not _exists("inspire_sim/core/nothing.py") and not _exists("inspire_sim.nothing")
    assert _exists("inspire_sim.core.params.ModelParams") and not _exists("inspire_sim.core.nothing")
