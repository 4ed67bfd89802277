"""wazo-confd: users, groups, queues, the *26 feature extension and the *3 applicationmap key.

docs/wazo-api.md (confd): every PUT reloads Asterisk modules, so callers PUT only objects that
change, with minimal partial bodies. The two body rules below protect real stacks and are enforced
here.

Whole lists are read in one request without `limit` (`read_all`): above 101 or without a limit,
confd loads every matching user before cutting the page (docs/wazo-api.md, confd §1), so pages cost
the whole tenant each and one request is the cheapest read there is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, Literal, TypeVar

from .http import HttpClient

T = TypeVar("T")
Listed = Literal["users", "groups", "queues"]

# Read-timeout allowance per expected item of a list: the real confd spends ~4.2 ms per user
# of an unpaginated read (2 vCPUs) before its first byte; 10 ms leaves room for a busy stack.
SECONDS_PER_LISTED_ITEM = 0.01
# uuids per filtered users request: the Swagger's `maxItems` for `uuid` (confd does not enforce
# it, a later one may); 20 x 39 characters (uuid and encoded comma) keep URLs under 1 kB.
UUID_CHUNK = 20

USER_RECORD_FIELDS = (
    "call_record_outgoing_internal_enabled",
    "call_record_outgoing_external_enabled",
    "call_record_incoming_internal_enabled",
    "call_record_incoming_external_enabled",
    "online_call_record_enabled",
)


class ConfdClient:
    def __init__(self, http: HttpClient):
        self.http = http

    # -- whole lists, one request each --------------------------------------------------

    def count(self, resource: Listed, *, tenant: str | None = None, recurse: bool = False) -> int:
        """How many objects a list holds: `total` of a `limit=1` probe (cheap: ≤ 101)."""
        body = self.http.get_json(
            f"/{resource}", params={"recurse": recurse, "limit": 1}, tenant=tenant
        )
        return int(body.get("total") or 0)

    def read_all(
        self,
        resource: Listed,
        trim: Callable[[dict], T],
        *,
        tenant: str | None = None,
        recurse: bool = False,
        expected: int = 0,
        **filters: Any,
    ) -> list[T]:
        """Every object of a list in one request without `limit`, trimmed as it arrives.

        `expected` (a probe's `total`) stretches the read timeout to the size of the answer.
        """
        return self.http.stream_items(
            f"/{resource}",
            trim,
            params={**filters, "recurse": recurse},
            tenant=tenant,
            read_timeout=self.http.timeout + SECONDS_PER_LISTED_ITEM * expected,
        )

    def users_by_uuid(
        self, uuids: Sequence[str], trim: Callable[[dict], T], *, tenant: str | None = None
    ) -> list[T]:
        """These users only (docs/wazo-api.md, confd §1: `uuid` takes a comma-separated list), in
        chunks."""
        found: list[T] = []
        for start in range(0, len(uuids), UUID_CHUNK):
            chunk = uuids[start : start + UUID_CHUNK]
            found += self.read_all(
                "users", trim, tenant=tenant, expected=len(chunk), uuid=",".join(chunk)
            )
        return found

    # -- users -----------------------------------------------------------------------------

    def users(
        self,
        *,
        tenant: str | None = None,
        recurse: bool = False,
        page_size: int = 1000,
        **filters: Any,
    ) -> Iterator[dict]:
        """Full users, recording fields included (docs/wazo-api.md, confd §2: no `view`).

        `filters`: docs/wazo-api.md, confd §1 exact-match columns, e.g. username=..., email=...
        """
        return self.http.paginate(
            "/users", params={**filters, "recurse": recurse}, tenant=tenant, page_size=page_size
        )

    def get_user(self, user: str | int, *, tenant: str | None = None) -> dict:
        return self.http.get_json(f"/users/{user}", tenant=tenant)

    def update_user(self, user_uuid: str, body: dict) -> None:
        if "call_record_enabled" in body:
            # docs/wazo-api.md, confd §2: rejected together with call_record_*_enabled; deprecated
            # anyway
            raise ValueError(
                "call_record_enabled must not be sent; use the four call_record_* fields"
            )
        # never ?recursive=true (docs/wazo-api.md, confd §2: it drops groups and lines)
        self.http.request("PUT", f"/users/{user_uuid}", json=body, expect=(204,))

    # -- groups ----------------------------------------------------------------------------

    def groups(self, *, tenant: str | None = None, recurse: bool = False) -> Iterator[dict]:
        return self.http.paginate("/groups", params={"recurse": recurse}, tenant=tenant)

    def get_group(self, group_uuid: str) -> dict:
        return self.http.get_json(f"/groups/{group_uuid}")

    def update_group(self, group_uuid: str, body: dict) -> None:
        if "ignore_forward" not in body:
            # docs/wazo-api.md, confd §3: a group PUT without ignore_forward resets it to false
            raise ValueError("a group PUT must carry the group's current ignore_forward")
        self.http.request("PUT", f"/groups/{group_uuid}", json=body, expect=(204,))

    # -- queues (int id only: docs/wazo-api.md, confd §4)
    # ---------------------------------------------------

    def queues(self, *, tenant: str | None = None, recurse: bool = False) -> Iterator[dict]:
        return self.http.paginate("/queues", params={"recurse": recurse}, tenant=tenant)

    def get_queue(self, queue_id: int) -> dict:
        return self.http.get_json(f"/queues/{int(queue_id)}")

    def update_queue(self, queue_id: int, body: dict) -> None:
        self.http.request("PUT", f"/queues/{int(queue_id)}", json=body, expect=(204,))

    # -- global features (master tenant only: docs/wazo-api.md, confd §6)
    # ----------------------------------

    def extension_features(self, *, feature: str | None = None) -> list[dict]:
        params = {"feature": feature} if feature else None
        return list(self.http.paginate("/extensions/features", params=params))

    def update_extension_feature(self, uuid: str, body: dict) -> None:
        # docs/wazo-api.md, confd §5: by uuid since wazo-23.12
        self.http.request("PUT", f"/extensions/features/{uuid}", json=body, expect=(204,))

    def applicationmap(self) -> dict[str, str]:
        return self.http.get_json("/asterisk/features/applicationmap").get("options", {})

    def put_applicationmap(self, options: dict[str, str]) -> None:
        # docs/wazo-api.md, confd §5: full replacement of the section; the caller sends every key
        # back
        if "togglerecord" not in options:
            raise ValueError("the applicationmap must keep its togglerecord key")
        self.http.request(
            "PUT", "/asterisk/features/applicationmap", json={"options": options}, expect=(204,)
        )
