"""The base of every synvita screen: worker failures on a screen end in the app's one error report.

`Worker.StateChanged` does not bubble, so each screen forwards its own workers' errors to
`SynvitaApp.report_worker_error`. Thread workers post their results with `post_fresh`.
"""

from __future__ import annotations

from textual import on
from textual.screen import ModalScreen, Screen
from textual.message import Message
from textual.worker import Worker, get_current_worker


class SynvitaScreen(Screen):
    @on(Worker.StateChanged)
    def _forward_worker_error(self, event: Worker.StateChanged) -> None:
        self.app.report_worker_error(event)

    def busy(self, group: str) -> bool:
        """Whether a worker of this screen's `group` is still running (timer polls skip a tick then)."""
        return any(w.node is self and w.group == group and w.is_running for w in self.app.workers)

    def post_fresh(self, message: Message) -> None:
        """Post from a thread worker unless a newer request cancelled it (an exclusive group cancels the old
        worker, but a thread runs to the end: without this check a slow stale answer could win)."""
        if not get_current_worker().is_cancelled:
            self.post_message(message)


class SynvitaModal(ModalScreen):
    @on(Worker.StateChanged)
    def _forward_worker_error(self, event: Worker.StateChanged) -> None:
        self.app.report_worker_error(event)
