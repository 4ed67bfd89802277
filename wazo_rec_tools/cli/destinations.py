"""`wazo-rec destinations check`: can each configured destination be written to?"""

from __future__ import annotations

import click

from ..config import destination_specs
from ..destinations import CheckResult, open_destination
from ..errors import UserError
from . import main
from .context import app, emit_json, output_option


@main.group()
def destinations() -> None:
    """Where recordings go: export.destinations and mirror.destinations."""


@destinations.command("check")
@output_option
def check_command(output: str) -> None:
    """Write a probe under each destination's prefix, read it back, remove it.

    \b
    One line per destination: `ok`, `ok (write-only: cannot read back)`, or what failed
    and what to do. Exit status 1 when a destination cannot be written to.
    """
    results: list[CheckResult] = []
    config = app().config
    seen: set[str] = set()
    specs = [*destination_specs(config.export), *destination_specs(config.mirror)]
    for spec in specs:
        same = f"{spec.url} {spec.options!r}"
        if same in seen:  # the same entry in both lists is probed once
            continue
        seen.add(same)
        try:
            destination = open_destination(spec)
        except UserError as exc:
            results.append(CheckResult(spec.url, False, False, f"cannot open: {exc}"))
            continue
        try:
            results.append(destination.check())
        finally:
            destination.close()
    if output == "json":
        emit_json(
            [
                {"url": r.url, "writable": r.writable, "readable": r.readable, "message": r.message}
                for r in results
            ]
        )
    else:
        for result in results:
            click.echo(result.line)
    if not all(r.writable for r in results):
        raise click.exceptions.Exit(1)
