"""ACL matching as xivo's `AccessCheck` does it (docs/wazo-api.md, auth §6)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache


@lru_cache(maxsize=4096)
def _access_regex(access: str, auth_id: str, session_id: str) -> re.Pattern[str]:
    """One held ACL as an anchored regex: `*` one segment, `#` any run, `me`/`my_session` words."""
    segments = []
    for segment in access.split("."):
        if segment == "me":
            segments.append(f"(?:me|{re.escape(auth_id)})")
        elif segment == "my_session":
            segments.append(f"(?:my_session|{re.escape(session_id)})")
        else:
            segments.append(re.escape(segment).replace(r"\*", "[^.#]*?").replace(r"\#", ".*?"))
    regex = r"\.".join(segments)
    if access.endswith(".edit"):  # the legacy suffix `edit` grants `update`
        regex = regex[: -len("edit")] + "(?:edit|update)"
    return re.compile(f"^{regex}$")


class AccessCheck:
    """Does a token holding `acl` have a required ACL? Negative entries (`!...`) win."""

    def __init__(self, acl: Iterable[str], auth_id: str = "", session_id: str = "") -> None:
        self.acl = list(acl)
        self._positive = [
            _access_regex(a, auth_id, session_id) for a in self.acl if not a.startswith("!")
        ]
        self._negative = [
            _access_regex(a[1:], auth_id, session_id) for a in self.acl if a.startswith("!")
        ]

    def matches_required_access(self, required: str | None) -> bool:
        if required is None:
            return True
        if any(regex.match(required) for regex in self._negative):
            return False
        return any(regex.match(required) for regex in self._positive)

    def may_add_access(self, access: str) -> bool:
        """Whether the holder may grant `access` to someone else (policies, user policies).

        A positive entry must itself be matched by the holder's ACL (so `#` may grant
        anything, `confd.#` may grant `confd.users.read` but not `auth.#`); a negative entry
        may always be granted, since it only takes rights away.
        """
        if access.startswith("!"):
            return True
        return self.matches_required_access(access)

    def missing_access(self, acl: Iterable[str]) -> list[str]:
        """The entries of `acl` the holder may not grant."""
        return [access for access in acl if not self.may_add_access(access)]
