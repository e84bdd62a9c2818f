"""The paper's findings (METHOD.md §7–8), each tested on a study's runs with a verdict from paired seed intervals.

A finding is a list of claims; a claim says that a paired difference (variant A − variant B, per seed, on one
benchmark or the mean of several) has a sign. Its verdict follows `VERDICT_RULE`:

* reproduced: the 95% t-interval of the per-seed differences lies entirely on the claimed side of 0;
* reversed: it lies entirely on the other side;
* not reproduced: it contains 0, or fewer than two seeds pair, or a benchmark it reads is at chance.

A finding is reproduced when every claim is, reversed when every claim is (five of six: at least five), otherwise
not reproduced. The mean-Δ claims (flip and hallucination edits look more like tʳ than tˢ) read the score run's per-sample
differences instead of seeds: the t-interval of their mean over the samples.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from synvita.report.stats import paired_t_interval, t_interval

VERDICT_RULE = (
    "a claim is **reproduced** when the 95% t-interval of its paired per-seed differences lies entirely on the "
    "claimed side of 0, **reversed** when it lies entirely on the other side, and **not reproduced** otherwise (the "
    "interval contains 0, fewer than two seeds pair, or a benchmark it reads is at chance); a finding is reproduced "
    "(reversed) when all its claims are (the five-of-six finding: when at least five are), else not reproduced. The "
    "mean-Δ claims use the t-interval of the mean over the score run's synthetic videos."
)

REPRODUCED, REVERSED, NOT_REPRODUCED = "reproduced", "reversed", "not reproduced"

TEMPORAL = ("retrieval-temporal", "retrieval-events", "qa-hard")
"""The benchmarks of the paper's ablation table (SSv2-Temporal, SSv2-Events, ATP-Hard)."""


@dataclass
class Claim:
    text: str
    sign: int
    """+1: the difference should be positive; −1: negative."""
    mean: float | None = None
    low: float | None = None
    high: float | None = None
    n: int = 0
    note: str = ""
    """Why no verdict could be reached (missing runs, at chance, one seed)."""

    @property
    def verdict(self) -> str:
        if self.note or self.low is None or self.high is None:
            return NOT_REPRODUCED
        if self.sign * self.low > 0 and self.sign * self.high > 0:
            return REPRODUCED
        if self.sign * self.low < 0 and self.sign * self.high < 0:
            return REVERSED
        return NOT_REPRODUCED

    def numbers(self) -> str:
        if self.mean is None:
            return self.note or "no runs"
        interval = f" [{self.low:+.2f}, {self.high:+.2f}]" if self.low is not None else ""
        return f"{self.mean:+.2f}{interval} (n = {self.n})" + (f"; {self.note}" if self.note else "")


@dataclass
class Finding:
    title: str
    claims: list[Claim] = field(default_factory=list)
    at_least: int | None = None
    """Reproduced when at least this many claims are (reversed when as many are reversed); None: all of them."""

    @property
    def verdict(self) -> str:
        if self.at_least is not None:
            wins = sum(c.verdict == REPRODUCED for c in self.claims)
            losses = sum(c.verdict == REVERSED for c in self.claims)
            return REPRODUCED if wins >= self.at_least else REVERSED if losses >= self.at_least else NOT_REPRODUCED
        verdicts = {c.verdict for c in self.claims}
        if verdicts == {REPRODUCED}:
            return REPRODUCED
        if verdicts == {REVERSED}:
            return REVERSED
        return NOT_REPRODUCED


Values = dict[str, dict[int, dict[str, float]]]
"""Row key (a variant, or "naive+flip" for a per-type run) → seed → benchmark → headline value."""


def paired_claim(text: str, values: Values, a: str, b: str, benchmarks: tuple[str, ...], sign: int,
                 at_chance: set[str]) -> Claim:
    """Claim that row `a` − row `b` has `sign`, on the mean of `benchmarks` per seed."""
    claim = Claim(text, sign)
    if a not in values or b not in values:
        claim.note = f"no '{a if a not in values else b}' runs"
        return claim
    seeds = sorted(s for s in values[a] if s in values[b]
                   and all(k in values[a][s] and k in values[b][s] for k in benchmarks))
    if not seeds:
        claim.note = "no seeds pair"
        return claim
    mean_of = lambda row, s: sum(values[row][s][k] for k in benchmarks) / len(benchmarks)  # noqa: E731
    claim.mean, interval = paired_t_interval([mean_of(a, s) for s in seeds], [mean_of(b, s) for s in seeds])
    claim.n = len(seeds)
    if interval is not None:
        claim.low, claim.high = interval
    else:
        claim.note = "one seed: not tested"
    chance = [k for k in benchmarks if k in at_chance]
    if chance:
        claim.note = f"{', '.join(chance)} at chance"
    return claim


def sample_claim(text: str, deltas: list[float], sign: int) -> Claim:
    """Claim that the mean of per-sample Δ has `sign` (t-interval over the samples)."""
    claim = Claim(text, sign)
    if not deltas:
        claim.note = "no sample weights"
        return claim
    claim.mean, claim.n = sum(deltas) / len(deltas), len(deltas)
    interval = t_interval(deltas)
    if interval is None:
        claim.note = "one sample"
    else:
        claim.low, claim.high = interval
    return claim


def paper_findings(values: Values, deltas_by_type: dict[str, list[float]], at_chance: set[str],
                   benchmarks: list[str]) -> list[Finding]:
    """The findings of METHOD.md §7–8 with their claims, from per-seed headline values, the score run's Δ per
    misalignment type and the benchmarks at chance."""
    def claim(text, a, b, bench, sign):
        return paired_claim(text, values, a, b, bench, sign, at_chance)

    out = [
        Finding("Naive synthetic data hurts the in-distribution LLM test and helps temporal retrieval (Table 1)", [
            claim("naive − none on entail-llm < 0", "naive", "none", ("entail-llm",), -1),
            claim("naive − none on retrieval-temporal > 0", "naive", "none", ("retrieval-temporal",), +1),
        ]),
        Finding("Flip and hallucination edits have a negative mean Δ = f̄(Vˢ,tˢ) − f̄(Vˢ,tʳ) (weight figure)", [
            sample_claim(f"mean Δ of {t} < 0", deltas_by_type.get(t, []), -1) for t in ("flip", "hallucination")
        ]),
        Finding("Flip and hallucination synthetic data hurt Human and Human-Hard (Table 2)", [
            claim(f"naive+{t} − none on {b} < 0", f"naive+{t}", "none", (b,), -1)
            for t in ("flip", "hallucination") for b in ("entail-human", "entail-human-hard")
        ]),
        Finding("ω = max(0, Δ) beats ω = 1 and ω = f̄(Vˢ,tˢ) (ablation table: mean of SSv2-T, SSv2-E, ATP-Hard analogues)", [
            claim("synvita − omega-one > 0", "synvita", "omega-one", TEMPORAL, +1),
            claim("synvita − omega-target > 0", "synvita", "omega-target", TEMPORAL, +1),
        ]),
    ]
    per_benchmark = [claim(f"synvita − none on {b} > 0", "synvita", "none", (b,), +1) for b in benchmarks]
    wins = sum(c.verdict == REPRODUCED for c in per_benchmark)
    losses = sum(c.verdict == REVERSED for c in per_benchmark)
    out.append(Finding(f"SynViTA beats the baseline on five of six tasks (here: better on {wins}, worse on {losses} "
                       f"of {len(per_benchmark)} by their paired intervals)", per_benchmark, at_least=5))
    return out
