"""Regenerate the TUI screenshots in this folder (SVG) from the deterministic demo database of the tests.

    .venv/bin/python docs/screenshots/make_screenshots.py

Each screen is driven with the same keys a user would press; the data is `tests/tui/seed.py` (two experiments,
every kind of run, ω shaped like the paper's figure, results shaped like its Table 1), the clock is frozen.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "tests" / "tui"))

from seed import NOW, seed_demo  # noqa: E402

from synvita.api import Api  # noqa: E402
from synvita.store import Store  # noqa: E402
from tui.app import make_app  # noqa: E402

SHOTS = [
    # (file, terminal size, steps); a step is a key, or ("open"|"weights"|"compare"|"type", argument)
    ("runs.svg", (100, 30), []),
    ("runs-80x24.svg", (80, 24), []),
    ("runs-filtered.svg", (100, 30), ["slash", ("type", "stage:evaluate exp:quickstart"), "enter"]),
    ("queue-form.svg", (100, 30), ["n", ("set", ("#queue-overrides", "train.lamda_scr=2")), "ctrl+t"]),
    ("run-detail-overview.svg", (100, 30), [("open", "running"), "1"]),
    ("run-detail-log.svg", (100, 30), [("open", "running"), "2"]),
    ("run-detail-curves.svg", (100, 30), [("open", "running"), "3"]),
    ("run-detail-results.svg", (100, 30), [("open", "eval-synvita-1"), "5"]),
    ("weights.svg", (100, 40), [("weights", "score"), "down"]),
    ("weights-faithful.svg", (100, 40), [("weights", "score"), "g", "g"]),
    ("compare.svg", (110, 20), [("compare", ["quickstart"])]),
    ("compare-two-experiments.svg", (130, 24), [("compare", ["quickstart", "quickstart-lavie"])]),
    ("help.svg", (100, 30), ["question_mark"]),
]


async def settle(pilot) -> None:
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause(0.1)


async def shoot(api: Api, ids: dict[str, str], name: str, size: tuple[int, int], steps: list) -> None:
    app = make_app(api, clock=lambda: NOW, poll_interval_s=60.0)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        for step in steps:
            if isinstance(step, str):
                await pilot.press(step)
            elif step[0] == "open":
                app.open_run(ids[step[1]])
            elif step[0] == "weights":
                app.open_weights(ids[step[1]])
            elif step[0] == "compare":
                app.open_compare(experiments=step[1])
            elif step[0] == "type":
                app.screen.query_one("#runs-filter").value = step[1]
            elif step[0] == "set":
                app.screen.query_one(step[1][0]).value = step[1][1]
            await settle(pilot)
        app.sub_title = "demo.db"
        await pilot.pause(0.1)
        app.save_screenshot(name, path=str(HERE))


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp) / "demo.db")
        ids = seed_demo(store)
        store.close()
        api = Api(db=Path(tmp) / "demo.db")
        for name, size, steps in SHOTS:
            await shoot(api, ids, name, size, steps)
            print("wrote", HERE / name)
        empty = Api(db=Path(tmp) / "empty.db")
        app = make_app(empty)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            app.sub_title = "empty.db"
            await pilot.pause(0.1)
            app.save_screenshot("empty-database.svg", path=str(HERE))
        print("wrote", HERE / "empty-database.svg")


if __name__ == "__main__":
    asyncio.run(main())
