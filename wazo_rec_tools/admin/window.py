"""Time windows for CDR queries: splitting long spans (moments are parsed by `moments`)."""

from __future__ import annotations

from datetime import datetime, timedelta


def split_window(
    start: datetime, end: datetime, span: timedelta
) -> list[tuple[datetime, datetime]]:
    """Consecutive `[from, until)` pieces of at most `span`, covering the window exactly."""
    if span <= timedelta(0):
        raise ValueError("span must be positive")
    pieces = []
    cursor = start
    while cursor < end:
        upper = min(cursor + span, end)
        pieces.append((cursor, upper))
        cursor = upper
    return pieces
