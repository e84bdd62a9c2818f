"""The compare screen's table: the row label and the mean stay put, the benchmark columns scroll, and `cue` says
in plain text (readable with NO_COLOR) how many columns are out of view on each side."""

from __future__ import annotations

from textual.binding import Binding
from textual.reactive import reactive
from textual.widgets import DataTable

FIXED_COLUMNS = 2
"""The row label (variant) and the mean: never scrolled away, at any width."""


class CompareGrid(DataTable):
    """A DataTable whose first FIXED_COLUMNS columns are fixed; ←/→ scroll the others one column at a time."""

    BINDINGS = [
        Binding("right", "cursor_right", "More →", show=False, tooltip="Scroll the benchmark columns right"),
        Binding("left", "cursor_left", "← More", show=False, tooltip="Scroll the benchmark columns left"),
    ]

    cue: reactive[str] = reactive("", init=False)
    """`◀ 2 more · 3 more ▶ (←/→)` while some scrolling columns are out of view, else empty."""

    def __init__(self, **kwargs) -> None:
        super().__init__(fixed_columns=FIXED_COLUMNS, **kwargs)

    def on_mount(self) -> None:
        self.watch(self, "scroll_x", self.update_cue, init=False)

    def on_resize(self) -> None:
        self.call_after_refresh(self.update_cue)

    def _scrolling_spans(self) -> tuple[int, list[tuple[int, int]]]:
        """(width of the fixed columns, [(start, end) of each scrolling column in the table's virtual x])."""
        widths = [column.get_render_width(self) for column in self.ordered_columns]
        fixed_width = sum(widths[: self.fixed_columns])
        spans, x = [], fixed_width
        for width in widths[self.fixed_columns:]:
            spans.append((x, x + width))
            x += width
        return fixed_width, spans

    def hidden_columns(self) -> tuple[int, int]:
        """How many scrolling columns are (even partly) out of view to the left and to the right."""
        fixed_width, spans = self._scrolling_spans()
        view_start = round(self.scroll_x) + fixed_width
        view_end = round(self.scroll_x) + self.scrollable_content_region.width
        left = sum(1 for start, _ in spans if start < view_start)
        right = sum(1 for start, end in spans if start >= view_start and end > view_end)
        return left, right

    def update_cue(self) -> None:
        left, right = self.hidden_columns()
        parts = ([f"◀ {left} more"] if left else []) + ([f"{right} more ▶"] if right else [])
        self.cue = (" · ".join(parts) + "  (←/→ scroll the benchmark columns)") if parts else ""

    def _scroll_to_column(self, step: int) -> None:
        """Scroll so that the first visible scrolling column moves `step` columns (the fixed ones stay)."""
        fixed_width, spans = self._scrolling_spans()
        if not spans:
            return
        starts = [start for start, _ in spans]
        view_start = round(self.scroll_x) + fixed_width
        first = next((i for i, start in enumerate(starts) if start >= view_start), len(starts) - 1)
        target = min(max(first + step, 0), len(starts) - 1)
        self.scroll_to(x=min(starts[target] - fixed_width, self.max_scroll_x), animate=False)

    def action_cursor_right(self) -> None:
        self._scroll_to_column(1)

    def action_cursor_left(self) -> None:
        self._scroll_to_column(-1)

    def refit(self) -> None:
        """Call after the columns changed: recompute the cue once the new widths are laid out."""
        self.call_after_refresh(self.update_cue)
