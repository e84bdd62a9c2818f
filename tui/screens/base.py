"""The base of every synvita screen: worker failures on a screen end in the app's one error report.

`Worker.StateChanged` does not bubble, so each screen forwards its own workers' errors to
`SynvitaApp.report_worker_error`. Thread workers post their results with `post_fresh`.
"""

from __future__ import annotations

from textual import on, work
from textual.screen import ModalScreen, Screen
from textual.message import Message
from textual.worker import Worker, get_current_worker

from tui.messages import ActionFailed, RunChanged
from tui.screens.confirm import ConfirmModal

RUN_CHANGE_QUESTIONS = {
    "cancel": "Cancel run {run}? A running job is stopped by its worker.",
    "retry": "Re-queue run {run} (same id, next attempt)?",
}


class SynvitaScreen(Screen):
    @on(Worker.StateChanged)
    def _forward_worker_error(self, event: Worker.StateChanged) -> None:
        self.app.report_worker_error(event)

    def busy(self, group: str) -> bool:
        """Whether a worker of this screen's `group` is still running (timer polls skip a tick then)."""
        return any(w.node is self and w.group == group and w.is_running for w in self.app.workers)

    def confirm_run_change(self, run_id: str | None, action: str) -> None:
        """Ask, then cancel or retry `run_id` through the API; the screen handles the resulting `RunChanged`."""
        if run_id is None:
            return
        if self.app.read_only:
            self.notify("read-only: started with --read-only", severity="warning")
            return
        def answered(yes: bool | None) -> None:
            if yes:
                self._change_run(run_id, action)

        question = RUN_CHANGE_QUESTIONS[action].format(run=run_id)
        self.app.push_screen(ConfirmModal(question, yes_label=action.capitalize()), answered)

    @work(thread=True, exclusive=True, group="run-action", exit_on_error=False)
    def _change_run(self, run_id: str, action: str) -> None:
        from synvita.errors import SynvitaError

        try:
            run = self.app.api.cancel(run_id) if action == "cancel" else self.app.api.retry(run_id)
        except SynvitaError as err:
            self.post_message(ActionFailed(err.one_line()))
            return
        self.post_message(RunChanged(run=run, action=action))

    def post_fresh(self, message: Message) -> None:
        """Post from a thread worker unless a newer request cancelled it (an exclusive group cancels the old
        worker, but a thread runs to the end: without this check a slow stale answer could win)."""
        if not get_current_worker().is_cancelled:
            self.post_message(message)


class SynvitaModal(ModalScreen):
    @on(Worker.StateChanged)
    def _forward_worker_error(self, event: Worker.StateChanged) -> None:
        self.app.report_worker_error(event)
