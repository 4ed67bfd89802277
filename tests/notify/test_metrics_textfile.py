"""The node_exporter textfile: parsed by prometheus_client's own text parser."""

from __future__ import annotations

import stat

import pytest
from prometheus_client.parser import text_string_to_metric_families

from wazo_rec_tools.jobs import metrics


def families(path) -> dict:
    return {f.name: f for f in text_string_to_metric_families(path.read_text())}


def value(found: dict, family: str, sample: str, **labels: str) -> float:
    matches = [s.value for s in found[family].samples if s.name == sample and s.labels == labels]
    assert len(matches) == 1, (sample, labels, found[family].samples)
    return matches[0]


@pytest.fixture
def with_metrics(with_notify, tmp_path):
    path = tmp_path / "textfile" / "wazo-rec.prom"
    path.parent.mkdir()
    with_notify(f"metrics: {path}\n")
    return path


def test_export_run_writes_a_textfile_prometheus_parses(run_cli, with_metrics, archives):
    result = run_cli("export", "run")

    assert result.exit_code == 0, result.stderr
    found = families(with_metrics)
    delivered = "wazo_rec_export_windows_delivered"
    assert found[delivered].type == "counter"
    assert value(found, delivered, delivered + "_total", tenant="acme") == 4
    sizes = sum(p.stat().st_size for p in (archives / "acme").rglob("*.zip"))
    total = "wazo_rec_export_delivered_bytes"
    assert value(found, total, total + "_total", tenant="acme") == sizes
    pending = "wazo_rec_export_windows_pending"
    assert value(found, pending, pending, tenant="globex") == 0
    last = "wazo_rec_job_last_success_timestamp_seconds"
    assert found[last].type == "gauge"
    assert value(found, last, last, job="export") > 1.7e9
    tenant_last = "wazo_rec_tenant_last_success_timestamp_seconds"
    assert value(found, tenant_last, tenant_last, job="export", tenant="acme") > 1.7e9


def test_counters_grow_across_runs_and_jobs_share_the_file(
    run_cli, with_metrics, sandbox, config_file
):
    run_cli("export", "run")
    (config_file.parent / "policy.yml").write_text("version: 1\ntenants:\n  - tenant: acme\n")
    run_cli("apply", "--yes")
    run_cli("export", "run")

    found = families(with_metrics)
    runs = "wazo_rec_job_runs"
    assert value(found, runs, runs + "_total", job="export", result="success") == 2
    assert value(found, runs, runs + "_total", job="sync", result="success") == 1
    delivered = "wazo_rec_export_windows_delivered"
    assert value(found, delivered, delivered + "_total", tenant="acme") == 4


def test_failures_and_pending_windows_are_counted(run_cli, with_metrics, sandbox):
    sandbox.store.calllogd.fail_next_exports = 1

    assert run_cli("export", "run").exit_code == 1

    found = families(with_metrics)
    pending = "wazo_rec_export_windows_pending"
    assert sum(s.value for s in found[pending].samples) == 1
    failures = "wazo_rec_failures"
    assert sum(s.value for s in found[failures].samples) == 1
    last = "wazo_rec_job_last_failure_timestamp_seconds"
    assert value(found, last, last, job="export") > 1.7e9


def test_sync_drift_objects_are_the_drift_found_before_fixing(
    run_cli, with_metrics, sandbox, config_file
):
    with sandbox.store.lock:
        for user in sandbox.store.confd.users.values():
            user["online_call_record_enabled"] = False
        sandbox.store.confd.changed()
    username = next(
        u["username"]
        for u in sandbox.store.confd.users.values()
        if u["tenant_uuid"] == sandbox.store.tenant("acme")["uuid"]
    )
    (config_file.parent / "policy.yml").write_text(
        "version: 1\ntenants:\n  - tenant: acme\n    users:\n      rules:\n"
        f"        - match: {{users: [{username}]}}\n"
        "          set: {online_call_record_enabled: true}\n"
    )

    assert run_cli("apply", "--yes").exit_code == 0

    found = families(with_metrics)
    drift = "wazo_rec_policy_drift_objects"
    assert value(found, drift, drift, tenant="acme") == 1
    applied = "wazo_rec_policy_changes_applied"
    assert value(found, applied, applied + "_total", tenant="acme") == 1


def test_textfile_is_replaced_whole_and_readable_by_node_exporter(run_cli, with_metrics):
    run_cli("export", "run")

    assert stat.S_IMODE(with_metrics.stat().st_mode) == 0o644
    assert [p.name for p in with_metrics.parent.iterdir()] == ["wazo-rec.prom"]


def test_every_family_has_help_and_type_and_follows_the_naming_rules():
    series = [(name, {"job": "x"}, 1.0) for name in metrics.FAMILIES]

    text = metrics.render(series)

    for name, family in metrics.FAMILIES.items():
        assert f"# HELP {name} " in text
        assert f"# TYPE {name} {family.type}\n" in text
        assert name.startswith("wazo_rec_")
        assert name.endswith("_total") == (family.type == "counter")
    assert {f.name for f in text_string_to_metric_families(text)}


def test_label_values_are_escaped():
    text = metrics.render([("wazo_rec_failures_total", {"tenant": 'a"b\\c\nd'}, 2)])

    (family,) = text_string_to_metric_families(text)
    assert family.samples[0].labels == {"tenant": 'a"b\\c\nd'}
