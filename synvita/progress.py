"""How long a submission has left, from the measured cost of its finished runs (shared by the CLI's progress bar
and the TUI's runs screen, which see the same runs through events and through the store)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def remaining_seconds(
    costs: Mapping[str, Sequence[float]],
    waiting: Mapping[str, int],
    running: Sequence[tuple[str, float]],
    lanes: int,
) -> float | None:
    """Seconds left: each waiting run is expected to take as long as the finished runs of its stage took on average
    (or all finished runs, for a stage none has finished yet), each running one that less the time it has already
    spent, and the work is shared by `lanes` runs executing at once. None before any run has finished.

    `costs`: stage → seconds of its finished runs; `waiting`: stage → runs not started; `running`: (stage, seconds
    so far) per running run."""
    every = [c for stage_costs in costs.values() for c in stage_costs]
    if not every:
        return None

    def cost(stage: str) -> float:
        stage_costs = costs.get(stage) or every
        return sum(stage_costs) / len(stage_costs)

    left = sum(cost(stage) * max(0, n) for stage, n in waiting.items())
    left += sum(max(0.0, cost(stage) - elapsed) for stage, elapsed in running)
    return left / max(lanes, 1)
