"""Every case of the conformance corpus, replayed against the sandbox: no divergence allowed.

The corpus was recorded from the real daemons. The placeholders are resolved on the sandbox's
own seed through its API (`placeholders.py`); each case's `then` steps always run, so the state
a case changes is restored for the next one, as on a real stack.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from wazo_rec_tools.sandbox import Sandbox, SeedSpec

from .placeholders import Resolver, Unresolvable
from .replay import Target, corpus_path, load_corpus, replay_case

MISSING = "corpus-missing"


def _case_ids() -> list[str]:
    path = corpus_path()
    if not path.is_file():
        # A missing corpus must fail the run, not make it vacuously green.
        return [MISSING]
    return [case["id"] for case in load_corpus(path)["cases"]]


@pytest.fixture(scope="module")
def corpus() -> dict[str, dict[str, Any]]:
    path = corpus_path()
    return {case["id"]: case for case in load_corpus(path)["cases"]} if path.is_file() else {}


class SandboxHooks:
    """What the API cannot do on the sandbox: lose a recording's file."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    def lose_media_file(self, recording_uuid: str) -> Callable[[], None]:
        missing = self.sandbox.store.calllogd.missing_media
        missing.add(recording_uuid)
        return lambda: missing.discard(recording_uuid)


@pytest.fixture(scope="module", params=["nginx", "direct"])
def stack(request, tmp_path_factory) -> Iterator[tuple[requests.Session, Target, Resolver]]:
    """One sandbox per layout for the whole corpus: the cases restore what they change."""
    sandbox = Sandbox(
        SeedSpec(),
        spool_dir=tmp_path_factory.mktemp("spool"),
        export_delay=0.05,
        layout=request.param,
        base_port=0,
    )
    with sandbox, requests.Session() as session:
        urls = sandbox.urls
        target = Target(lambda service: urls[service])
        resolver = Resolver(
            session, target, Sandbox.ADMIN_USERNAME, Sandbox.ADMIN_PASSWORD, SandboxHooks(sandbox)
        )
        yield session, target, resolver


@pytest.mark.parametrize("case_id", _case_ids())
def test_sandbox_answers_like_the_real_daemons(case_id: str, corpus, stack) -> None:
    if case_id == MISSING:
        pytest.fail(
            f"conformance corpus not found at {corpus_path()}: set WAZO_CONFORMANCE_CASES or "
            "put shared/wazo-api/conformance/cases.json beside the repository"
        )
    session, target, resolver = stack
    case = corpus[case_id]
    try:
        values, cleanups = resolver.resolve(case.get("needs", []))
    except Unresolvable as exc:
        pytest.fail(f"{case_id} is not replayable on the sandbox seed: {exc}")
    try:
        errors, _ = replay_case(session, target, case, values)
    finally:
        for cleanup in cleanups:
            cleanup()
    assert not errors, f"{case_id} ({case['about']}) diverges:\n  " + "\n  ".join(errors)
