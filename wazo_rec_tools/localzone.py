"""The system's local time zone, as an IANA zone when it can be found (DST-aware)."""

from __future__ import annotations

import os
from datetime import datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_ZONEINFO_ROOTS = ("/usr/share/zoneinfo/", "/usr/lib/zoneinfo/")


def local_timezone() -> tzinfo:
    """The system's zone: `TZ`, else /etc/localtime, else the current fixed offset."""
    name = os.environ.get("TZ", "").lstrip(":")
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    try:
        target = str(Path("/etc/localtime").resolve())
    except OSError:
        target = ""
    for root in _ZONEINFO_ROOTS:
        if target.startswith(root):
            try:
                return ZoneInfo(target[len(root) :])
            except (ZoneInfoNotFoundError, ValueError):
                break
    zone = datetime.now().astimezone().tzinfo
    assert zone is not None
    return zone
