"""`make lint`'s layout checks that ruff and import-linter do not make:

* no import cycle between modules of ``pipeline`` (function-level imports included; the layers
  contract in pyproject.toml only forbids upward imports between layers);
* no module imports another module's private (``_name``) names;
* no module over MAX_LINES lines.

Exit 1 with one line per problem. Run: ``python tools/check_layout.py``.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "pipeline"
MAX_LINES = 600


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(current: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = current.split(".") if is_package else current.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports(mods: dict[str, Path]) -> dict[str, set[tuple[str, str | None]]]:
    """module -> {(imported module, imported name or None)} over every import statement."""
    out: dict[str, set[tuple[str, str | None]]] = {}
    for name, path in mods.items():
        found: set[tuple[str, str | None]] = set()
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found |= {(a.name, None) for a in node.names if a.name.startswith("pipeline")}
            elif isinstance(node, ast.ImportFrom):
                target = _resolve(name, path.name == "__init__.py", node)
                if target.startswith("pipeline"):
                    for alias in node.names:
                        sub = f"{target}.{alias.name}"
                        found.add((sub, None) if sub in mods else (target, alias.name))
        out[name] = found
    return out


def private_imports(mods, graph) -> list[str]:
    problems = []
    for name, found in graph.items():
        for target, imported in found:
            if imported and imported.startswith("_") and not imported.startswith("__") and target != name:
                problems.append(f"{mods[name].relative_to(ROOT)}: imports private name {imported} from {target}")
    return problems


def cycles(mods, graph) -> list[str]:
    """Strongly connected components of more than one module (Tarjan), ignoring a package's
    ``__init__`` re-exports (they import their own submodules lazily, by design)."""
    edges: dict[str, set[str]] = {m: set() for m in mods}
    for name, found in graph.items():
        for target, _ in found:
            while target and target not in mods:
                target = target.rpartition(".")[0]
            if not target or target == name:
                continue
            if mods[name].name == "__init__.py" and target.startswith(name + "."):
                continue  # a package's lazy re-export of its own submodule
            if mods.get(target) is not None and mods[target].name == "__init__.py" and name.startswith(target + "."):
                continue  # a submodule naming its own package
            edges[name].add(target)
    index, low, stack, on, comps = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                comps.append(sorted(comp))

    sys.setrecursionlimit(10_000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return [f"import cycle: {' <-> '.join(c)}" for c in comps]


def long_modules(mods) -> list[str]:
    problems = []
    for name, path in mods.items():
        n = len(path.read_text(encoding="utf-8").splitlines())
        if n > MAX_LINES:
            problems.append(f"{path.relative_to(ROOT)}: {n} lines (at most {MAX_LINES}; split it by job)")
    return problems


def problems() -> list[str]:
    mods = modules()
    graph = imports(mods)
    return long_modules(mods) + private_imports(mods, graph) + cycles(mods, graph)


def main() -> int:
    found = problems()
    for line in found:
        print(line)
    print(f"layout: {len(found)} problem(s) in {len(modules())} modules")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
