"""The `?` help screen: what each screen is for and its keys."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

HELP_TEXT = """\
# synvita TUI

Queue experiment runs, watch them, and read their results, all from a terminal.

| Screen | Keys |
|---|---|
| **Runs** (home) | `/` filter · `enter` open · `n` queue a run · `c` cancel · `r` retry · `s` sort · `]`/`[` next/previous page · `w` weights · `m` compare · `W` start/stop a local worker |
| **Run detail** | `1`–`5` overview, log, curves (over the end of the log), artifacts, results · `c` cancel · `r` retry · `w` weights · `escape` back |
| **Weights** | `g` group by misalignment type / generator / faithful · `h` Δ or ω histogram · `↑`/`↓` pick a group · `escape` back. On a train or evaluate run: the weights of the score run it used |
| **Compare** | `←`/`→` scroll the benchmark columns (variant and mean stay) · `p` pick experiments or run ids · `b` next baseline · `x` show/hide controls · `e` export md/latex/csv/json · `escape` back |

**Filter and search the runs** (home screen): press `/`, type, press `enter`; `escape` clears it.

| Word | Keeps the runs whose… |
|---|---|
| `experiment:NAME` (`exp:`) | experiment is NAME |
| `status:STATUS` (`stat:`) | status is queued, running, succeeded, failed, cancelled, lost or preempted |
| `stage:STAGE` (`stag:`) | stage is world, generate, pretrain, score, train or evaluate |
| `variant:NAME` (`var:`) | training variant is NAME (none, naive, synvita, …) |
| `generator:NAME` (`gen:`) | generator is NAME |
| any other words | id, experiment, stage, variant, generator or status contains them (search by name) |

Words combine (all must hold), and a key may be shortened to any unique prefix: `exp:quickstart stat:failed`.

`ctrl+p` opens the command palette. `q` quits. Runs are executed by a worker: start one here with `W`,
or run `synvita worker` in another shell (or on a compute node through Slurm).
Started with `--read-only`, the app only browses: it never queues, cancels or retries.
"""


class HelpScreen(ModalScreen[None]):
    """Keys and concepts, in one page."""

    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close", tooltip="Back to where you were")]

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 90%; height: 90%; border: thick $accent; background: $surface; }
    """

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Markdown(HELP_TEXT)

    def action_dismiss(self) -> None:
        self.dismiss(None)
