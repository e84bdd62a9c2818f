"""The store's filesystem check: the mount table is parsed, each listed network filesystem is recognized, and a
database on one is kept in journal_mode=DELETE with a note on stderr (WAL on a local disk)."""

from __future__ import annotations

import sqlite3

import pytest
from typer.testing import CliRunner

from synvita.cli.app import app
from synvita.store import Store, filesystems

LOCAL_LINES = (
    "22 1 0:21 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
    "23 22 0:22 / /proc rw,nosuid shared:5 - proc proc rw\n"
    "24 22 0:23 / /tmp rw - tmpfs tmpfs rw,size=1024k\n"
)


def mountinfo(point: str, fstype: str, source: str = "server:/export") -> str:
    """A mount table with local mounts and one `fstype` mount at `point` (spaces escaped as the kernel does)."""
    escaped = point.replace(" ", "\\040")
    return LOCAL_LINES + f"99 22 0:50 / {escaped} rw,relatime shared:40 master:2 - {fstype} {source} rw,vers=4.2\n"


@pytest.fixture
def fake_mounts(monkeypatch):
    """Serve a fake /proc/self/mountinfo text; the cached lookups are dropped before and after."""
    def serve(text: str) -> None:
        monkeypatch.setattr(filesystems, "read_mountinfo", lambda: text)
        filesystems.forget_mounts()

    yield serve
    filesystems.forget_mounts()


def mode_of(db) -> str:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("PRAGMA journal_mode").fetchone()[0]
    finally:
        conn.close()


NETWORK_TYPES = sorted(filesystems.NETWORK_FILESYSTEMS) + [
    "fuse.sshfs", "fuse.s3fs", "fuse.juicefs", "fuse.glusterfs", "fuse.ceph-fuse", "fuse.gcsfuse", "fuse.rclone",
]


@pytest.mark.parametrize("fstype", NETWORK_TYPES)
def test_each_network_filesystem_in_a_mount_table_is_recognized(fake_mounts, tmp_path, fstype):
    shared = tmp_path / "shared project"
    fake_mounts(mountinfo(str(shared), fstype))
    db = shared / "lab" / "synvita.db"
    assert filesystems.network_filesystem(db) == fstype
    assert filesystems.journal_mode_for(db) == "delete"
    assert filesystems.network_filesystem(tmp_path / "elsewhere.db") is None  # the folder above the mount is local


@pytest.mark.parametrize("fstype", ["ext4", "xfs", "btrfs", "zfs", "tmpfs", "overlay", "fuse.portal", "fuseblk"])
def test_local_filesystems_keep_wal(fake_mounts, tmp_path, fstype):
    fake_mounts(mountinfo(str(tmp_path), fstype))
    assert filesystems.network_filesystem(tmp_path / "synvita.db") is None
    assert filesystems.journal_mode_for(tmp_path / "synvita.db") == "wal"


def test_the_mount_table_parser_reads_optional_fields_and_escapes():
    [root, _, _, mount] = filesystems.parse_mountinfo(mountinfo("/mnt/my data", "nfs4", "nas:/vol\\0401"))
    assert root == filesystems.Mount("/", "ext4", "/dev/sda1")
    assert mount == filesystems.Mount("/mnt/my data", "nfs4", "nas:/vol 1")
    assert filesystems.mount_of("/mnt/my data/x", [root, mount]) == mount
    assert filesystems.mount_of("/mnt/my datax", [root, mount]) == root
    assert filesystems.parse_mountinfo("garbage\n\n1 2 3\n") == []


def test_without_a_mount_table_the_filesystem_is_unknown_and_local(fake_mounts, tmp_path):
    fake_mounts("")
    assert filesystems.database_mount(tmp_path / "x.db") is None
    assert filesystems.journal_mode_for(tmp_path / "x.db") == "wal"


def test_a_database_on_a_network_filesystem_uses_journal_mode_delete_and_says_so(fake_mounts, tmp_path):
    db = tmp_path / "synvita.db"
    fake_mounts(mountinfo(str(tmp_path), "nfs4"))
    result = CliRunner().invoke(app, ["--db", str(db), "db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert mode_of(db) == "delete"
    note = [line for line in result.stderr.splitlines() if line.startswith("note:")]
    assert len(note) == 1 and "is on nfs4, a network filesystem" in note[0] and "journal_mode=DELETE" in note[0]
    result = CliRunner().invoke(app, ["--db", str(db), "runs", "ls"])
    assert result.exit_code == 0 and "journal_mode=DELETE" in result.stderr
    assert not (tmp_path / "synvita.db-wal").exists()


def test_a_wal_database_moved_to_a_network_filesystem_leaves_wal_on_its_next_writable_open(fake_mounts, tmp_path):
    db = tmp_path / "synvita.db"
    fake_mounts(mountinfo("/elsewhere", "nfs4"))
    Store.open(db).close()
    assert mode_of(db) == "wal"
    fake_mounts(mountinfo(str(tmp_path), "lustre"))
    with Store.open(db, read_only=True):
        assert mode_of(db) == "wal"  # a read-only open changes nothing
    blocker = sqlite3.connect(db)  # another process holding it in WAL mode: the switch waits for a later open
    blocker.execute("SELECT count(*) FROM runs").fetchall()
    Store.open(db).close()
    blocker.close()
    assert mode_of(db) == "wal"
    Store.open(db).close()
    assert mode_of(db) == "delete"
    fake_mounts(mountinfo("/elsewhere", "nfs4"))  # back on a local disk: WAL again
    Store.open(db).close()
    assert mode_of(db) == "wal"


def test_doctor_reports_the_network_filesystem_from_the_same_list(fake_mounts, tmp_path):
    from synvita.api import Api

    fake_mounts(mountinfo(str(tmp_path), "fuse.juicefs", "JuiceFS:vol"))
    [check] = [c for c in Api(db=tmp_path / "synvita.db").doctor() if c.name == "filesystem"]
    assert not check.ok and not check.required
    assert "fuse.juicefs" in check.detail and "journal_mode=DELETE" in check.detail
