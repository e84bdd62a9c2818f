"""A plugin distribution adds a generator, a scorer and a benchmark through the entry-point groups, and `synvita
run` validates and executes them like the built-ins."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
SYNVITA = Path(sys.executable).parent / "synvita"
ENTRY_POINTS = """\
[synvita.generators]
flat = synvita_example_plugin:FlatGenerator

[synvita.scorers]
half = synvita_example_plugin:HalfScorer

[synvita.benchmarks]
mean-f = synvita_example_plugin:MeanScore
"""
SPEC = """\
name = "plugin-demo"
seeds = [0]
[world]
preset = "tiny"
[generation]
generators = ["flat"]
[scorers]
name = "half"
members = 1
steps = 4
[train]
variants = ["weighting"]
steps = 4
[evaluate]
benchmarks = ["mean-f", "entail-llm"]
controls = []
"""


@pytest.fixture
def plugin_path(tmp_path) -> Path:
    """A throwaway distribution: the module and a `*.dist-info` (METADATA + entry_points.txt) on one path entry."""
    site = tmp_path / "site"
    info = site / "synvita_example_plugin-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: synvita-example-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(ENTRY_POINTS)
    shutil.copy(HERE / "example_plugin.py", site / "synvita_example_plugin.py")
    return site


def synvita(*args, site: Path, home: Path, timeout: int):
    env = {**os.environ, "NO_COLOR": "1", "SYNVITA_HOME": str(home),
           "PYTHONPATH": os.pathsep.join(p for p in (str(site), os.environ.get("PYTHONPATH")) if p)}
    return subprocess.run([str(SYNVITA), *map(str, args)], capture_output=True, text=True, env=env, timeout=timeout)


def test_the_registries_list_the_plugin_components(plugin_path, monkeypatch):
    import synvita.registry as registry

    monkeypatch.syspath_prepend(str(plugin_path))
    for reg, name in ((registry.GENERATORS, "flat"), (registry.SCORERS, "half"), (registry.BENCHMARKS, "mean-f")):
        fresh = registry.Registry(reg.kind, reg.entry_point_group)
        assert name in fresh.names() and set(reg.names()) <= set(fresh.names())
        assert fresh.get(name).name == name


@pytest.mark.skipif(not SYNVITA.exists(), reason="console script not installed in this environment")
@pytest.mark.slow
def test_synvita_run_validates_and_executes_plugin_components(plugin_path, tmp_path):
    spec = tmp_path / "plugin-demo.toml"
    spec.write_text(SPEC)
    dry = synvita("run", spec, "--dry-run", site=plugin_path, home=tmp_path / "home", timeout=120)
    assert dry.returncode == 0, dry.stderr
    assert "generate" in dry.stdout and "flat" in dry.stdout
    refused = synvita("run", spec, "--dry-run", "--set", "generation.guidance=7.5", site=plugin_path,
                      home=tmp_path / "home", timeout=120)
    assert refused.returncode == 2 and "generator 'flat' does not take generation.guidance" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1

    result = synvita("run", spec, site=plugin_path, home=tmp_path / "home", timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    run_dirs = [p.parent for p in (tmp_path / "home").rglob("events.jsonl")]
    stages = {json.loads((d / "config.json").read_text())["stage"]: d for d in run_dirs}
    weights = [json.loads(line) for line in (stages["score"] / "weights.jsonl").read_text().splitlines()]
    assert weights and {w["weight"] for w in weights} == {0.5} and {w["generator"] for w in weights} == {"flat"}
    results = json.loads((stages["evaluate"] / "results.json").read_text())
    assert {r["benchmark"] for r in results["results"]} >= {"mean-f", "entail-llm"}
    assert 0.0 <= next(r["value"] for r in results["results"] if r["benchmark"] == "mean-f") <= 100.0
