"""The import graph: Scrapy only at the edge, Ray only in the distributed module, private
modules private, no cycles."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import crawlcheck

#: Packages allowed to import Scrapy/Twisted, and the modules that drive them.
_EDGE = ("crawlcheck.crawl", "crawlcheck.spiders")


def _core_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(crawlcheck.__path__, "crawlcheck."):
        if info.name.startswith(_EDGE) or info.name == "crawlcheck.__main__":
            continue
        names.append(info.name)
    return names


def test_core_modules_do_not_import_scrapy_or_twisted() -> None:
    modules = _core_modules()
    assert "crawlcheck.parsers.robots" in modules
    assert "crawlcheck.evaluate" in modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('scrapy', 'twisted'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == "", f"core imported: {result.stdout.strip()}"


# -- the import graph, read from the source (no import needed) ---------------------------

_ROOT = Path(crawlcheck.__file__).parent
_SOURCES = {
    **{
        "crawlcheck." + ".".join(p.relative_to(_ROOT).with_suffix("").parts): p
        for p in _ROOT.rglob("*.py")
    },
    **{
        "crawlcheck.spiders." + p.stem: p
        for p in (_ROOT.parent / "spiders").glob("*.py")
        if (_ROOT.parent / "spiders").is_dir()
    },
}
_SOURCES = {name.removesuffix(".__init__"): path for name, path in _SOURCES.items()}


def _imports(path: Path, *, top_level_only: bool, typing: bool = False) -> set[str]:
    """Return the modules *path* imports (absolute names; TYPE_CHECKING blocks if *typing*)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                if typing:
                    visit(node.body)
                continue
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
            if top_level_only:
                if isinstance(node, ast.If | ast.Try):
                    visit(node.body)
                    visit(node.orelse)
                continue
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.stmt):
                    visit([child])

    visit(tree.body)
    return found


def _owner(module: str) -> str:
    return next((n for n in sorted(_SOURCES, key=len, reverse=True) if module == n), "")


def test_only_the_crawl_imports_scrapy_and_only_the_distributed_module_imports_ray() -> None:
    offenders = []
    for name, path in _SOURCES.items():
        heavy = {m.split(".")[0] for m in _imports(path, top_level_only=False)}
        if heavy & {"scrapy", "twisted"} and not name.startswith(_EDGE):
            offenders.append(f"{name} imports Scrapy/Twisted")
        if "ray" in heavy and not name.startswith("crawlcheck.distributed"):
            offenders.append(f"{name} imports Ray")
    assert offenders == []


def test_private_modules_stay_private_to_their_package() -> None:
    offenders = []
    for name, path in _SOURCES.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for imported in _imports(path, top_level_only=False):
            parts = imported.split(".")
            for index, part in enumerate(parts):
                if part.startswith("_") and not part.startswith("__"):
                    owner = ".".join(parts[:index])
                    if owner.startswith("crawlcheck") and not package.startswith(owner):
                        offenders.append(f"{name} imports {imported}")
                    break
    assert offenders == []


def test_the_module_import_graph_has_no_cycles() -> None:
    # Imports made only for type checking count: they are a dependency of the design too.
    graph = {
        name: {
            m for m in (_owner(i) for i in _imports(path, top_level_only=True, typing=True)) if m
        }
        for name, path in _SOURCES.items()
    }
    # A package's __init__ importing its own submodules is the usual layering, not a cycle.
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt == node or nxt.startswith(node + "."):
                continue
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert cycles == []
