"""The corpus placeholders, resolved by querying a seeded stack (conformance README, Placeholders).

Everything is found through the stack's own API with the master-tenant admin's credentials,
as a replayer would do on a real stack; the one thing an API cannot do (make a recording's file
vanish from disk) goes through `StackHooks`.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

import requests

from .replay import Target

UNKNOWN_UUID = "00000000-0000-4000-8000-000000000000"
RECORD_FLAGS = (
    "call_record_outgoing_external_enabled",
    "call_record_outgoing_internal_enabled",
    "call_record_incoming_external_enabled",
    "call_record_incoming_internal_enabled",
    "online_call_record_enabled",
)
LIVE_CLIENT_ID = "conformance-live"
DEAD_CLIENT_ID = "conformance-dead"
# Placeholders that do not depend on the state the cases change: resolved once per run.
_STABLE = frozenset(
    {
        "token",
        "master_tenant",
        "admin_username",
        "admin_user_uuid",
        "basic_admin",
        "basic_bad",
        "tenant",
        "other_tenant",
        "unknown_uuid",
        "limited_token",
        "subtenant_admin_token",
        "tmp_password",
    }
)


class Unresolvable(Exception):
    """The stack holds nothing that fits a placeholder: the case cannot be replayed."""


class StackHooks(Protocol):
    def lose_media_file(self, recording_uuid: str) -> Callable[[], None]:
        """Make the recording's file absent on disk; returns what puts it back."""
        ...


def _basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


class Resolver:
    """Resolves a case's `needs` on the stack behind `target`."""

    def __init__(
        self,
        session: requests.Session,
        target: Target,
        username: str,
        password: str,
        hooks: StackHooks,
    ) -> None:
        self.session = session
        self.target = target
        self.username = username
        self.password = password
        self.hooks = hooks
        self.stable: dict[str, Any] = {}

    # -- plumbing ------------------------------------------------------------------------

    def call(
        self,
        service: str,
        method: str,
        path: str,
        *,
        tenant: str | None = None,
        token: str | None = None,
        expect: int | tuple[int, ...] = 200,
        **kwargs: Any,
    ) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}))
        if token is not False:
            headers.setdefault("X-Auth-Token", token or self.value("token"))
        if tenant:
            headers["Wazo-Tenant"] = tenant
        response = self.session.request(
            method, self.target.base(service) + path, headers=headers, timeout=30, **kwargs
        )
        wanted = expect if isinstance(expect, tuple) else (expect,)
        if response.status_code not in wanted:
            raise Unresolvable(
                f"{method} {service} {path}: {response.status_code} {response.text[:200]}"
            )
        return response

    def login(self, username: str, password: str, **body: Any) -> dict[str, Any]:
        response = self.call(
            "auth",
            "POST",
            "/token",
            token=False,
            headers={"Authorization": _basic(username, password)},
            json={"expiration": 3600, **body},
        )
        return response.json()["data"]

    def value(self, name: str) -> Any:
        if name not in self.stable:
            self.stable.update(self._stable(name))
        return self.stable[name]

    def resolve(self, needs: list[str]) -> tuple[dict[str, Any], list[Callable[[], None]]]:
        """The values of `needs`, and what to undo once the case has run."""
        values: dict[str, Any] = {}
        cleanups: list[Callable[[], None]] = []
        for name in needs:
            if name in values:
                continue
            if name in _STABLE:
                values[name] = self.value(name)
            else:
                values.update(self._volatile(name, cleanups))
            if name not in values:
                raise Unresolvable(f"no value for {{{name}}}")
        return values, cleanups

    # -- tenants and tokens --------------------------------------------------------------

    def _stable(self, name: str) -> dict[str, Any]:
        if name in ("token", "master_tenant", "admin_username", "admin_user_uuid"):
            data = self.login(self.username, self.password)
            return {
                "token": data["token"],
                "master_tenant": data["metadata"]["tenant_uuid"],
                "admin_username": self.username,
                "admin_user_uuid": data["auth_id"],
            }
        if name == "basic_admin":
            return {name: _basic(self.username, self.password)}
        if name == "basic_bad":
            return {name: _basic(self.username, self.password + "-wrong")}
        if name == "unknown_uuid":
            return {name: UNKNOWN_UUID}
        if name == "tmp_password":
            return {name: secrets.token_urlsafe(16)}
        if name in ("tenant", "other_tenant", "limited_token", "subtenant_admin_token"):
            # The replay's own users exist as soon as `{tenant}` is known: some cases look for
            # their policies without using their tokens.
            values = self._tenants()
            self.stable.update(values)
            values["limited_token"] = self._user_token(
                "conf-limited", "conf-limited-policy", ["confd.users.read"]
            )
            values["subtenant_admin_token"] = self._user_token(
                "conf-subadmin",
                "conf-subtenant-admin-policy",
                ["confd.#", "call-logd.#", "calld.#", "auth.#"],
            )
            return values
        raise Unresolvable(f"unknown placeholder {{{name}}}")

    def _tenants(self) -> dict[str, Any]:
        """`{tenant}`: a sub-tenant with users, groups, queues, recorded CDRs and live calls."""
        master = self.value("master_tenant")
        tenants = self.call("auth", "GET", "/tenants", params={"recurse": "true"}).json()
        subtenants = [t for t in tenants["items"] if t["uuid"] != master]
        subtenants.sort(key=lambda t: (t.get("slug") != "acme", t.get("name") or ""))
        chosen = next((t["uuid"] for t in subtenants if self._is_full(t["uuid"])), None)
        if chosen is None:
            raise Unresolvable("no sub-tenant with users, groups, queues, recordings and calls")
        others = [t["uuid"] for t in subtenants if t["uuid"] != chosen]
        if not others:
            raise Unresolvable("no second sub-tenant")
        return {"tenant": chosen, "other_tenant": others[0]}

    def _is_full(self, tenant: str) -> bool:
        def total(service: str, path: str, **params: Any) -> int:
            body = self.call(service, "GET", path, tenant=tenant, params=params).json()
            return body.get("total", len(body.get("items", ())))

        return all(
            (
                total("confd", "/users", limit=1),
                total("confd", "/groups", limit=1),
                total("confd", "/queues", limit=1),
                total("call-logd", "/cdr", recorded="true", limit=1),
                total("calld", "/calls"),
            )
        )

    def _user_token(self, prefix: str, policy_name: str, acl: list[str]) -> str:
        """A throw-away user of `{tenant}` with one policy of `acl`, logged in."""
        tenant = self.value("tenant")
        password = secrets.token_urlsafe(16)
        username = f"{prefix}-{secrets.token_hex(4)}"
        user = self.call(
            "auth",
            "POST",
            "/users",
            tenant=tenant,
            json={"username": username, "password": password, "purpose": "user"},
        ).json()
        policy = self.call(
            "auth", "POST", "/policies", tenant=tenant, json={"name": policy_name, "acl": acl}
        ).json()
        self.call(
            "auth",
            "PUT",
            f"/users/{user['uuid']}/policies/{policy['uuid']}",
            tenant=tenant,
            expect=204,
        )
        return self.login(username, password)["token"]

    # -- state-dependent values ----------------------------------------------------------

    def _volatile(self, name: str, cleanups: list[Callable[[], None]]) -> dict[str, Any]:
        for prefix, resolve in (
            ("refresh_token", self._refresh_token),
            ("client_id", self._refresh_token),
            ("deleted_refresh_token", self._deleted_refresh_token),
            ("revocable_token", self._revocable_token),
            ("user_rec", self._user_rec),
            ("user_in_group", self._group),
            ("group_ignore_forward_true", self._group_ignore_forward),
            ("group", self._group),
            ("user", self._user),
            ("tenant_users_total", self._user),
            ("queue", self._queue),
            ("callrecord_feature", self._feature),
            ("applicationmap_options", self._applicationmap),
            ("togglerecord_value", self._applicationmap),
            ("cdr_with_recording", self._recordings),
            ("recording", self._recordings),
            ("deleted_", self._deleted_recording),
            ("cdr_missing_file", self._missing_file),
            ("recording_missing_file", self._missing_file),
            ("other_tenant_cdr", self._other_tenant_cdr),
            ("window_", self._window),
            ("ret_", self._retention),
            ("call_toggle_off", self._call_toggle_off),
            ("call_toggle_on", self._call_toggle_on),
        ):
            if name.startswith(prefix):
                return resolve(cleanups)
        raise Unresolvable(f"unknown placeholder {{{name}}}")

    def _refresh_token(self, cleanups: list[Callable[[], None]]) -> dict[str, Any]:
        data = self.login(
            self.username, self.password, access_type="offline", client_id=LIVE_CLIENT_ID
        )
        cleanups.append(lambda: self._delete_refresh(LIVE_CLIENT_ID))
        return {"refresh_token": data["refresh_token"], "client_id": LIVE_CLIENT_ID}

    def _delete_refresh(self, client_id: str) -> None:
        user = self.value("admin_user_uuid")
        self.call("auth", "DELETE", f"/users/{user}/tokens/{client_id}", expect=(204, 404))

    def _deleted_refresh_token(self, _: list[Callable[[], None]]) -> dict[str, Any]:
        data = self.login(
            self.username, self.password, access_type="offline", client_id=DEAD_CLIENT_ID
        )
        self._delete_refresh(DEAD_CLIENT_ID)
        return {"deleted_refresh_token": data["refresh_token"]}

    def _revocable_token(self, _: list[Callable[[], None]]) -> dict[str, Any]:
        return {"revocable_token": self.login(self.username, self.password)["token"]}

    def _tenant_list(self, service: str, path: str, **params: Any) -> list[dict[str, Any]]:
        tenant = self.value("tenant")
        return self.call(service, "GET", path, tenant=tenant, params=params).json()["items"]

    def _user(self, _: list[Callable[[], None]]) -> dict[str, Any]:
        users = self._tenant_list("confd", "/users")
        user = next((u for u in users if u.get("lines")), None)
        if user is None:
            raise Unresolvable("no user of {tenant} with a line")
        total = self.call(
            "confd", "GET", "/users", tenant=self.value("tenant"), params={"limit": 1}
        ).json()["total"]
        return {
            "user": user["uuid"],
            "user_id": user["id"],
            "user_lastname": user["lastname"],
            "user_lastname_prefix": user["lastname"][:3],
            "tenant_users_total": total,
        }

    def _user_rec(self, _: list[Callable[[], None]]) -> dict[str, Any]:
        members = {
            member["uuid"]
            for group in self._tenant_list("confd", "/groups")
            for member in group["members"]["users"]
        }
        user = next(
            (u for u in self._tenant_list("confd", "/users") if u["uuid"] not in members), None
        )
        if user is None:
            raise Unresolvable("every user of {tenant} is in a group")
        values: dict[str, Any] = {"user_rec": user["uuid"]}
        for flag in RECORD_FLAGS:
            values[f"user_rec_orig_{flag}"] = user[flag]
            values[f"user_rec_not_{flag}"] = not user[flag]
        return values

    def _group(self, _: list[Callable[[], None]]) -> dict[str, Any]:
        group = next(
            (
                g
                for g in self._tenant_list("confd", "/groups")
                if g["members"]["users"] and g["ignore_forward"] is False
            ),
            None,
        )
        if group is None:
            raise Unresolvable("no group of {tenant} with members and ignore_forward false")
        return {
            "group": group["uuid"],
            "group_id": group["id"],
            "group_label": group["label"],
            "user_in_group": group["members"]["users"][0]["uuid"],
        }

    def _group_ignore_forward(self, _: list[Callable[[], None]]) -> dict[str, Any]:
        groups = self._tenant_list("confd", "/groups")
        group = next((g for g in groups if g["ignore_forward"] is True), None)
        if group is None:
            raise Unresolvable("no group of {tenant} with ignore_forward true")
        return {
            "group_ignore_forward_true": group["uuid"],
            "group_ignore_forward_true_dtmf": group["dtmf_record_toggle"],
        }

    def _queue(self, _: list[Callable[[], None]]) -> dict[str, Any]:
        queues = self._tenant_list("confd", "/queues")
        if not queues:
            raise Unresolvable("no queue in {tenant}")
        queue = queues[0]
        return {
            "queue_id": queue["id"],
            "queue_name": queue["name"],
            "queue_dtmf": queue["dtmf_record_toggle"],
        }

    def _feature(self, _: list[Callable[[], None]]) -> dict[str, Any]:
        items = self.call(
            "confd", "GET", "/extensions/features", params={"feature": "callrecord"}
        ).json()["items"]
        if not items:
            raise Unresolvable("no callrecord feature extension")
        feature_id = items[0].get("id")
        if feature_id is None:
            # confd does not show the row id; any int shows the `<uuid:…>` route refusing it
            every = self.call("confd", "GET", "/extensions/features").json()["items"]
            feature_id = 1 + [f["uuid"] for f in every].index(items[0]["uuid"])
        return {
            "callrecord_feature_uuid": items[0]["uuid"],
            "callrecord_feature_id": feature_id,
            "callrecord_feature_enabled": items[0]["enabled"],
        }

    def _applicationmap(self, _: list[Callable[[], None]]) -> dict[str, Any]:
        options = self.call("confd", "GET", "/asterisk/features/applicationmap").json()["options"]
        return {"applicationmap_options": options, "togglerecord_value": options["togglerecord"]}

    def _recorded(self) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """(cdr, recording) for each live recording of `{tenant}`, in list order."""
        return [
            (cdr, recording)
            for cdr in self._tenant_list("call-logd", "/cdr", recorded="true", limit=1000)
            for recording in cdr["recordings"]
            if not recording["deleted"]
        ]

    def _recordings(self, _: list[Callable[[], None]]) -> dict[str, Any]:
        recorded = self._recorded()
        if not recorded:
            raise Unresolvable("no live recording in {tenant}")
        first_cdr, first = recorded[0]
        singles = [
            (cdr, recording)
            for cdr, recording in recorded
            if cdr["id"] != first_cdr["id"] and len(cdr["recordings"]) == 1
        ]
        if len(singles) < 2:
            raise Unresolvable("fewer than three recorded CDRs in {tenant}")
        start = datetime.fromisoformat(first_cdr["start"])
        return {
            "cdr_with_recording": first_cdr["id"],
            "recording": first["uuid"],
            "cdr_with_recording_2": singles[0][0]["id"],
            "recording_2": singles[0][1]["uuid"],
            "cdr_with_recording_3": singles[1][0]["id"],
            "recording_3": singles[1][1]["uuid"],
            **self._window_around(start),
        }

    @staticmethod
    def _window_around(start: datetime) -> dict[str, Any]:
        low, high = start - timedelta(minutes=30), start + timedelta(minutes=30)
        return {
            "window_from": low.isoformat(timespec="seconds"),
            "window_until": high.isoformat(timespec="seconds"),
            "window_from_naive": low.replace(tzinfo=None).isoformat(timespec="seconds"),
            "window_until_naive": high.replace(tzinfo=None).isoformat(timespec="seconds"),
        }

    def _window(self, cleanups: list[Callable[[], None]]) -> dict[str, Any]:
        return self._recordings(cleanups)

    def _deleted_recording(self, _: list[Callable[[], None]]) -> dict[str, Any]:
        cdrs = self._tenant_list("call-logd", "/cdr", recorded="true", limit=1000)
        for cdr in cdrs:
            for recording in cdr["recordings"]:
                if recording["deleted"]:
                    return {"deleted_cdr": cdr["id"], "deleted_recording": recording["uuid"]}
        raise Unresolvable("no deleted recording in {tenant}")

    def _missing_file(self, cleanups: list[Callable[[], None]]) -> dict[str, Any]:
        # The last live recording: far from the ones the other placeholders pick.
        recorded = self._recorded()
        if not recorded:
            raise Unresolvable("no live recording in {tenant}")
        cdr, recording = recorded[-1]
        cleanups.append(self.hooks.lose_media_file(recording["uuid"]))
        return {"cdr_missing_file": cdr["id"], "recording_missing_file": recording["uuid"]}

    def _other_tenant_cdr(self, _: list[Callable[[], None]]) -> dict[str, Any]:
        other = self.value("other_tenant")
        items = self.call("call-logd", "GET", "/cdr", tenant=other, params={"limit": 1}).json()[
            "items"
        ]
        if not items:
            raise Unresolvable("no CDR in {other_tenant}")
        return {"other_tenant_cdr": items[0]["id"]}

    def _retention(self, _: list[Callable[[], None]]) -> dict[str, Any]:
        body = self.call("call-logd", "GET", "/retention", tenant=self.value("tenant")).json()
        return {
            "ret_cdr_days": body["cdr_days"],
            "ret_recording_days": body["recording_days"],
            "ret_export_days": body["export_days"],
        }

    def _calls(self) -> list[dict[str, Any]]:
        return self._tenant_list("calld", "/calls")

    def _record(self, call_id: str, action: str, expect: Any = 204) -> requests.Response:
        tenant = self.value("tenant")
        return self.call(
            "calld", "PUT", f"/calls/{call_id}/record/{action}", tenant=tenant, expect=expect
        )

    def _call_toggle_off(self, _: list[Callable[[], None]]) -> dict[str, Any]:
        for call in self._calls():
            if call.get("record_state") == "inactive":
                if self._record(call["call_id"], "start", expect=(204, 403)).status_code == 403:
                    return {"call_toggle_off": call["call_id"]}
                self._record(call["call_id"], "stop")
        raise Unresolvable("no call of {tenant} refuses record/start")

    def _call_toggle_on(self, _: list[Callable[[], None]]) -> dict[str, Any]:
        """An inactive call where start works: probed with start then stop, or stop then start."""
        known = self.stable.get("_toggle_on_call")
        calls = sorted(self._calls(), key=lambda c: c["call_id"] != known)
        for call in calls:
            call_id = call["call_id"]
            if call.get("record_state") == "active":
                if self._record(call_id, "stop", expect=(204, 403)).status_code != 204:
                    continue
            elif call.get("record_state") != "inactive":
                continue
            if self._record(call_id, "start", expect=(204, 403)).status_code != 204:
                continue
            self._record(call_id, "stop")
            self.stable["_toggle_on_call"] = call_id
            return {"call_toggle_on": call_id, "call_toggle_on_acl": call_id.replace(".", "_")}
        raise Unresolvable("no call of {tenant} where record/start works")
