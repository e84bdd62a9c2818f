"""Paths a manifest names are resolved and confined to the manifest's folder: a row that points elsewhere
(`../../etc/passwd`, an absolute path, a symlink out of the folder) is refused with its line number."""

from __future__ import annotations

import os

import pytest

from synvita.errors import UserInputError
from synvita.generators.folder import FolderGenerator


def _folder(tmp_path, *paths: str):
    folder = tmp_path / "videos"
    (folder / "clips").mkdir(parents=True)
    (folder / "clips" / "a.mp4").write_bytes(b"")
    rows = "".join(f"prompt {i},{p}\n" for i, p in enumerate(paths))
    (folder / "manifest.csv").write_text("prompt,videopath\n" + rows)
    return folder


@pytest.mark.parametrize("escaping", ["../../etc/passwd", "/etc/passwd", "clips/../../outside.mp4"])
def test_a_manifest_row_outside_the_folder_is_refused_with_its_line(tmp_path, escaping):
    folder = _folder(tmp_path, "clips/a.mp4", escaping)
    with pytest.raises(UserInputError) as caught:
        FolderGenerator(folder)
    line = caught.value.one_line()
    assert "line 3" in line and escaping in line and str(folder / "manifest.csv") in line


def test_a_symlink_out_of_the_folder_is_refused(tmp_path):
    folder = _folder(tmp_path, "clips/link.mp4")
    (tmp_path / "secret").write_text("not a video")
    os.symlink(tmp_path / "secret", folder / "clips" / "link.mp4")
    with pytest.raises(UserInputError, match="line 2"):
        FolderGenerator(folder)


def test_paths_inside_the_folder_are_read(tmp_path):
    folder = _folder(tmp_path, "clips/a.mp4", str(tmp_path / "videos" / "clips" / "a.mp4"), "clips/../clips/a.mp4")
    gen = FolderGenerator(folder)
    assert len(gen) == 3
    assert {p for paths in gen.videos.values() for p in paths} == {(folder / "clips" / "a.mp4").resolve()}


def test_confine_names_where_the_path_came_from(tmp_path):
    from synvita.paths import confine

    assert confine(tmp_path, "a/b.txt", where="x.csv line 4") == (tmp_path / "a" / "b.txt").resolve()
    with pytest.raises(UserInputError, match=r"^x\.csv line 4: "):
        confine(tmp_path, "../b.txt", where="x.csv line 4")
