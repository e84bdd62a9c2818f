"""Where a key of a spec was set: 'file:line' in the TOML, or the command-line option that set it."""

from __future__ import annotations

import re
from pathlib import Path


class _Where:
    """Formats 'file:line' for a key (the line found by a light scan of the TOML text)."""

    def __init__(self, source: str | Path | None, text: str | None) -> None:
        self.source = str(source) if source else "<spec>"
        self.text = text
        self.overridden: dict[str, str] = {}
        """Dotted key → the command-line option that set it (errors name the option, not the file)."""

    def __call__(self, key: str | None = None, section: str | None = None) -> str:
        dotted = f"{section}.{key}" if section else key
        if dotted in self.overridden:
            return self.overridden[dotted]
        line = _line_of(self.text, key, section) if (self.text and key) else None
        return f"{self.source}:{line}" if line else self.source


def _line_of(text: str, key: str, section: str | None) -> int | None:
    current: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        header = re.match(r"^\[\s*([^\]\s]+)\s*\]", stripped)
        if header:
            current = header.group(1)
            if section is None and current == key:
                return number
            continue
        if current == section and re.match(rf"^\"?{re.escape(key)}\"?\s*=", stripped):
            return number
    return None
