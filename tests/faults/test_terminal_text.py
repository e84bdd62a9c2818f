"""User-supplied text never reaches the terminal with control characters: error messages are stripped of escape
sequences and C0/C1 controls, and a run (experiment) name is checked and length-limited at submission."""

from __future__ import annotations

import pytest
from faults_helpers import assert_one_line_error, synvita_cli

from synvita.errors import NotFoundError, UserInputError
from synvita.specs import spec_from_dict

HOSTILE = "a\x1b]0;pwned title\x07b\x1b[2J\x1b[31mc\x9b31md\re\x00f\x7fg"


def test_sanitize_strips_escape_sequences_and_control_characters():
    from synvita.text import sanitize_terminal_text

    assert sanitize_terminal_text(HOSTILE) == "abc31md efg"  # the 8-bit CSI's parameters stay as plain text
    assert sanitize_terminal_text("one\ntwo\tthree") == "one two three"
    assert sanitize_terminal_text("one\ntwo\tthree\r\n", multiline=True) == "one\ntwo\tthree\n"
    assert sanitize_terminal_text("unterminated \x1b]8;;http://x") == "unterminated "
    assert sanitize_terminal_text("ünïcödé — ω ✓") == "ünïcödé — ω ✓"


def test_error_lines_carry_no_control_characters():
    line = UserInputError(f"unknown run '{HOSTILE}'", hint=f"try {HOSTILE}\nagain").one_line()
    assert not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F for c in line), repr(line)
    assert "unknown run 'abc31md efg'" in line


def test_the_cli_prints_a_hostile_run_id_without_escapes(tmp_path):
    result = synvita_cli("--db", tmp_path / "x.db", "runs", "show", "r-\x1b]0;pwned\x07\x1b[2Jx")
    line = assert_one_line_error(result, NotFoundError.exit_code)
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr, repr(line)


def test_a_run_name_longer_than_the_limit_is_refused_at_submission():
    from synvita.text import MAX_NAME_CHARS

    spec_from_dict({"name": "x" * MAX_NAME_CHARS, "world": {"preset": "tiny"}})
    with pytest.raises(UserInputError, match=f"at most {MAX_NAME_CHARS}"):
        spec_from_dict({"name": "x" * (MAX_NAME_CHARS + 1), "world": {"preset": "tiny"}})


def test_a_run_name_with_control_characters_is_refused():
    from synvita.text import run_name_problem

    assert run_name_problem("paper-ablations.v2") is None
    for bad in ("a\x1b[31mb", "a\nb", "", "x" * 1000):
        assert run_name_problem(bad) is not None
        with pytest.raises(UserInputError):
            spec_from_dict({"name": bad, "world": {"preset": "tiny"}})


def test_a_stage_error_line_is_recorded_without_control_characters(tmp_path):
    from synvita.runs.rundir import error_from_stderr

    (tmp_path / "stderr.log").write_text("Traceback ...\nsynvita.errors.StageError: bad \x1b]0;t\x07value\x1b[2J\n")
    assert error_from_stderr(tmp_path / "stderr.log") == "StageError: bad value"
