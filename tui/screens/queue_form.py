"""The queue-a-run form: experiment, generator, variants, seeds, λ, γ and extra overrides.

The form only collects text. Validation is `api.validate_experiment` — the same spec validation as
`synvita run` — and its one-line error is shown under the form; submitting calls `api.submit`.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, VerticalScroll
from textual.message import Message
from textual.suggester import SuggestFromList
from textual.widgets import Button, Input, Label, Static

from synvita.errors import SynvitaError
from tui.screens.base import SynvitaModal


@dataclass
class FormValues:
    """The form's text, unparsed (parsing into overrides is `to_request`)."""

    experiment: str = "quickstart"
    generator: str = ""
    variants: str = ""
    seeds: str = ""
    lambda_scr: str = ""
    margin: str = ""
    overrides: str = ""

    def to_request(self) -> dict[str, Any]:
        """Keyword arguments for `api.load_experiment` / `validate_experiment`; bad numbers raise UserInputError."""
        from synvita.errors import UserInputError

        overrides: list[str] = []
        variants = [v for v in self.variants.replace(",", " ").split() if v]
        if variants:
            overrides.append(f"train.variants={json.dumps(variants)}")
        for key, text, field in (("train.lambda_scr", self.lambda_scr, "λ"), ("train.margin", self.margin, "γ")):
            if text.strip():
                try:
                    overrides.append(f"{key}={float(text)}")
                except ValueError:
                    raise UserInputError(f"{field} must be a number, got '{text}'") from None
        try:
            overrides += shlex.split(self.overrides)
        except ValueError as err:
            raise UserInputError(f"extra overrides: {err}", hint="write key=value pairs separated by spaces") from None
        seeds = None
        if self.seeds.strip():
            try:
                seeds = int(self.seeds)
            except ValueError:
                raise UserInputError(f"seeds: how many seeds to run (3 runs seeds 0, 1, 2), got '{self.seeds}'") from None
        return {
            "path_or_name": self.experiment.strip() or "quickstart",
            "generator": self.generator.strip() or None,
            "seeds": seeds,
            "overrides": overrides,
        }


class QueueRunModal(SynvitaModal):
    """Dismisses with the api's Submission once runs are queued, or None."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", tooltip="Close without queuing"),
        Binding("ctrl+s", "submit", "Queue", tooltip="Validate and queue the runs"),
        Binding("ctrl+t", "validate", "Check", tooltip="Validate without queuing"),
    ]

    DEFAULT_CSS = """
    QueueRunModal { align: center middle; }
    QueueRunModal > VerticalScroll {
        width: 78; max-width: 100%; height: auto; max-height: 100%; border: thick $accent;
        padding: 0 1; background: $surface;
    }
    QueueRunModal #queue-fields { grid-size: 2; grid-columns: 17 1fr; grid-rows: 1; grid-gutter: 1 0;
                                  height: auto; margin-top: 1; }
    QueueRunModal Label { color: $text-muted; }
    QueueRunModal #queue-error { color: $error; margin-top: 1; height: auto; }
    QueueRunModal #queue-ok { color: $success; margin-top: 1; height: auto; }
    QueueRunModal #queue-buttons { height: auto; margin-top: 1; align-horizontal: right; }
    QueueRunModal Button { margin-left: 1; }
    """

    @dataclass
    class Validated(Message):
        """The form's spec passed validation (`text` describes it) or failed (`error` is the one-line reason)."""

        spec: Any = None
        text: str = ""
        error: str = ""
        submit: bool = False

    @dataclass
    class Submitted(Message):
        """Runs were queued."""

        submission: Any

    def compose(self) -> ComposeResult:
        api = self.app.api
        fields = [
            ("experiment", "Experiment", "quickstart", "name in experiments/ or a .toml path",
             SuggestFromList(_names(api.experiment_names))),
            ("generator", "Generator", "", "empty: the spec's (procedural, cogvideox, …)",
             SuggestFromList(_names(api.generator_names))),
            ("variants", "Variants", "", "empty: the spec's; e.g. none, naive, synvita", None),
            ("seeds", "Seeds", "", "how many: 3 runs seeds 0, 1, 2", None),
            ("lambda", "λ (consistency)", "", "train.lambda_scr, e.g. 1.0", None),
            ("margin", "γ (margin)", "", "train.margin, e.g. 0.2", None),
            ("overrides", "Overrides", "", "section.key=value …  e.g. train.steps=20", None),
        ]
        with VerticalScroll():
            yield Static("[b]Queue a run[/b]  checked by the same spec validation as `synvita run`", id="queue-title")
            with Grid(id="queue-fields"):
                for name, label, value, placeholder, suggester in fields:
                    yield Label(label)
                    yield Input(value=value, placeholder=placeholder, id=f"queue-{name}", suggester=suggester,
                                compact=True)
            yield Static("", id="queue-error")
            yield Static("", id="queue-ok")
            with Horizontal(id="queue-buttons"):
                yield Button("Cancel", id="queue-cancel", compact=True)
                yield Button("Check ^t", id="queue-check", compact=True)
                yield Button("Queue ^s", id="queue-submit", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#queue-experiment", Input).focus()

    def form_values(self) -> FormValues:
        def value(name: str) -> str:
            return self.query_one(f"#queue-{name}", Input).value

        return FormValues(experiment=value("experiment"), generator=value("generator"), variants=value("variants"),
                          seeds=value("seeds"), lambda_scr=value("lambda"), margin=value("margin"),
                          overrides=value("overrides"))

    @on(Button.Pressed, "#queue-check")
    @on(Input.Submitted)
    def action_validate(self) -> None:
        """Enter in a field only checks: queuing (many runs) takes an explicit ctrl+s or the Queue button."""
        self._validate(self.form_values(), submit=False)

    @on(Button.Pressed, "#queue-submit")
    def action_submit(self) -> None:
        self._validate(self.form_values(), submit=True)

    @on(Button.Pressed, "#queue-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @work(thread=True, exclusive=True, group="queue-validate", exit_on_error=False)
    def _validate(self, values: FormValues, submit: bool) -> None:
        try:
            spec = self.app.api.validate_experiment(**values.to_request())
            planned = self.app.api.plan(spec)
        except SynvitaError as err:
            self.post_message(self.Validated(error=err.one_line()))
            return
        self.post_message(self.Validated(spec=spec, text=_describe(spec, planned), submit=submit))

    @on(Validated)
    def _show_validation(self, message: Validated) -> None:
        self.query_one("#queue-error", Static).update(message.error)
        ok = "" if message.error else f"✓ {message.text}" + ("" if message.submit else "  ·  ctrl+s queues it")
        self.query_one("#queue-ok", Static).update(ok)
        if message.spec is not None and message.submit:
            self._submit(message.spec)

    @work(thread=True, exclusive=True, group="queue-submit", exit_on_error=False)
    def _submit(self, spec: Any) -> None:
        try:
            submission = self.app.api.submit(spec)
        except SynvitaError as err:
            self.post_message(self.Validated(error=err.one_line()))
            return
        self.post_message(self.Submitted(submission))

    @on(Submitted)
    def _done(self, message: Submitted) -> None:
        self.dismiss(message.submission)


def _names(source: Any) -> list[str]:
    try:
        return list(source())
    except Exception:  # a broken plugin must not stop the form from opening
        return []


def _describe(spec: Any, planned: list[Any]) -> str:
    """One line about a validated spec and the runs submitting it would create."""
    stages: dict[str, int] = {}
    for run in planned:
        stages[run.stage] = stages.get(run.stage, 0) + 1
    counts = ", ".join(f"{n} {stage}" for stage, n in stages.items())
    seeds = ", ".join(map(str, spec.seeds))
    return f"{spec.name} is valid · seeds {seeds} · {len(planned)} runs: {counts}"
