"""The dependency arrows as failing tests: the store, API and CLI never load heavy ML packages or the TUI, nothing
under `synvita` imports `tui`/`textual`, the front ends reach the engine only through `synvita.api`, the layers hold
and no import goes round in a circle (import-linter contracts in pyproject.toml, plus checks of the import graph)."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "diffusers", "transformers", "peft", "textual", "tui")
FRONT_END_MAY_IMPORT = ("synvita.api", "synvita.entities", "synvita.errors")

KNOWN_PACKAGE_CIRCLES: set[tuple[str, str]] = set()
"""Circles between sibling packages that are still there; each entry goes with the change that breaks its circle
(the test below fails on a listed circle that is gone as on a new one)."""


CACHED_WEIGHTS = (
    "import os, pathlib, tempfile\n"
    "cache = pathlib.Path(tempfile.mkdtemp()); os.environ['HF_HUB_CACHE'] = str(cache)\n"
    "for repo, marker in (('THUDM/CogVideoX-2b', 'model_index.json'), ('LanguageBind/Video-LLaVA-7B-hf', 'config.json')):\n"
    "    snapshot = cache / ('models--' + repo.replace('/', '--')) / 'snapshots' / ('0' * 40)\n"
    "    snapshot.mkdir(parents=True); (snapshot / marker).write_text('{}')\n"
    "    (snapshot.parent.parent / 'refs').mkdir(); (snapshot.parent.parent / 'refs' / 'main').write_text('0' * 40)\n"
)
"""Statement prefix: a throwaway HF cache holding the two repo ids below (weights are checked at submission)."""


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
        # spec validation asks each selected component to check its section: none may import torch to do it
        "from synvita import specs; specs.load_spec('quickstart')",
        CACHED_WEIGHTS + "from synvita import specs; specs.load_spec('quickstart', generator='cogvideox', "
        "overrides=['generation.model_path=THUDM/CogVideoX-2b', 'generation.steps=4', 'generation.device=cpu'])",
        CACHED_WEIGHTS + "from synvita import specs; specs.load_spec('quickstart', overrides=['scorers.name=\"vqascore\"', "
        "'scorers.paths=[\"LanguageBind/Video-LLaVA-7B-hf\"]'])",
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


READ_PATH_NEVER_LOADS = ("sqlalchemy", "sqlmodel", "torch", "numpy", "textual", "tui")
"""What the reading commands must not import. Their import budget: the standard library, synvita's own modules and
Typer with what Typer brings (pydantic, with which it coerces parameters; Rich for `--help`)."""


def test_reading_commands_use_sqlite3_not_the_orm(tmp_path):
    """`--help`, `runs ls` (text and JSON), `runs show` and `table` on a real database read it with the standard
    library's sqlite3: at exit, neither SQLAlchemy, SQLModel, torch, numpy nor the TUI is loaded."""
    from synvita.runs.ingest import parse_events
    from synvita.store import NewRun, Store

    db = tmp_path / "x.db"
    with Store.open(db) as store:
        [run] = store.create_runs([NewRun("exp", "s-1", "evaluate", variant="none", seed=0, config={"seed": 0})])
        result = {"kind": "result", "benchmark": "qa-hard", "metric": "auc", "value": 0.5, "subset": None, "control": None}
        store.ingest_events(run.id, parse_events([{"seq": 0, "ts": 0.0, **result}], run.run_dir))
        store.claim_next("w-1")
        store.finish(run.id, "succeeded")
    commands = [["--help"], ["runs", "ls"], ["runs", "ls", "--json"], ["runs", "show", run.id], ["runs", "show", run.id, "--json"], ["table"]]
    code = (
        "import json, sys\n"
        "from synvita.cli.app import main\n"
        "try:\n    main(json.loads(sys.argv[1]))\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
        f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({READ_PATH_NEVER_LOADS!r}))))"
    )
    for command in commands:
        argv = ["--db", str(db), *command] if command != ["--help"] else command
        out = subprocess.run([sys.executable, "-c", code, json.dumps(argv)], capture_output=True, text=True, check=True, cwd=REPO)
        assert json.loads(out.stdout.strip().splitlines()[-1]) == [], command


@pytest.mark.parametrize("package", ["synvita.api", "synvita.store", "synvita.report"])
def test_every_name_a_lazy_package_exports_loads(package):
    """The packages that load their names on first use export exactly what they can load."""
    import importlib

    module = importlib.import_module(package)
    assert all(getattr(module, name) is not None for name in module.__all__)
    assert all(getattr(module, path.stem).__name__ == f"{package}.{path.stem}"  # submodules, as attributes too
               for path in (REPO / package.replace(".", "/")).glob("[a-z]*.py"))
    with pytest.raises(AttributeError):
        module.no_such_name  # noqa: B018


def imported_names(path: Path) -> list[str]:
    """Every module a file imports by absolute name, at module level or inside functions."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


@pytest.mark.parametrize("front_end, own", [("tui", "tui"), ("synvita/cli", "synvita.cli")])
def test_front_ends_import_only_the_api_entities_and_errors(front_end, own):
    offenders = [
        f"{path.relative_to(REPO)}: {name}"
        for path in (REPO / front_end).rglob("*.py")
        for name in imported_names(path)
        if name.split(".")[0] == "synvita" and not name.startswith(FRONT_END_MAY_IMPORT + (own,))
    ]
    assert offenders == []


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one node (Tarjan): each is a set of modules or packages
    that import each other round a circle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = [stack.pop()]
            while component[-1] != node:
                component.append(stack.pop())
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    """Imports between modules of synvita, function-level imports included."""
    return grimp.build_graph("synvita", cache_dir=None)


def test_no_import_circle_between_modules(graph):
    edges = {module: set(graph.find_modules_directly_imported_by(module)) for module in graph.modules}
    assert circles(edges) == []


def test_no_import_circle_between_sibling_packages(graph):
    """Within each package, its subpackages and modules (each taken with everything under it) form no circle."""
    found = set()
    for package in graph.modules:
        children = graph.find_children(package)
        if len(children) < 2:
            continue

        def child_of(module: str) -> str | None:
            return next((c for c in children if module == c or module.startswith(c + ".")), None)

        edges: dict[str, set[str]] = {}
        for module in graph.find_descendants(package):
            importer = child_of(module)
            for imported in map(child_of, graph.find_modules_directly_imported_by(module)):
                if imported is not None and imported != importer:
                    edges.setdefault(importer, set()).add(imported)
        found.update(tuple(circle) for circle in circles(edges))
    assert found == KNOWN_PACKAGE_CIRCLES


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
