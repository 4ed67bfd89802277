"""The ACLs each job of the tool needs (docs/wazo-api.md, auth §5-§6), for `status` and
`export setup`."""

from __future__ import annotations

EXPORT = [
    "call-logd.cdr.recordings.media.export.create",
    "call-logd.exports.*.read",  # `*` spans one segment: the download ACL is separate
    "call-logd.exports.*.download.read",
    "call-logd.cdr.read",  # the manifest lists the window's recordings
]
EXPORT_ALL_TENANTS = ["auth.tenants.read"]

# the mirror (docs/mirror.md): list recorded CDRs, fetch each recording, and with
# delete_after_delivery remove the delivered ones through the bulk endpoint
MIRROR = [
    "call-logd.cdr.read",
    "call-logd.cdr.*.recordings.*.media.read",
]
MIRROR_DELETE = ["call-logd.cdr.recordings.media.delete"]

# the audit (docs/audit.md): reads only, with admin credentials
AUDIT = [
    "auth.tenants.read",
    "confd.users.read",
    "confd.groups.read",
    "confd.queues.read",
    "call-logd.cdr.read",
]

POLICY = [
    "auth.tenants.read",
    "confd.users.read",
    "confd.users.*.update",
    "confd.groups.read",
    "confd.groups.*.update",
    "confd.queues.read",
    "confd.queues.*.update",
    "call-logd.retention.read",
    "call-logd.retention.update",
]
POLICY_FEATURES = [
    "confd.extensions.features.read",
    "confd.extensions.features.*.update",
    # docs/wazo-api.md, confd §0: `get`, not the spec's `read`
    "confd.asterisk.features.applicationmap.get",
    "confd.asterisk.features.applicationmap.update",
]

ADMIN = [
    "call-logd.cdr.read",
    "call-logd.cdr.*.read",
    "call-logd.cdr.*.recordings.*.media.read",
    "call-logd.cdr.*.recordings.*.media.delete",
    "call-logd.cdr.recordings.media.delete",
    "call-logd.retention.read",
    "call-logd.retention.update",
    "calld.calls.read",
    "calld.calls.*.record.*.update",
]


def export_acl(all_tenants: bool) -> list[str]:
    return EXPORT + (EXPORT_ALL_TENANTS if all_tenants else [])


def mirror_acl(enabled: bool, delete: bool) -> list[str]:
    """The mirror's ACLs when it has destinations (else none)."""
    if not enabled:
        return []
    return MIRROR + (MIRROR_DELETE if delete else [])
