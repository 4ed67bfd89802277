"""wazo-confd state: users, groups, queues, feature extensions, Asterisk features."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

USER_RECORD_FLAGS = (
    "call_record_outgoing_internal_enabled",
    "call_record_outgoing_external_enabled",
    "call_record_incoming_internal_enabled",
    "call_record_incoming_external_enabled",
)


@dataclass
class ConfdState:
    """Everything confd holds. Handlers change it under `Store.lock`.

    users: int id -> user dict, as GET shows it minus the computed `call_record_enabled`.
    groups: int id -> group dict; queues: int id -> queue dict (GET shape).
    extension_features: uuid -> {uuid, exten, enabled, feature} (global, docs/wazo-api.md, confd
    §5).
    applicationmap / featuremap: the `options` of /asterisk/features/<section>.
    events: (event name, resource id) per successful PUT, even a no-op: the reload count.
    version: bumped when a field that lists sort or filter on changes (list caches key on it).
    """

    users: dict[int, dict[str, Any]] = field(default_factory=dict)
    user_ids_by_uuid: dict[str, int] = field(default_factory=dict)
    groups: dict[int, dict[str, Any]] = field(default_factory=dict)
    group_ids_by_uuid: dict[str, int] = field(default_factory=dict)
    queues: dict[int, dict[str, Any]] = field(default_factory=dict)
    extension_features: dict[str, dict[str, Any]] = field(default_factory=dict)
    applicationmap: dict[str, str] = field(default_factory=dict)
    featuremap: dict[str, str] = field(default_factory=dict)
    events: list[tuple[str, Any]] = field(default_factory=list)
    version: int = 0
    list_cache: dict[Any, list[int]] = field(default_factory=dict)

    def add_user(self, user: dict[str, Any]) -> dict[str, Any]:
        self.users[user["id"]] = user
        self.user_ids_by_uuid[user["uuid"]] = user["id"]
        self.changed()
        return user

    def add_group(self, group: dict[str, Any]) -> dict[str, Any]:
        self.groups[group["id"]] = group
        self.group_ids_by_uuid[group["uuid"]] = group["id"]
        self.changed()
        return group

    def add_queue(self, queue: dict[str, Any]) -> dict[str, Any]:
        self.queues[queue["id"]] = queue
        self.changed()
        return queue

    def user(self, id_or_uuid: str) -> dict[str, Any] | None:
        """A user by int id or uuid, as the path gives it."""
        if id_or_uuid.isdigit():
            return self.users.get(int(id_or_uuid))
        user_id = self.user_ids_by_uuid.get(id_or_uuid)
        return None if user_id is None else self.users.get(user_id)

    def group(self, id_or_uuid: str) -> dict[str, Any] | None:
        if id_or_uuid.isdigit():
            return self.groups.get(int(id_or_uuid))
        group_id = self.group_ids_by_uuid.get(id_or_uuid)
        return None if group_id is None else self.groups.get(group_id)

    def changed(self) -> None:
        """Invalidate cached list orders after a change to a sorted or filtered field."""
        self.version += 1
        self.list_cache.clear()
