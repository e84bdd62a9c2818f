"""The TUI is a front end: it reaches the engine only through `synvita.api` (plus the plain entities and errors)."""

import ast
from pathlib import Path

ALLOWED = ("synvita.api", "synvita.entities", "synvita.errors")


def test_tui_imports_only_the_api_entities_and_errors():
    offenders = []
    for path in (Path(__file__).parents[2] / "tui").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                if name.split(".")[0] == "synvita" and not name.startswith(ALLOWED):
                    offenders.append(f"{path.name}: {name}")
    assert offenders == []
