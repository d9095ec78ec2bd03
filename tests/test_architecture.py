"""The floor plan holds: layer contracts, no import cycles, private modules stay private, the
library never presents, and the public API is what ``goldset/__init__.py`` says it is."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import goldset

PACKAGE = Path(goldset.__file__).resolve().parent
LIBRARY = [
    p for p in sorted(PACKAGE.rglob("*.py"))
    if "cli" not in p.relative_to(PACKAGE).parts and p.name != "__main__.py"  # `python -m goldset` runs the CLI
]


def _graph():  # type: ignore[no-untyped-def]
    grimp = pytest.importorskip("grimp")
    # TYPE_CHECKING imports are not run: a type named in both directions is not a cycle.
    return grimp.build_graph("goldset", exclude_type_checking_imports=True)


def test_layer_contracts_hold() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    proc = subprocess.run([str(lint)], cwd=PACKAGE.parent, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "0 broken" in proc.stdout


def _strongly_connected(edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative; components of more than one node are cycles."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(edges.get(w, ())))))
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))
    return out


def test_no_import_cycles_between_modules_or_packages() -> None:
    g = _graph()
    modules = sorted(g.modules)
    # A package importing its own submodules (re-exports) is not a cycle.
    edges = {m: {d for d in g.find_modules_directly_imported_by(m) if not d.startswith(m + ".")} for m in modules}
    assert _strongly_connected(edges) == []

    def package(m: str) -> str:
        return ".".join(m.split(".")[:2])

    pkg_edges: dict[str, set[str]] = {}
    for m, deps in edges.items():
        pkg_edges.setdefault(package(m), set()).update(package(d) for d in deps if package(d) != package(m))
    pkg_edges.pop("goldset", None)  # the root re-exports everything, lazily
    for deps in pkg_edges.values():
        deps.discard("goldset")
    assert _strongly_connected(pkg_edges) == []


def test_the_cycle_finder_finds_cycles() -> None:
    assert _strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
            found += [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names]
    return found


def test_private_modules_are_imported_only_inside_their_package() -> None:
    """``goldset.X._y`` is imported only by modules of ``goldset.X`` (and its subpackages);
    everyone else uses what ``goldset.X`` exports."""
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        here = ".".join(rel.parts if rel.name == "__init__" else rel.parts[:-1]).removesuffix(".__init__")
        for name in _imports(path):
            parts = name.split(".")
            private = next((i for i, p in enumerate(parts) if p.startswith("_") and not p.startswith("__")), None)
            if parts[0] != "goldset" or private is None:
                continue
            owner = ".".join(parts[:private])
            if here != owner and not here.startswith(owner + "."):
                offenders.append(f"{rel}: {name}")
    assert offenders == []


def test_the_library_never_prints_exits_or_renders() -> None:
    offenders = []
    for path in LIBRARY:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                f = node.func
                name = f.id if isinstance(f, ast.Name) else f"{getattr(f.value, 'id', '?')}.{f.attr}" if isinstance(f, ast.Attribute) else ""
                if name in ("print", "sys.exit", "exit", "input"):
                    offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: {name}()")
        for name in _imports(path):
            if name.split(".")[0] in ("click", "rich") or name.startswith("goldset.cli"):
                offenders.append(f"{path.relative_to(PACKAGE)}: imports {name}")
    assert offenders == []


def test_public_api_resolves_and_is_exactly_all() -> None:
    names = [n for n in goldset.__all__ if n != "__version__"]
    assert names == sorted(names)
    for name in names:
        assert getattr(goldset, name) is not None
    with pytest.raises(AttributeError):
        goldset.not_a_name  # noqa: B018
    # Each subsystem package's __all__ names exist, and every name goldset exports comes from one.
    for pkg in ("store", "spec", "access", "workspace", "ingest", "curation", "query", "coverage", "validation", "history"):
        module = importlib.import_module(f"goldset.{pkg}")
        assert module.__doc__ and "Owns" in module.__doc__, f"goldset.{pkg} must say what it owns"
        missing = [n for n in module.__all__ if not hasattr(module, n)]
        assert missing == [], (pkg, missing)


def test_help_does_not_import_the_heavy_libraries() -> None:
    code = (
        "import sys; from goldset.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('duckdb', 'pyarrow', 'great_expectations', 'dvc', 'pandas', 'fastapi', 'scipy', 'pydantic') if m in sys.modules]\n"
        "print('HEAVY=' + ','.join(heavy))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "HEAVY="
