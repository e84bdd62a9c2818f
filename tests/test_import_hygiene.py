"""The dependency arrows as failing tests: the store, API and CLI never load heavy ML packages or the TUI, and
nothing under `synvita` imports `tui`/`textual` (import-linter contracts in pyproject.toml, plus run-time checks)."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "diffusers", "transformers", "peft", "textual", "tui")


def loaded_after(statement: str) -> list[str]:
    code = f"{statement}\nimport sys, json\nprint(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "statement",
    [
        "import synvita.store",
        "import synvita.api",
        "import synvita.cli.app",
        "import synvita.specs; synvita.specs.load_component_registries()",
        "from synvita.api import Api; Api(db='/nonexistent/x.db').list_runs(); Api().doctor()",
    ],
)
def test_light_modules_do_not_load_heavy_packages(statement):
    assert loaded_after(statement) == []


def test_cli_commands_on_a_database_stay_light(tmp_path):
    """`runs ls` and `table` go through Typer, the API and the store without torch or textual."""
    code = (
        "import sys\n"
        "from synvita.cli.app import app\n"
        f"for args in (['--db', {str(tmp_path / 'x.db')!r}, 'runs', 'ls'], ['--db', {str(tmp_path / 'x.db')!r}, 'table']):\n"
        "    try:\n        app(args=args, prog_name='synvita')\n    except SystemExit:\n        pass\n"
    )
    assert loaded_after(code) == []


def test_no_module_under_synvita_imports_the_tui_statically():
    offenders = []
    for path in (REPO / "synvita").rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [f"{path.relative_to(REPO)}: {n}" for n in names if n.split(".")[0] in ("tui", "textual")]
    assert offenders == []


def test_import_linter_contracts_hold():
    lint = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    if not Path(lint).exists():
        pytest.skip("import-linter is not installed")
    result = subprocess.run([lint], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
