"""Emulated wazo-calld: live calls and their recording control, status."""

from ..routing import Router
from . import calls, status


def register(router: Router) -> None:
    for module in (calls, status):
        module.register(router)
