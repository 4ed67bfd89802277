"""`--from/--until` on the command line: one click type over the pure `moments` parser; the
option names are added here, never in the core."""

from __future__ import annotations

from datetime import date, datetime, tzinfo

import click

from ..errors import UserError
from ..moments import MomentError, check_order, in_zone, parse_moment


class MomentType(click.ParamType):
    """An ISO date or date-time; its zone is applied later (the config gives it)."""

    name = "ISO"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime | date:
        if isinstance(value, datetime | date):
            return value
        try:
            return parse_moment(str(value))
        except MomentError as exc:
            self.fail(str(exc), param, ctx)


MOMENT = MomentType()


def aware(moment: datetime | date, zone: tzinfo, option: str) -> datetime:
    """The instant of an option's moment in `zone`; a bad one is one line naming the option."""
    try:
        return in_zone(moment, zone)
    except MomentError as exc:
        raise UserError(f"{option}: {exc}") from None


def ordered(start: datetime, end: datetime) -> None:
    """`--from` must come before `--until`: one line naming both."""
    try:
        check_order(start, end)
    except MomentError:
        raise UserError(
            f"--from {start.isoformat()} must be before --until {end.isoformat()} "
            "(from is inclusive, until exclusive)"
        ) from None
