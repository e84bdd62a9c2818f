"""User-supplied text made safe for a terminal, and the limits on names users choose.

Run names, run ids typed by the user, spec values and stage error lines end up in error messages, listings and
the TUI. A terminal interprets escape sequences in them (set the window title, clear the screen, recolour or
hide what follows, write hyperlinks), so every such text is passed through `sanitize_terminal_text` before it is
shown. Names (an experiment's `name`, which every run carries) are also checked where they enter
(`run_name_problem`): printable, and at most `MAX_NAME_CHARS` characters.
"""

from __future__ import annotations

import re

MAX_NAME_CHARS = 200
"""Longest run (experiment) name accepted at submission."""

_ESCAPE_SEQUENCE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves, screen clears
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\|$)"  # OSC: window title, hyperlinks (ended by BEL or ST, or cut off)
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\|$)"  # DCS, SOS, PM, APC strings
    r"|\x1b[ -/]*[0-~]"  # the other two- and three-character escapes
    r"|\x1b"  # a lone ESC at the end
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""C0 controls except tab and newline, DEL, and the C1 controls (U+0080–U+009F, e.g. the 8-bit CSI)."""
_LINE_BREAKS = re.compile(r"[\t\n\r\v\f]+")


def sanitize_terminal_text(text: str, *, multiline: bool = False) -> str:
    """`text` without escape sequences and control characters. Single-line (the default): tabs and line breaks
    become one space each run, so the result stays one line. `multiline`: newlines and tabs are kept (a carriage
    return is dropped, as it would let later text overwrite a line)."""
    text = _ESCAPE_SEQUENCE.sub("", str(text))
    if multiline:
        text = text.replace("\r", "")
    else:
        text = _LINE_BREAKS.sub(" ", text)
    return _CONTROL.sub("", text)


def run_name_problem(name: object) -> tuple[str, str] | None:
    """Why `name` cannot be a run (experiment) name, as (problem, how to fix), or None when it can: non-empty,
    printable, at most MAX_NAME_CHARS characters. The caller raises its own error with these words."""
    if not isinstance(name, str) or not name:
        return "the name must be a non-empty string", "give the experiment a name"
    if len(name) > MAX_NAME_CHARS:
        return f"the name is {len(name)} characters long, at most {MAX_NAME_CHARS} are allowed", "choose a shorter name"
    if not name.isprintable():
        return f"the name '{sanitize_terminal_text(name)}' holds control characters", "use letters, digits, '.', '_' or '-'"
    return None
