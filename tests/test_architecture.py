"""The architecture, checked: one-way layers, no import cycle, each library where it belongs.

Every module of the package is read as a syntax tree (nothing is imported), and every import in it —
at the top, inside functions and under ``TYPE_CHECKING`` alike — is an edge. The layers, top down:

    cli → views → plotting → {optimize, calculus, recalled} → {numeric, in_place} → symbolic
        → points → {expr, presets} → {function, errors, limits, cache}

A module may import its own layer's package and anything below it, never above or sideways. One
exception: ``views.text`` is the one rule for turning numbers into text, and figures need it too;
it imports nothing from plotting or above, so plotting may use it without a cycle of layers.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "gradcli"

# Lower numbers are lower layers. Siblings share a number but may not import each other.
LAYERS: dict[str, int] = {
    "function": 0,
    "errors": 0,
    "limits": 0,
    "cache": 0,
    "expr": 1,
    "presets": 1,
    "points": 2,
    "symbolic": 3,
    "numeric": 4,
    "in_place": 4,
    "calculus": 5,
    "recalled": 5,
    "optimize": 5,
    "plotting": 6,
    "views": 7,
    "cli": 8,
    "__main__": 9,
}
MAX_LINES = 500
SHARED_DOWNWARD = {"gradcli.views.text": "plotting"}  # module -> the lowest layer that may use it


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(path: Path) -> set[str]:
    """The gradcli modules ``path`` imports, resolved to modules (or packages) that exist."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # 'from gradcli.calculus import derivatives' imports a submodule when one exists
            names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
            names = [n for n in names[:-1] if n in MODULES] or [node.module]
        for name in names:
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name.startswith("gradcli"):
                found.add(name)
    return found


GRAPH = {name: imports_of(path) - {name} for name, path in MODULES.items()}


def third_party_of(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_the_package_is_read() -> None:
    assert {"gradcli.cli.app", "gradcli.views.render", "gradcli.optimize.engine"} <= set(GRAPH)
    assert "gradcli.symbolic" in GRAPH["gradcli.numeric"]


def test_no_import_cycle() -> None:
    # Tarjan's strongly connected components: any component of two or more modules is a cycle.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(GRAPH[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    assert not cycles, cycles


@pytest.mark.parametrize("module", sorted(m for m in GRAPH if layer(m)))
def test_layers_point_one_way(module: str) -> None:
    own = layer(module)
    assert own in LAYERS, f"{module}: add its package to LAYERS"
    wrong = []
    for target in sorted(GRAPH[module]):
        other = layer(target)
        if not other or other == own:  # the package root (the lazy API) or its own package
            continue
        if target in SHARED_DOWNWARD and LAYERS[own] >= LAYERS[SHARED_DOWNWARD[target]]:
            continue
        if LAYERS[other] >= LAYERS[own]:
            wrong.append(target)
    assert not wrong, f"{module} (layer {own}) imports upward or sideways: {wrong}"


def test_what_plotting_shares_stays_below_it() -> None:
    for module, lowest in SHARED_DOWNWARD.items():
        above = [t for t in GRAPH[module] if layer(t) and LAYERS[layer(t)] >= LAYERS[lowest]]
        assert not above, f"{module} is used by {lowest}, so it may not import {above}"


def test_the_public_api_is_only_imported_by_the_cli() -> None:
    # gradcli/__init__ is the top: only the CLI (for __version__) may import it.
    users = sorted(m for m, targets in GRAPH.items() if "gradcli" in targets)
    assert all(u.startswith("gradcli.cli") for u in users), users


@pytest.mark.parametrize(
    ("library", "allowed"),
    [
        ("typer", ("cli",)),
        ("click", ("cli",)),
        ("rich", ("cli", "views")),
        ("matplotlib", ("plotting",)),
        ("PIL", ("plotting",)),
    ],
)
def test_each_library_lives_in_its_layer(library: str, allowed: tuple[str, ...]) -> None:
    users = sorted(m for m, p in MODULES.items() if library in third_party_of(p))
    assert all(layer(u) in allowed for u in users), f"{library} used in {users}"


def test_no_module_is_too_long() -> None:
    long = {
        m: n
        for m, p in MODULES.items()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, long


def test_documents_are_built_only_in_views() -> None:
    builders = []
    for module, path in MODULES.items():
        if layer(module) == "views":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("Document", "Table")
            ):
                builders.append(f"{module}:{node.lineno}")
    assert not builders, builders


def test_the_public_api() -> None:
    import gradcli

    for name in gradcli.__all__:
        assert getattr(gradcli, name) is not None, name
    assert (PACKAGE / "py.typed").exists()


# mypy runs on the newest versions only (slow tier): the floor versions' stubs differ (.ci/run)
@pytest.mark.slow
def test_a_users_type_checker_sees_the_types(tmp_path: Path) -> None:
    pytest.importorskip("mypy")
    import os
    import subprocess
    import sys

    script = tmp_path / "user.py"
    script.write_text(
        "from gradcli import Settings, gradient, parse, parse_point\n"
        "fn = parse('x^2 + y^2')\n"
        "reveal_type(gradient(fn, [parse_point('3,1', fn)]))\n"
        "reveal_type(Settings(lr=0.1).lr)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--ignore-missing-imports", "--no-incremental", str(script)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
        env={**os.environ, "MYPYPATH": str(PACKAGE.parent)},
    )
    assert 'Revealed type is "gradcli.calculus.results.GradientResult"' in proc.stdout, proc.stdout
    assert 'Revealed type is "float"' in proc.stdout, proc.stdout


def test_the_readme_python_example_runs() -> None:
    import re

    readme = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    (block,) = re.findall(r"```python\n(.*?)```", readme, flags=re.S)
    namespace: dict[str, object] = {}
    exec(compile(block, "README.md", "exec"), namespace)  # our own documentation, not user input
    assert str(namespace["result"].points[0].norm.exact) == "2*sqrt(10)"  # type: ignore[attr-defined]
    assert namespace["runs"][0].status == "converged"  # type: ignore[index]


def test_every_folder_is_a_real_package() -> None:
    # setuptools' find_packages skips folders without __init__.py: `pip install .` would lose them.
    missing = [
        str(d.relative_to(PACKAGE.parent))
        for d in [PACKAGE, *PACKAGE.rglob("*")]
        if d.is_dir() and d.name != "__pycache__" and not (d / "__init__.py").exists()
    ]
    assert not missing, missing


def test_the_size_guard_knows_every_function() -> None:
    # A function the parser accepts but the constant-size guard does not know was an internal
    # error (KeyError) on a constant argument: heaviside(0).
    from gradcli.expr import magnitude
    from gradcli.expr.grammar import FUNCTION_NAMES

    assert set(FUNCTION_NAMES) <= set(magnitude._functions())
