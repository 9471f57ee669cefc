"""The house rules of docs/ARCHITECTURE.md, checked on the source with `ast`.

- the package has no import cycle (imports inside functions count: they only hide a cycle);
- services never import the faces (`web`, `api`) or the authentication glue (`security`);
- nothing outside the unit of work commits or rolls back a session by hand.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = "expense_app"
ROOT = Path(__file__).resolve().parents[1] / PACKAGE


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in ROOT.rglob("*.py")}


def _imports(path: Path, name: str, known: set[str]) -> set[str]:
    """The package modules that `path` (module `name`) imports, anywhere in its body."""
    found: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            # `from pkg import mod` imports the submodule when there is one, else a name of pkg.
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        for target in targets:
            # `import a.b.c` runs a, a.b and a.b.c; the deepest known one is the dependency.
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: _imports(path, name, known) for name, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for child in graph.get(node, ()):
            if child not in index:
                visit(child)
                low[node] = min(low[node], low[child])
            elif child in on_stack:
                low[node] = min(low[node], index[child])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def _is_package_parent(parent: str, child: str) -> bool:
    # A package's __init__ importing its own submodules (and they importing a sibling through
    # the package) is how Python packages are built, not a cycle between layers.
    return child.startswith(parent + ".")


def test_the_checker_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]


def test_the_package_has_no_import_cycle():
    graph = import_graph()
    # Edges from a package to its own submodules are structure, not dependencies.
    pruned = {name: {dep for dep in deps if not _is_package_parent(name, dep)} for name, deps in graph.items()}
    assert _cycles(pruned) == []


def test_services_import_neither_the_faces_nor_security():
    graph = import_graph()
    forbidden = ("expense_app.web", "expense_app.api", "expense_app.security")
    offenders = {
        name: sorted(dep for dep in deps if dep.startswith(forbidden))
        for name, deps in graph.items()
        if name.startswith("expense_app.services")
    }
    assert {name: deps for name, deps in offenders.items() if deps} == {}


def test_no_commit_or_rollback_outside_the_unit_of_work():
    allowed = {ROOT / "services" / "unit_of_work.py"}
    offenders = []
    for path in ROOT.rglob("*.py"):
        if path in allowed:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in {"commit", "rollback"}
            ):
                offenders.append(f"{path.relative_to(ROOT.parent)}:{node.lineno} .{node.func.attr}()")
    assert offenders == []
