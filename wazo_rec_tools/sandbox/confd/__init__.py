"""Emulated wazo-confd: the call-recording surface (docs/wazo-api.md, confd)."""

from ..routing import Router
from . import asterisk_features, extension_features, groups, queues, status, users


def register(router: Router) -> None:
    for module in (users, groups, queues, extension_features, asterisk_features, status):
        module.register(router)
