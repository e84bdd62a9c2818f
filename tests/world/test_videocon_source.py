"""The `videocon` data source's checks: what can be known at submission (columns, values, confined and existing
video paths) fails `synvita run` with one line and exit 2 before anything is enqueued; a video PyAV cannot decode
fails the world run with the CSV, the row and what to do, and nothing else changes."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from synvita.api import Api
from synvita.world.export import export_original

SPEC = """name = "vc"
seeds = [0]
[data]
source = "videocon"
[videocon]
root = "{root}"
frames = 8
height = 32
width = 32
[scorers]
members = 1
steps = 2
[train]
variants = ["none"]
steps = 2
[evaluate]
controls = []
"""


@pytest.fixture(scope="module")
def exported(tmp_path_factory, tiny_world):
    out = tmp_path_factory.mktemp("vc") / "data"
    export_original(tiny_world, out)
    return out


@pytest.fixture
def data(exported, tmp_path):
    root = tmp_path / "data"
    shutil.copytree(exported, root)
    return root


def synvita(*args: str, db: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "synvita.cli.app", "--db", str(db), *args], capture_output=True,
                          text=True, timeout=600)


def _spec(tmp_path: Path, root: Path) -> Path:
    path = tmp_path / "vc.toml"
    path.write_text(SPEC.format(root=root))
    return path


def _set_videopath(csv_path: Path, row: int, new: str) -> str:
    """Replace the videopath of data row `row` of the (unquoted) training CSV; returns the old one."""
    lines = csv_path.read_text().split("\n")
    fields = lines[row].split(",")
    old, fields[1] = fields[1], new
    lines[row] = ",".join(fields)
    csv_path.write_text("\n".join(lines))
    return old


def test_a_good_export_validates(data, tmp_path, db_path):
    result = synvita("run", str(_spec(tmp_path, data)), "--dry-run", db=db_path)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "case, words",
    [
        ("dotdot", "llm_entailment.csv row 3: path '../outside.mp4' points outside"),
        ("absolute", "llm_entailment.csv row 3: path '/etc/hostname' points outside"),
        ("missing-video", "llm_entailment.csv row 3: video videos/train/gone.mp4 not found under"),
        ("missing-column", "final_videocon_human.csv: missing column(s) 'hard'"),
        ("missing-file", "videocon.llm_test_csv: no file final_videocon_llm_test.csv"),
        ("bad-label", "final_videocon_llm_test.csv row 1 (line 5), column 'label': expected 0/1"),
        ("no-root", "videocon.root: no folder"),
    ],
)
def test_bad_inputs_fail_at_submission_in_one_line(data, tmp_path, db_path, case, words):
    pairs = data / "videocon_llm_entailment.csv"
    if case == "dotdot":
        _set_videopath(pairs, 3, "../outside.mp4")
    if case == "absolute":
        _set_videopath(pairs, 3, "/etc/hostname")
    if case == "missing-video":
        (data / _set_videopath(pairs, 3, "videos/train/gone.mp4")).unlink()
    if case == "missing-column":
        human = data / "final_videocon_human.csv"
        human.write_text(human.read_text().replace("videopath,caption,label,hard,", "videopath,caption,label,difficult,", 1))
    if case == "missing-file":
        (data / "final_videocon_llm_test.csv").unlink()
    if case == "bad-label":
        llm = data / "final_videocon_llm_test.csv"
        text = llm.read_text()
        first = text.index('AI: "')
        llm.write_text(text[: first + 5] + ",maybe" + text[first + 5:].split(",", 1)[1])
    root = tmp_path / "nowhere" if case == "no-root" else data
    before = synvita("runs", "ls", db=db_path).stdout
    result = synvita("run", str(_spec(tmp_path, root)), db=db_path)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    assert words in lines[0], lines[0]
    assert synvita("runs", "ls", db=db_path).stdout == before  # nothing enqueued


def test_an_undecodable_video_fails_the_world_run_naming_file_row_and_fix(data, tmp_path, db_path):
    from synvita.data.manifest import read_csv

    llm = read_csv(data / "final_videocon_llm_test.csv")
    (data / llm[0]["videopath"]).write_bytes(b"\x00\x00\x00 ftypisom not really an mp4")
    avi = data / "videos" / "clip.avi"
    avi.write_bytes(b"RIFF\x00\x00\x00\x00AVI LIST")
    with Api(db=db_path) as api:
        other = api.submit(api.load_experiment(_spec(tmp_path, data), overrides=["name=\"other\""]))
        for run in other.runs:
            api.cancel(run.id)
        before = sorted((r.id, r.status) for r in api.list_runs(experiment="other"))
        api.submit(api.load_experiment(_spec(tmp_path, data)))
        api.run_worker(until_idle=True, parallel=1)
        [world] = api.list_runs(experiment="vc", stage="world")
        assert world.status == "failed"
        # the first row naming the video: the test split of the pairs file names it before the LLM test file
        assert f"videocon_llm_entailment.csv row 127: cannot decode video {llm[0]['videopath']}" in world.error
        assert "re-encode it as H.264 mp4" in world.error and "\n" not in world.error
        assert {r.status for r in api.list_runs(experiment="vc") if r.stage != "world"} <= {"blocked", "cancelled"}
        assert sorted((r.id, r.status) for r in api.list_runs(experiment="other")) == before


def test_an_avi_pyav_cannot_open_names_its_row(tmp_path):
    from synvita.videocon.dataset import _decode_or_fail
    from synvita.errors import UserInputError

    avi = tmp_path / "clip.avi"
    avi.write_bytes(b"RIFF\x00\x00\x00\x00AVI LIST")
    with pytest.raises(UserInputError) as err:
        _decode_or_fail(avi, "clip.avi", "eval_ssv2_events.csv row 7", (8, 32, 32))
    assert err.value.one_line().startswith("eval_ssv2_events.csv row 7: cannot decode video clip.avi (")
