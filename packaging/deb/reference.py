"""The command reference, derived from the click command tree: a man page and a text file.

Run with the packaged venv's Python at build time: `python reference.py --man wazo-rec.1
--text reference.txt`. Every command's help and options come from the code, so the reference
cannot drift from `wazo-rec --help`.
"""

from __future__ import annotations

import argparse
import datetime
import inspect
import os
from collections.abc import Iterator
from pathlib import Path

import click

from wazo_rec_tools import __version__
from wazo_rec_tools.cli import main


def walk(
    command: click.Command, ctx: click.Context
) -> Iterator[tuple[click.Command, click.Context]]:
    """Every command under `command`, depth first, in the order `--help` lists them."""
    yield command, ctx
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is None or sub.hidden:
                continue
            yield from walk(sub, click.Context(sub, info_name=name, parent=ctx))


def options(command: click.Command, ctx: click.Context) -> list[tuple[str, str]]:
    records = (p.get_help_record(ctx) for p in command.get_params(ctx))
    return [r for r in records if r is not None]


def usage(command: click.Command, ctx: click.Context) -> str:
    return " ".join(command.collect_usage_pieces(ctx))


def paragraphs(text: str) -> str:
    """Help text as roff paragraphs: click's `\\b` blocks kept line by line, others filled."""
    out = []
    for block in inspect.cleandoc(text).split("\n\n"):
        if block.startswith("\b\n"):
            out.append(".nf\n" + roff(block[2:]) + "\n.fi")
        else:
            out.append(roff(" ".join(block.split())))
    return "\n.PP\n".join(out)


def roff(text: str) -> str:
    escaped = text.replace("\\", "\\e").replace("-", "\\-")
    return "\n".join(
        "\\&" + line if line.startswith((".", "'")) else line for line in escaped.split("\n")
    )


def man_page(root: click.Context) -> str:
    date = datetime.datetime.fromtimestamp(
        int(os.environ.get("SOURCE_DATE_EPOCH", "0")) or datetime.datetime.now().timestamp(),
        tz=datetime.UTC,
    ).strftime("%Y-%m-%d")
    out = [
        f'.TH WAZO\\-REC 1 "{date}" "wazo-rec-tools {__version__}" "User Commands"',
        ".SH NAME",
        "wazo\\-rec \\- call recording for Wazo Platform: policy, weekly export, admin commands",
        ".SH SYNOPSIS",
        ".B wazo\\-rec",
        "[\\fIOPTIONS\\fR] \\fICOMMAND\\fR [\\fIARGS\\fR]...",
        ".SH DESCRIPTION",
        paragraphs(root.command.help or ""),
        ".SH COMMANDS",
    ]
    for command, ctx in walk(root.command, root):
        if ctx is root:
            continue
        out += [
            ".SS " + roff(ctx.command_path),
            "\\fB" + roff(ctx.command_path) + "\\fR " + roff(usage(command, ctx)),
            ".PP",
            paragraphs(command.help or command.short_help or ""),
        ]
        for names, help_text in options(command, ctx):
            out += [".TP", "\\fB" + roff(names) + "\\fR", roff(help_text)]
    out += [".SH GLOBAL OPTIONS"]
    for names, help_text in options(root.command, root):
        out += [".TP", "\\fB" + roff(names) + "\\fR", roff(help_text)]
    out += [
        ".SH FILES",
        ".TP",
        "/etc/wazo\\-rec\\-tools/config.yml",
        "The configuration (every key is optional).",
        ".TP",
        "/etc/wazo\\-rec\\-tools/policy.yml",
        "The recording policy.",
        ".TP",
        "/var/lib/wazo\\-rec\\-tools",
        "The journal, the spool and the default destination.",
        ".TP",
        "/lib/systemd/system/wazo\\-rec\\-*.{service,timer}",
        "The scheduled jobs, enabled by the administrator.",
        ".SH EXIT STATUS",
        "0 on success, 1 on any failure, 2 only from \\fBplan \\-\\-detailed\\-exitcode\\fR "
        "when there are changes.",
        ".SH SEE ALSO",
        "/usr/share/doc/wazo\\-rec\\-tools/, \\fBsystemctl\\fR(1)",
        "",
    ]
    return "\n".join(out)


def text_reference(root: click.Context) -> str:
    parts = [f"wazo-rec-tools {__version__}: the output of --help for every command.\n"]
    for command, ctx in walk(root.command, root):
        parts.append(f"\n$ {ctx.command_path} --help\n{command.get_help(ctx)}\n")
    return "".join(parts)


def main_() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--man", type=Path, required=True)
    parser.add_argument("--text", type=Path, required=True)
    args = parser.parse_args()
    root = click.Context(main, info_name="wazo-rec", terminal_width=100, max_content_width=100)
    args.man.write_text(man_page(root))
    args.text.write_text(text_reference(root))


if __name__ == "__main__":
    main_()
