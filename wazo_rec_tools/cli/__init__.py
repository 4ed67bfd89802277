"""`wazo-rec`: the command line. Each command group lives in its own module."""

from __future__ import annotations

import logging
import sys
import traceback
from pathlib import Path

import click

from .. import __version__
from ..errors import InputErrors, UserError
from .context import App


class _Main(click.Group):
    """Turns failures into one line and exit 1; usage errors exit 1 too (2 means "changes")."""

    def main(self, args=None, prog_name=None, **extra):  # type: ignore[override]
        debug = "--debug" in (args if args is not None else sys.argv[1:])
        try:
            rv = super().main(
                args=args, prog_name=prog_name or "wazo-rec", standalone_mode=False, **extra
            )
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.UsageError as exc:
            exc.exit_code = 1
            exc.show()
            sys.exit(1)
        except click.Abort:
            click.echo("Aborted.", err=True)
            sys.exit(1)
        except InputErrors as exc:
            for line in exc.problems:
                click.echo(line, err=True)
            sys.exit(1)
        except UserError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            sys.exit(1)
        except Exception as exc:
            if debug:
                traceback.print_exc()
            else:
                click.echo(
                    f"internal error: {type(exc).__name__}: {exc} (run with --debug for details)",
                    err=True,
                )
            sys.exit(1)
        sys.exit(rv if isinstance(rv, int) else 0)


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="wazo-rec")
@click.option(
    "-c",
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="WAZO_REC_CONFIG",
    help="Config file [default: /etc/wazo-rec-tools/config.yml; env WAZO_REC_CONFIG].",
)
@click.option("--debug", is_flag=True, help="Debug logging, and tracebacks on internal errors.")
@click.pass_context
def main(ctx: click.Context, config_path: Path | None, debug: bool) -> None:
    """Call recording for Wazo Platform: policy, weekly export, admin commands."""
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not debug:
        logging.getLogger("urllib3").setLevel(logging.WARNING)
    ctx.obj = App(config_path, debug)


# Each module attaches its commands to `main` when imported.
from . import (  # noqa: E402
    audit,
    calls,
    demo,
    destinations,
    export,
    mirror,
    policy,
    recordings,
    retention,
    sandbox,
    status,
    token,
)

__all__ = [
    "audit",
    "calls",
    "demo",
    "destinations",
    "export",
    "main",
    "mirror",
    "policy",
    "recordings",
    "retention",
    "sandbox",
    "status",
    "token",
]
