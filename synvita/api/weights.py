"""Alignment weights: the per-sample weights of a score run and their summary per misalignment type."""

from __future__ import annotations

from synvita import report
from synvita.api.runs import RunsApi
from synvita.entities import Run, SampleWeight
from synvita.errors import UserInputError


class WeightsApi(RunsApi):
    def weights_source(self, run_id: str) -> Run | None:
        """The score run whose weights `run_id` uses: the run itself when it is a score run, else the nearest score
        run upstream (a train run reads its score run; an evaluate run, through its train run). None when there is
        none upstream (a `none`-variant train trains on real data only; world, generate and pretrain come first)."""
        run = self.get_run(run_id)
        if run.stage == "score":
            return run
        seen = {run.id}
        frontier = list(run.depends_on)
        while frontier:  # breadth first: the nearest score run
            dep = self.store.get_run(frontier.pop(0))
            if dep.id in seen:
                continue
            seen.add(dep.id)
            if dep.stage == "score":
                return dep
            frontier.extend(dep.depends_on)
        return None

    def weights(self, run_id: str) -> list[SampleWeight]:
        """Per-sample weights of a score run (for a train or evaluate run: of the score run it depends on)."""
        source = self.weights_source(run_id)
        return [] if source is None else self.store.weights(source.id)

    def weights_summary(self, run_id: str, bins: int = 20, diff_range: float | None = 1.0) -> report.WeightsSummary:
        """Per misalignment type, per generator and (in the world) per ground-truth `faithful`: count, mean, std,
        fraction at zero, quantiles and histograms of ω (over 0..1) and of Δ = f̄(Vˢ,tˢ) − f̄(Vˢ,tʳ) (over
        ±diff_range; None picks the smallest range holding the data)."""
        if bins < 1:
            raise UserInputError(f"--bins {bins}: must be ≥ 1")
        return report.summarize_weights(run_id, self.weights(run_id), bins=bins, diff_range=diff_range)

    def format_weights(
        self, summary: report.WeightsSummary, *, hist: str = "diff", height: int = 1, color: bool = False
    ) -> str:
        """The summary as text: a row per type (count, mean/std of ω, share at zero, mean/std of Δ) and a histogram
        of `diff` (Δ) or `omega` per type, `height` rows tall."""
        return report.format_weights(summary, hist=hist, height=height, color=color)
