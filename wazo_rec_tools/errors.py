"""Exceptions that end in one line for the user (exit 1), as opposed to bugs (tracebacks)."""

from __future__ import annotations


class UserError(Exception):
    """A failure the user can fix: printed as one line on stderr, exit code 1."""

    exit_code = 1


class InputErrors(UserError):
    """Several located problems in an input file, all reported at once."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


class SafetyRefused(UserError):
    """An operation refused by a safety rule (threshold, no TTY without --yes, ...)."""
