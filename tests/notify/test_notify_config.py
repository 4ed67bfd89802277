"""`notify:` and `metrics:` in the config: located one-line errors, like every other key."""

from __future__ import annotations

import importlib.util

import pytest

from wazo_rec_tools.config import load_config
from wazo_rec_tools.errors import InputErrors


def problems(tmp_path, text: str) -> list[str]:
    path = tmp_path / "config.yml"
    path.write_text(text)
    with pytest.raises(InputErrors) as raised:
        load_config(path)
    return [p.removeprefix(f"{path}:") for p in raised.value.problems]


def test_full_example_loads(tmp_path):
    path = tmp_path / "config.yml"
    path.write_text(
        "notify:\n"
        "  - webhook: https://hooks.acme.com/wazo\n"
        "    secret: webhook-acme\n"
        "    events: [export.delivered, job.failed]\n"
        "  - healthchecks: https://hc-ping.com/5d1c\n"
        "    jobs: [export, sync]\n"
        "  - healthchecks: https://cronitor.link/p/key/wazo\n"
        "    start: /run\n    success: /complete\n    fail: /fail\n"
        "  - apprise: mailtos://user@example.com\n"
        "metrics: prom/wazo-rec.prom\n"
    )

    config = load_config(path)

    kinds = [h.kind for h in config.notify]
    assert kinds == ["webhook", "healthchecks", "healthchecks", "apprise"]
    assert config.metrics == tmp_path / "prom" / "wazo-rec.prom"
    assert config.notify[0].follows_event("job.failed")
    assert not config.notify[0].follows_event("policy.drift")
    assert config.notify[3].follows_event("job.failed")
    assert not config.notify[3].follows_event("export.delivered")
    assert config.notify[1].follows_job("sync") and not config.notify[1].follows_job("mirror")
    assert {h.timeout for h in config.notify} == {10}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "notify:\n  - webhook: https://h.example/x\n    secret: s\n    events: [export.done]\n",
            "4:13: notify.0.events: unknown event 'export.done' (known: export.delivered,",
        ),
        (
            "notify:\n  - webhook: https://h.example/x\n",
            "2:5: notify.0: a webhook needs `secret`",
        ),
        (
            "notify:\n  - webhook: https://h.example/x\n    healthchecks: https://h.example/y\n"
            "    secret: s\n",
            "2:5: notify.0: each notify entry has exactly one of webhook, healthchecks or apprise"
            " (this one has webhook and healthchecks)",
        ),
        (
            "notify:\n  - healthchecks: ftp://h.example/x\n",
            "2:19: notify.0.healthchecks: expected an https:// (or http://) URL, got",
        ),
        (
            "notify:\n  - webhook: https://user:pw@h.example/x\n    secret: s\n",
            "2:14: notify.0.webhook: the URL must not carry credentials",
        ),
        (
            "notify:\n  - healthchecks: https://h.example/x\n    jobs: [backup]\n",
            "3:11: notify.0.jobs: unknown job 'backup' (known: export, mirror, sync, audit)",
        ),
        (
            "notify:\n  - healthchecks: https://h.example/x\n    colour: red\n",
            "3:5: unknown key 'colour'",
        ),
        ("metrics: /var/lib/prometheus/wazo.txt\n", "1:10: metrics: node_exporter's textfile"),
        (
            "notify:\n  - healthchecks: https://h.example/x\n    timeout: 0\n",
            "3:14: notify.0.timeout:",
        ),
    ],
)
def test_bad_notify_entries_are_located_errors(tmp_path, text, expected):
    (found,) = problems(tmp_path, text)

    assert found.startswith(expected), found


def test_apprise_without_its_extra_is_a_config_error_naming_the_install(tmp_path, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "apprise" else real(name, *a)
    )

    (found,) = problems(tmp_path, "notify:\n  - apprise: mailtos://u@example.com\n")

    assert found == (
        "2:14: notify.0.apprise: Apprise is not installed: pip install 'wazo-rec-tools[apprise]'"
    )


def test_config_without_notify_has_no_hooks_and_no_metrics(tmp_path):
    path = tmp_path / "config.yml"
    path.write_text("export: {}\n")

    config = load_config(path)

    assert (config.notify, config.metrics) == ((), None)
