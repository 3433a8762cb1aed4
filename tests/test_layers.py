"""Imports point down only: newsmon/ → flows/ → warehouse/ → extractors/.

Read with `ast`, so an import inside a function or under TYPE_CHECKING counts too.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LAYERS = ("newsmon", "flows", "warehouse", "extractors")  # top to bottom
# What each layer may import of the project, besides itself: the layers below it, except that
# storage knows only the record and error types of the extractors.
ALLOWED = {
    "newsmon": {"flows", "warehouse", "extractors"},
    "flows": {"warehouse", "extractors"},
    "warehouse": {"extractors.records", "extractors.errors"},
    "extractors": set(),
}
NETWORK = {"httpx", "httpcore", "socket", "urllib.request", "http.client", "requests", "aiohttp"}
NETWORK_DOOR = "extractors/fetch/"  # the only place in the pipeline that opens connections


def imported_modules(source: str) -> list[tuple[int, str, list[str]]]:
    """(line, module, the names that may be modules) of every absolute import in `source`:
    `import a.b` is ("a.b", ["a.b"]); `from a import b, c` is ("a", ["a.b", "a.c"])."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, [alias.name]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module, [f"{node.module}.{alias.name}" for alias in node.names]))
    return found


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def violations(root: Path) -> list[str]:
    """Every upward or sideways import, and every network import outside the network door."""
    problems = []
    for layer in LAYERS:
        allowed = ALLOWED[layer] | {layer}
        for path in sorted((root / layer).rglob("*.py")):
            relative = path.relative_to(root).as_posix()
            for line, module, candidates in imported_modules(path.read_text(encoding="utf-8")):
                if module.split(".")[0] in LAYERS and not (
                    any(_within(module, a) for a in allowed)
                    or all(any(_within(c, a) for a in allowed) for c in candidates)
                ):
                    problems.append(f"{relative}:{line} imports {module} ({layer} may import {sorted(allowed)})")
                if (
                    layer != "newsmon"
                    and not relative.startswith(NETWORK_DOOR)
                    and any(_within(module, n) for n in NETWORK)
                ):
                    problems.append(f"{relative}:{line} imports {module}: only {NETWORK_DOOR} touches the network")
    return problems


def test_every_import_points_down():
    assert violations(REPO) == []


def test_nothing_imports_the_command_line():
    for part in ("flows", "warehouse", "extractors", "bench"):
        for path in (REPO / part).rglob("*.py"):
            assert not [m for _, m, _ in imported_modules(path.read_text()) if _within(m, "newsmon")], path


def plant(root: Path, relative: str, source: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source)


def test_a_planted_upward_import_is_caught(tmp_path):
    plant(tmp_path, "extractors/records.py", "from dataclasses import dataclass\n")
    plant(tmp_path, "warehouse/load.py", "from extractors.records import ParsedPage\nfrom extractors import errors\n")
    plant(tmp_path, "flows/tasks.py", "from warehouse.load import load_batch\n")
    assert violations(tmp_path) == []

    plant(tmp_path, "warehouse/sources.py", "def f():\n    from flows.watchlist import Source\n")
    plant(tmp_path, "warehouse/frontier.py", "from extractors.fetch import FetchAttempt\n")
    plant(tmp_path, "extractors/spam.py", "import warehouse.dedup\n")
    plant(tmp_path, "extractors/html_page.py", "import httpx\n")
    plant(tmp_path, "flows/crawl.py", "from newsmon.cli import app\n")
    found = violations(tmp_path)
    assert [problem.split(":")[0] for problem in found] == [
        "flows/crawl.py",
        "warehouse/frontier.py",
        "warehouse/sources.py",
        "extractors/html_page.py",
        "extractors/spam.py",
    ]


def modules_loaded_by(module: str) -> set[str]:
    """Top-level packages a fresh interpreter has loaded after importing `module`."""
    code = f"import sys, {module}; print(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    return set(done.stdout.split())


def test_records_and_summaries_import_no_storage_and_no_network():
    assert not {"duckdb", "pyarrow", "httpx", "prefect"} & modules_loaded_by("flows.summary")
    assert not {"duckdb", "httpx"} & modules_loaded_by("extractors.records")
    assert "httpx" not in modules_loaded_by("warehouse.frontier")
