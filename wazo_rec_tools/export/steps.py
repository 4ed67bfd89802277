"""The export's decisions as values: for one journal row, the next step of its window.

Pure: the row, whether its spooled archive is intact and how many launches are allowed go in,
a `Step` comes out. `ExportJob.run` executes the steps; `--dry-run` renders them with
`describe`, so what a dry run says is what a run does.
"""

from __future__ import annotations

from enum import StrEnum

from .journal import Entry


class Step(StrEnum):
    LAUNCH = "launch"  # no export yet (or the last one failed): POST one
    WAIT = "wait"  # launched: poll until finished
    DOWNLOAD = "download"  # finished (or the spooled archive no longer matches): download
    DELIVER = "deliver"  # downloaded and checked: copy to each destination
    DONE = "done"  # delivered, empty, or given up by `export skip`
    GIVE_UP = "give-up"  # failed too often for the timer: an admin decides


def next_step(entry: Entry | None, *, spool_intact: bool, max_attempts: int | None) -> Step:
    """What to do next for a window whose journal row is `entry` (None: no row yet).

    `spool_intact`: the row's archive and manifest are in the spool with the journaled size and
    sha256. `max_attempts`: launches after which the timer stops (None: no limit, for a window
    asked for explicitly).
    """
    if entry is None or entry.status == "planned":
        return Step.LAUNCH
    if entry.settled:
        return Step.DONE
    if entry.status == "launched":
        return Step.WAIT
    if entry.status == "ready":
        return Step.DOWNLOAD
    if entry.status == "downloaded":
        return Step.DELIVER if spool_intact else Step.DOWNLOAD
    # failed: a checked archive still in the spool is delivered rather than exported again,
    # and one that no longer matches is downloaded again from its export
    if spool_intact:
        return Step.DELIVER
    if entry.archive_path and entry.export_uuid:
        return Step.DOWNLOAD
    if max_attempts is not None and entry.attempts >= max_attempts:
        return Step.GIVE_UP
    return Step.LAUNCH


def describe(step: Step, entry: Entry | None) -> str:
    """What a run would do for this step, in the words of `--dry-run`."""
    if step is Step.LAUNCH:
        if entry is None:
            return "would launch an export"
        if entry.status == "planned":
            last = f"; last error: {entry.last_error}" if entry.last_error else ""
            return f"would launch an export (the last launch got no answer{last})"
        return (
            f"would launch an export again (attempt {entry.attempts + 1}; "
            f"last error: {entry.last_error})"
        )
    assert entry is not None
    if step is Step.DONE:
        return f"already {entry.status}"
    if step is Step.WAIT:
        return f"would wait for export {entry.export_uuid}, then download and deliver it"
    if step is Step.DOWNLOAD:
        if entry.archive_path:
            return (
                f"would download export {entry.export_uuid} again (the spooled archive no "
                "longer matches its sha256) and deliver it"
            )
        return f"would download export {entry.export_uuid} and deliver it"
    if step is Step.DELIVER:
        return "would deliver the downloaded archive"
    return give_up_text(entry)


def give_up_text(entry: Entry) -> str:
    return (
        f"failed {entry.attempts} times (last: {entry.last_error}); the timer no longer "
        f"launches it: run `wazo-rec export run --tenant {entry.tenant_slug} --from "
        f"{entry.window_from} --until {entry.window_until}` to try again, or `wazo-rec export "
        f"skip --tenant {entry.tenant_slug} --until {entry.window_until} --reason ...` to give "
        "it up"
    )
