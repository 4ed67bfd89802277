"""The one rule for call-logd retention values, checked before any PUT (policy and command).

docs/wazo-api.md, call-logd §9: a PUT carries all three keys, and call-logd refuses recording_days
greater than cdr_days. A key left unset (null) is in force at its default, so the rule compares the
values the tenant will have after the PUT, defaults included: recordings cannot outlive their CDRs.
call-logd has no upper bound of its own, but stores days in a 32-bit integer; a century is the sane
limit.
"""

from __future__ import annotations

MAX_DAYS = 36_500


def days_problem(value: int) -> str | None:
    """What is wrong with one number of days, or None."""
    if value < 0:
        return f"a number of days must be 0 or more, got {value}"
    if value > MAX_DAYS:
        return f"a number of days must be at most {MAX_DAYS} (a century), got {value}"
    return None


def order_problem(after: dict[str, int | None], defaults: dict[str, int | None]) -> str | None:
    """recording_days must not exceed cdr_days, comparing the values in force after the PUT
    (`after`: the three keys sent; `defaults`: call-logd's default_*_days)."""
    shown = {}
    values = {}
    for key in ("recording_days", "cdr_days"):
        value = after.get(key)
        shown[key] = f"{value}"
        if value is None:
            value = defaults.get(key)
            shown[key] = f"{value} (the default)"
        values[key] = value
    recording, cdr = values["recording_days"], values["cdr_days"]
    if recording is not None and cdr is not None and recording > cdr:
        return (
            f"recording_days {shown['recording_days']} must not exceed cdr_days "
            f"{shown['cdr_days']}: recordings cannot be kept longer than their CDRs"
        )
    return None
