"""Which filesystem holds a database, and the SQLite journal mode that is safe on it.

SQLite's WAL mode keeps the index of its log in a shared-memory file (`<db>-shm`) that every process using the
database maps into memory. Processes on different hosts of a network filesystem do not share that memory, so WAL
there can hand a reader a stale index or let two writers corrupt the database. The rollback journal
(`journal_mode=DELETE`) needs only the filesystem's file locks, which NFSv4, Lustre, GPFS and the others provide:
the store uses it on a network filesystem and WAL everywhere else (docs/reliability.md, "Databases and file
systems"). `synvita doctor` reports the same verdict from the same list.

The mount table is read once per directory per process (`/proc/self/mountinfo`, Linux); elsewhere the filesystem
is unknown and counts as local. Standard library only: every command that opens a database pays for this check.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

MOUNTINFO = Path("/proc/self/mountinfo")

NETWORK_FILESYSTEMS = frozenset({
    "nfs", "nfs4", "cifs", "smb3", "smbfs", "ncpfs", "afs",  # file servers
    "lustre", "gpfs", "beegfs", "glusterfs", "ceph", "cephfs", "ceph-fuse", "panfs", "wekafs", "orangefs", "pvfs2",
    "ocfs2", "gfs2",  # cluster and parallel filesystems
    "9p", "virtiofs",  # folders a VM or WSL shares with its host
    "sshfs", "s3fs", "juicefs", "gcsfuse", "rclone", "davfs",  # FUSE filesystems over a network
})
"""Filesystems several hosts (or a VM and its host) share. A FUSE filesystem is listed by its name after `fuse.`
(mountinfo says `fuse.sshfs`, `fuse.juicefs`, `fuse.glusterfs`, ...)."""

SAFE_JOURNAL_MODE = {True: "delete", False: "wal"}
"""The journal mode the store uses, by whether the database is on a network filesystem."""


class Mount(NamedTuple):
    point: str
    fstype: str
    source: str


def is_network_filesystem(fstype: str) -> bool:
    """Whether `fstype` (as mountinfo writes it, e.g. `nfs4` or `fuse.sshfs`) is one several hosts share."""
    return fstype in NETWORK_FILESYSTEMS or (fstype.startswith("fuse.") and fstype[5:] in NETWORK_FILESYSTEMS)


def _unescape(field: str) -> str:
    """A mountinfo path: space, tab, newline and backslash are written as octal escapes (`\\040`)."""
    if "\\" not in field:
        return field
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def parse_mountinfo(text: str) -> list[Mount]:
    """The mounts of a `/proc/self/mountinfo` text (proc(5)): the mount point is the 5th field; the filesystem type
    and source follow the ` - ` separator that ends the optional fields."""
    mounts = []
    for line in text.splitlines():
        before, sep, after = line.partition(" - ")
        fields, tail = before.split(), after.split()
        if not sep or len(fields) < 5 or len(tail) < 2:
            continue
        mounts.append(Mount(point=_unescape(fields[4]), fstype=tail[0], source=_unescape(tail[1])))
    return mounts


def mount_of(path: str, mounts: list[Mount]) -> Mount | None:
    """The mount holding the absolute `path`: the one with the longest mount point above it (the last one mounted
    there when several are stacked)."""
    best: Mount | None = None
    for mount in mounts:
        point = mount.point.rstrip("/")  # "" for the root
        if path == mount.point or path.startswith(point + "/"):
            if best is None or len(point) >= len(best.point.rstrip("/")):
                best = mount
    return best


def read_mountinfo() -> str:
    """This process's mount table, or "" where there is none (not Linux)."""
    try:
        return MOUNTINFO.read_text(errors="replace")
    except OSError:
        return ""


@lru_cache(maxsize=64)
def _mount_of_directory(directory: str) -> Mount | None:
    return mount_of(directory, parse_mountinfo(read_mountinfo()))


def database_mount(db_path: str | Path) -> Mount | None:
    """The mount holding the database's folder (symlinks resolved), None when unknown; cached per folder."""
    return _mount_of_directory(str(Path(db_path).absolute().parent.resolve()))


def network_filesystem(db_path: str | Path) -> str | None:
    """The filesystem type when the database's folder is on a network filesystem, else None."""
    mount = database_mount(db_path)
    return mount.fstype if mount is not None and is_network_filesystem(mount.fstype) else None


def journal_mode_for(db_path: str | Path) -> str:
    """`delete` on a network filesystem, else `wal`."""
    return SAFE_JOURNAL_MODE[network_filesystem(db_path) is not None]


def network_note(db_path: str | Path) -> str | None:
    """The line a command shows (on stderr) when it opens a database on a network filesystem, else None."""
    fstype = network_filesystem(db_path)
    if fstype is None:
        return None
    return (f"database {db_path} is on {fstype}, a network filesystem: synvita uses journal_mode=DELETE there instead "
            "of WAL, so readers and writers take turns (docs/reliability.md)")


def forget_mounts() -> None:
    """Drop the cached mount lookups (after a mount changed, or in tests that fake the mount table)."""
    _mount_of_directory.cache_clear()
