"""Emulated wazo-call-logd: CDRs, recording media, exports, retention, status."""

from ..routing import Router
from . import cdr, exports, recordings, retention, status


def register(router: Router) -> None:
    for module in (cdr, recordings, exports, retention, status):
        module.register(router)
