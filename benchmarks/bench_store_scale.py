"""Store scale: paginated listing with 10 vs 10,000 runs, and one metric series out of 1,000,000 points.

Ratios within one run (no absolute claims): the TUI's time-to-first-paint needs `list_runs(limit=50)` +
`count_runs()` with 10k runs within 1.3x of 10 runs.

    .venv/bin/python benchmarks/bench_store_scale.py [--points 1000000]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from synvita.runs.ingest import parse_events
from synvita.store import NewRun, Store


def _time(fn, repeat=30):
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def first_paint(store: Store, page: int) -> float:
    return _time(lambda: (store.list_runs(limit=page), store.count_runs(), store.status_counts()))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        small = Store.open(Path(tmp) / "small.db")
        small.create_runs([NewRun("e", "s", "train", seed=i) for i in range(10)])
        big = Store.open(Path(tmp) / "big.db")
        for chunk in range(10):
            big.create_runs([NewRun(f"e{chunk}", f"s-{chunk}", "train", variant="synvita", seed=i) for i in range(1000)])
        for page in (10, 50):
            t_small, t_big = first_paint(small, page), first_paint(big, page)
            print(f"first page (limit={page}) + count + status counts: 10 runs {t_small * 1e3:.2f} ms, "
                  f"10,000 runs {t_big * 1e3:.2f} ms, ratio {t_big / t_small:.2f}"
                  + (" (the 10-run db returns 10 rows)" if page > 10 else " (same rows on both)"))
        filtered = _time(lambda: big.list_runs(status="queued", experiment="e7", limit=50, offset=500))
        print(f"filtered page (status+experiment, offset 500) on 10,000 runs: {filtered * 1e3:.2f} ms")

        runs = big.list_runs(limit=10)
        per_run = args.points // len(runs)
        t0 = time.perf_counter()
        for run in runs:
            events = [{"seq": i, "ts": 0.0, "kind": "metric", "name": ("loss" if i % 2 else "lr"), "value": 1.0 / (i + 1),
                       "step": i // 2} for i in range(per_run)]
            for i in range(0, per_run, 20_000):
                big.ingest_events(run.id, parse_events(events[i : i + 20_000], run.run_dir))
        ingest_s = time.perf_counter() - t0
        print(f"ingested {per_run * len(runs):,} metric events in {ingest_s:.1f} s "
              f"({per_run * len(runs) / ingest_s:,.0f} events/s)")
        target = runs[3].id
        series = _time(lambda: big.metrics(target, "loss"), repeat=5)
        n = len(big.metrics(target, "loss"))
        thin = _time(lambda: big.metrics(target, "loss", max_points=500), repeat=5)
        latest = _time(lambda: big.latest_metrics([r.id for r in runs]), repeat=30)
        print(f"one series ({n:,} of {per_run * len(runs):,} points): {series * 1e3:.1f} ms; thinned to 500: "
              f"{thin * 1e3:.1f} ms; latest values of 10 runs: {latest * 1e3:.2f} ms")
        t_small, t_big_after = first_paint(small, 10), first_paint(big, 10)
        print(f"first page with the metrics loaded: {t_big_after * 1e3:.2f} ms (ratio to 10 runs {t_big_after / t_small:.2f})")


if __name__ == "__main__":
    main()
