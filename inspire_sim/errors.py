"""User-facing input errors.

Every problem with user input (a scenario file, an experiment spec, a command-line
option) is raised as :class:`InputError`. Its ``str()`` is one line naming the file,
the field and the fix, which the command line prints before exiting with code 2.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class InputError(ValueError):
    """Bad user input: one line naming the source, the field and the fix."""

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        field: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.source = source
        self.field = field
        self.message = message
        self.fix = fix
        super().__init__(self.one_line())

    def one_line(self) -> str:
        parts = []
        if self.source:
            parts.append(str(self.source))
        if self.field:
            parts.append(f"field '{self.field}'")
        head = ": ".join(parts)
        text = f"{head}: {self.message}" if head else self.message
        if self.fix:
            text = f"{text} (fix: {self.fix})"
        return " ".join(text.split())

    def with_source(self, source: str) -> InputError:
        """Return a copy of this error naming ``source`` (kept if already set)."""
        return InputError(self.message, source=self.source or source, field=self.field, fix=self.fix)


def closest(name: str, valid: Iterable[str]) -> str | None:
    """The valid name closest to ``name``, or None when nothing is similar."""
    matches = difflib.get_close_matches(name, list(valid), n=1, cutoff=0.5)
    return matches[0] if matches else None


def unknown_key_fix(name: str, valid: Iterable[str]) -> str:
    """A fix text for an unknown key: the closest valid key, or the list of keys."""
    valid = sorted(valid)
    best = closest(name, valid)
    if best:
        return f"did you mean '{best}'?"
    shown = ", ".join(valid[:12]) + (", ..." if len(valid) > 12 else "")
    return f"use one of: {shown}"
