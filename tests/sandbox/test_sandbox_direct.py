"""The direct layout: each daemon on its own port and prefix, for the official clients' scripts.

`documented_weekly_export` is the weekly export script of the Wazo documentation, written with
plain `requests` the way wazo-auth-client and wazo-call-logd-client form their requests
(`http://{host}:{port}{prefix}/{version}/…`, `prefix=None`, their Accept/Content-Type headers,
Basic auth on POST /token, a `Connection: close` session per command).
"""

from __future__ import annotations

import io
import os
import random
import re
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from wazo_rec_tools.sandbox import DIRECT_PORTS, Sandbox, SeedSpec

RO_HEADERS = {"Accept": "application/json"}
RW_HEADERS = {"Accept": "application/json", "Content-Type": "application/json"}


def _client_session(token: str | None = None) -> requests.Session:
    """wazo_lib_rest_client `BaseClient.session()`."""
    session = requests.Session()
    session.headers = {"Connection": "close", "User-agent": "weekly-export"}
    if token:
        session.headers["X-Auth-Token"] = token
    return session


def documented_weekly_export(
    host: str,
    auth_port: int,
    call_logd_port: int,
    username: str,
    password: str,
    start: datetime,
    end: datetime,
    out: Path,
) -> Path:
    # auth = wazo_auth_client.Client(host, https=False, prefix=None, port=auth_port,
    #                                username=username, password=password)
    # token = auth.token.new(expiration=3600)["token"]
    auth_url = f"http://{host}:{auth_port}/0.1"
    with _client_session() as session:
        session.auth = (username, password)
        headers = {**RO_HEADERS, "User-Agent": "Wazo Python auth client"}
        r = session.post(f"{auth_url}/token", headers=headers, json={"expiration": 3600})
        r.raise_for_status()
        token = r.json()["data"]["token"]

    # call_logd = wazo_call_logd_client.Client(host, https=False, prefix=None,
    #                                          port=call_logd_port, token=token)
    call_logd_url = f"http://{host}:{call_logd_port}/1.0"
    # export = call_logd.cdr.export_recording_media(from_=start, until=end)
    with _client_session(token) as session:
        params = {"from": start.isoformat(), "until": end.isoformat()}
        r = session.post(
            f"{call_logd_url}/cdr/recordings/media/export",
            json={},
            params=params,
            headers=RO_HEADERS,
        )
        r.raise_for_status()
        export_uuid = r.json()["uuid"]
    # while call_logd.export.get(export["uuid"])["status"] != "finished": sleep(…)
    deadline = time.monotonic() + 30
    while True:
        with _client_session(token) as session:
            r = session.get(f"{call_logd_url}/exports/{export_uuid}", headers=RO_HEADERS)
            r.raise_for_status()
        if r.json()["status"] == "finished":
            break
        assert r.json()["status"] in ("pending", "processing"), r.json()
        assert time.monotonic() < deadline, "the export never finished"
        time.sleep(0.1)
    # content = call_logd.export.download(export["uuid"]).content
    with _client_session(token) as session:
        r = session.get(f"{call_logd_url}/exports/{export_uuid}/download", headers=RW_HEADERS)
        r.raise_for_status()
        out.write_bytes(r.content)
    return out


def _last_week() -> tuple[datetime, datetime]:
    end = datetime.now(UTC)
    return end - timedelta(days=7), end


def _recorded_entries(sandbox: Sandbox, slug: str, start: datetime, end: datetime) -> set[str]:
    """The zip entries an export of that tenant and window holds."""
    tenant = sandbox.store.tenant(slug)["uuid"]
    entries = {
        f"{cdr['id']}/{recording['filename']}"
        for cdr in sandbox.store.calllogd.cdrs.values()
        if cdr["tenant_uuid"] == tenant and start <= datetime.fromisoformat(cdr["start"]) < end
        for recording in cdr["recordings"]
        if not recording["deleted"]
    }
    assert entries, "the seed has recordings in the last week"
    return entries


@pytest.fixture
def direct(tmp_path) -> Iterator[Sandbox]:
    sandbox = Sandbox(SeedSpec(), layout="direct", base_port=0, spool_dir=tmp_path / "spool")
    with sandbox:
        yield sandbox


def _port(url: str) -> int:
    return int(url.split(":")[2].split("/")[0])


def test_the_documented_weekly_export_script_runs_unchanged(direct: Sandbox, tmp_path) -> None:
    start, end = _last_week()
    urls = direct.urls
    archive = documented_weekly_export(
        "localhost",
        _port(urls["auth"]),
        _port(urls["call-logd"]),
        "admin-acme",
        Sandbox.ADMIN_PASSWORD,
        start,
        end,
        tmp_path / "week.zip",
    )
    names = set(zipfile.ZipFile(io.BytesIO(archive.read_bytes())).namelist())
    # the export holds the token's tenant: acme, for acme's admin
    assert names == _recorded_entries(direct, "acme", start, end)


def test_each_daemon_answers_only_at_its_own_prefix(direct: Sandbox) -> None:
    urls = direct.urls
    assert requests.head(f"{urls['auth']}/status").status_code == 200
    confd_root = urls["confd"].rsplit("/", 1)[0]
    assert requests.get(f"{confd_root}/0.1/status").status_code == 404
    assert requests.get(f"{confd_root}/api/confd/1.1/users").status_code == 404
    assert requests.get(f"{urls['confd']}/users").status_code == 401


def test_export_location_is_the_direct_path(direct: Sandbox) -> None:
    urls = direct.urls
    token = requests.post(
        f"{urls['auth']}/token", auth=(Sandbox.ADMIN_USERNAME, Sandbox.ADMIN_PASSWORD), json={}
    ).json()["data"]["token"]
    start, end = _last_week()
    response = requests.post(
        f"{urls['call-logd']}/cdr/recordings/media/export",
        params={"from": start.isoformat(), "until": end.isoformat(), "recurse": "true"},
        headers={"X-Auth-Token": token},
        json={},
    )
    assert response.status_code == 202
    assert response.headers["Location"] == f"/1.0/exports/{response.json()['uuid']}"


def _free_base() -> Iterator[int]:
    """Bases whose four shifted ports are free right now (a race can still take one)."""
    rng = random.Random()
    while True:
        yield rng.randrange(20_000, 60_000, 1000)


def test_base_port_shifts_every_daemon_by_the_same_offset(tmp_path) -> None:
    for base in _free_base():
        sandbox = Sandbox(SeedSpec(users=4), layout="direct", base_port=base)
        try:
            sandbox.start()
        except OSError:
            continue  # one of the four ports is taken: try another base
        with sandbox:
            ports = {service: _port(url) for service, url in sandbox.urls.items()}
        assert ports == {service: base + port - 9000 for service, port in DIRECT_PORTS.items()}
        return


def test_wazo_rec_sandbox_layout_direct_prints_each_daemon_and_serves_the_script(
    tmp_path,
) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "wazo_rec_tools.cli",
            "sandbox",
            "--layout",
            "direct",
            "--base-port",
            "0",
            "--users",
            "20",
            "--dir",
            str(tmp_path / "client"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )
    try:
        lines = []
        while not any("Ctrl-C" in line for line in lines):
            line = proc.stdout.readline()
            assert line, proc.stderr.read()
            lines.append(line)
        printed = "".join(lines)
        urls = dict(re.findall(r"^\s+(auth|confd|call-logd|calld)\s+(\S+)$", printed, re.M))
        assert set(urls) == set(DIRECT_PORTS)
        assert urls["confd"].endswith("/1.1") and urls["auth"].endswith("/0.1")
        password = (tmp_path / "client" / "password").read_text().strip()
        assert oct((tmp_path / "client" / "password").stat().st_mode & 0o777) == "0o600"
        assert password not in printed
        start, end = _last_week()
        archive = documented_weekly_export(
            "localhost",
            _port(urls["auth"]),
            _port(urls["call-logd"]),
            "admin-acme",
            password,
            start,
            end,
            tmp_path / "week.zip",
        )
        assert zipfile.ZipFile(archive).namelist()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
