"""Where synvita keeps its database and run directories.

Resolution order for the database file (first that is set wins):
    1. an explicit path (`--db`, `Store.open(db=...)`); a directory means `<dir>/synvita.db`
    2. `$SYNVITA_DB` (a file path, or a directory as above)
    3. `$SYNVITA_HOME/synvita.db`
    4. project-local `.synvita/synvita.db`: the nearest `.synvita/` in the current directory or one of its parents,
       else `./.synvita/synvita.db` (created on first write)

Run directories live next to the database: `<db dir>/runs/<run_id>/`, so moving the folder moves everything.
"""

from __future__ import annotations

import os
from pathlib import Path

DB_FILENAME = "synvita.db"
PROJECT_DIRNAME = ".synvita"
RUNS_DIRNAME = "runs"


def _as_db_file(path: str | Path) -> Path:
    p = Path(os.path.expanduser(str(path)))
    if p.is_dir() or str(path).endswith(("/", os.sep)):
        p = p / DB_FILENAME
    return p.absolute()


def project_dir(start: str | Path | None = None) -> Path:
    """The nearest existing `.synvita/` at or above `start` (default: cwd), else `<start>/.synvita`."""
    here = Path(start or os.getcwd()).absolute()
    for candidate in (here, *here.parents):
        if (candidate / PROJECT_DIRNAME).is_dir():
            return candidate / PROJECT_DIRNAME
    return here / PROJECT_DIRNAME


def resolve_db_path(db: str | Path | None = None) -> Path:
    """The database file to use: `db` > $SYNVITA_DB > $SYNVITA_HOME/synvita.db > project-local .synvita/synvita.db."""
    if db not in (None, ""):
        return _as_db_file(db)
    if os.environ.get("SYNVITA_DB"):
        return _as_db_file(os.environ["SYNVITA_DB"])
    if os.environ.get("SYNVITA_HOME"):
        return (Path(os.path.expanduser(os.environ["SYNVITA_HOME"])) / DB_FILENAME).absolute()
    return project_dir() / DB_FILENAME


def runs_root(db_path: str | Path) -> Path:
    """Directory holding one sub-directory per run: `<db dir>/runs/`."""
    return Path(db_path).absolute().parent / RUNS_DIRNAME


def run_dir_for(db_path: str | Path, run_id: str) -> Path:
    return runs_root(db_path) / run_id


def confine(root: str | Path, path: str | Path, *, where: str) -> Path:
    """`path` (relative to `root`, or absolute) resolved, symlinks followed; a path that ends up outside `root`
    is refused with one line starting with `where` (e.g. "manifest x.csv line 7"). Files named by manifests and
    run directories go through here, so a hostile row (`../../etc/passwd`) is never opened."""
    from synvita.errors import UserInputError

    base = Path(root).expanduser().resolve()
    candidate = Path(os.path.expanduser(str(path)))
    resolved = (candidate if candidate.is_absolute() else base / candidate).resolve()
    if resolved != base and base not in resolved.parents:
        raise UserInputError(
            f"{where}: path '{path}' points outside {base}",
            hint=f"name files inside {base} (relative to it, or absolute under it; a symlink counts where it points)",
        )
    return resolved
