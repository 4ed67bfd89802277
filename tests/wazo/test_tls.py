"""HTTPS as a management host meets a stack: its own CA, pinned or not, whatever the
environment's REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE say."""

from __future__ import annotations

import datetime
import ipaddress
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import certifi
import pytest
import requests

from wazo_rec_tools.sandbox import Sandbox, SeedSpec
from wazo_rec_tools.sandbox.tls import TlsFiles, generate

ENV_BUNDLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
POLICY = "version: 1\ntenants:\n  - tenant: acme\n"


@pytest.fixture
def sandbox(tmp_path_factory) -> Iterator[Sandbox]:
    """The sandbox over HTTPS, with a certificate for 127.0.0.1 signed by its own CA."""
    tls = generate(tmp_path_factory.mktemp("tls"))
    sb = Sandbox(SeedSpec(), spool_dir=tmp_path_factory.mktemp("spool"), tls=tls)
    sb.start()
    try:
        yield sb
    finally:
        sb.stop()


@pytest.fixture(params=["no CA bundle in the environment", "CA bundles in the environment"])
def environment(request, monkeypatch) -> None:
    """Both ways a host may be set up: requests lets these variables override `verify`."""
    for name in ENV_BUNDLES:
        if request.param.startswith("no"):
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, certifi.where())


def configure(config_file: Path, verify: str | None) -> Path:
    text = config_file.read_text()
    if verify is not None:
        text = text.replace("  timeout: 5\n", f"  timeout: 5\n  verify_certificate: {verify}\n")
    config_file.write_text(text)
    (config_file.parent / "policy.yml").write_text(POLICY)
    return config_file


def test_the_sandbox_serves_https(sandbox):
    assert sandbox.url.startswith("https://127.0.0.1:")


def test_the_direct_layout_serves_https_too(tmp_path):
    tls = generate(tmp_path / "tls")
    with Sandbox(SeedSpec(users=2), layout="direct", base_port=0, tls=tls) as sb:
        urls = sb.urls
        status = requests.head(f"{urls['auth']}/status", verify=str(tls.ca), timeout=5)
    assert all(url.startswith("https://127.0.0.1:") for url in urls.values())
    assert status.status_code == 200


def test_a_pinned_ca_is_trusted(sandbox, run_cli, config_file, environment):
    configure(config_file, str(sandbox.tls.ca))
    result = run_cli("plan")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("No changes")
    assert result.stderr == ""


def test_status_over_https_with_a_pinned_ca(sandbox, run_cli, config_file, environment):
    configure(config_file, str(sandbox.tls.ca))
    result = run_cli("status")
    assert result.exit_code == 0, result.stdout
    assert "DOWN" not in result.stdout


def test_default_verification_refuses_a_private_ca_in_one_line(
    sandbox, run_cli, config_file, environment
):
    configure(config_file, None)
    result = run_cli("plan")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"error: auth: POST /token -> TLS certificate check failed for {sandbox.url}/api/auth/0.1:"
        " the certificate's issuer is not trusted; pin the stack's CA: set "
        "stack.verify_certificate to its CA certificate file (on a Wazo stack, the nginx "
        "certificate, e.g. /usr/share/wazo-certs/server.crt)\n"
    )


def test_verify_false_works_and_warns_on_every_run(
    sandbox, run_cli, config_file, environment, recwarn
):
    configure(config_file, "false")
    for _ in range(2):
        result = run_cli("plan")
        assert result.exit_code == 0, result.stderr
        assert result.stdout.startswith("No changes")
        assert result.stderr == (
            "warning: stack.verify_certificate is false: the stack's TLS certificate is not "
            "checked, so anyone on the path can read the token and recordings; pin the stack's "
            "CA instead (stack.verify_certificate: /path/to/ca.pem)\n"
        )
    # said once per run by the tool, not once per request by urllib3
    assert [w for w in recwarn if "Unverified HTTPS" in str(w.message)] == []


@pytest.mark.parametrize(
    "issued_for, host", [("pbx.example.com", "127.0.0.1"), ("127.0.0.1", "localhost")]
)
def test_a_certificate_for_another_host_name_is_refused(
    sandbox, run_cli, config_file, tmp_path, environment, issued_for, host
):
    other = generate(tmp_path / "other", hosts=(issued_for,))
    with_other = Sandbox(SeedSpec(users=4), spool_dir=tmp_path / "spool", tls=other).start()
    url = with_other.url.replace("127.0.0.1", host)
    try:
        config_file.write_text(config_file.read_text().replace(sandbox.url, url))
        configure(config_file, str(other.ca))
        result = run_cli("plan")
    finally:
        with_other.stop()
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: auth: POST /token -> TLS certificate check failed for {url}/api/auth/0.1: "
        "the certificate is for another host name; put a name it is issued for in stack.url\n"
    )


def test_a_ca_that_did_not_sign_the_certificate_is_refused(
    sandbox, run_cli, config_file, tmp_path, environment
):
    stranger = generate(tmp_path / "stranger")
    configure(config_file, str(stranger.ca))
    result = run_cli("plan")
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: auth: POST /token -> TLS certificate check failed for {sandbox.url}"
        "/api/auth/0.1: it is not signed by the CA pinned in stack.verify_certificate "
        f"({stranger.ca})\n"
    )


def self_signed(directory: Path) -> TlsFiles:
    """One certificate signing itself, like a default Wazo install's nginx certificate."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    directory.mkdir(parents=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    files = TlsFiles(directory / "server.crt", directory / "server.crt", directory / "server.key")
    files.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return files


@pytest.mark.parametrize("pinned", [False, True])
def test_a_self_signed_certificate_is_refused_by_default_and_can_be_pinned_as_is(
    run_cli, config_file, tmp_path, environment, pinned
):
    files = self_signed(tmp_path / "wazo-certs")
    stack = Sandbox(SeedSpec(users=4), spool_dir=tmp_path / "spool", tls=files).start()
    url = stack.url
    try:
        config_file.write_text(re.sub(r"https://127\.0\.0\.1:\d+", url, config_file.read_text()))
        configure(config_file, str(files.cert) if pinned else None)
        result = run_cli("plan")
    finally:
        stack.stop()
    if pinned:
        assert (result.exit_code, result.stderr) == (0, "")
    else:
        assert result.exit_code == 1
        assert result.stderr == (
            f"error: auth: POST /token -> TLS certificate check failed for {url}/api/auth/0.1: "
            "the certificate is self-signed; pin the stack's CA: set stack.verify_certificate to "
            "its CA certificate file (on a Wazo stack, the nginx certificate, e.g. "
            "/usr/share/wazo-certs/server.crt)\n"
        )


def test_a_missing_ca_file_is_a_located_config_error(run_cli, config_file):
    configure(config_file, "/nonexistent/ca.pem")
    result = run_cli("plan")
    assert result.exit_code == 1
    assert result.stderr == (
        f"{config_file}:4:23: stack.verify_certificate: no CA certificate file "
        "/nonexistent/ca.pem (give the stack's CA file, or true for the system's CAs)\n"
    )


def test_the_sandbox_command_with_tls_prints_the_ca_and_a_config_that_pins_it(tmp_path):
    command = [sys.executable, "-m", "wazo_rec_tools.cli", "sandbox", "--tls", "--port", "0"]
    server = subprocess.Popen(
        [*command, "--users", "6", "--dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        lines = []
        assert server.stdout is not None
        for line in server.stdout:
            lines.append(line)
            if line.startswith("Ctrl-C"):
                break
        printed = "".join(lines)
        ca = tmp_path / "tls" / "ca.pem"
        assert f"CA certificate (for stack.verify_certificate): {ca}\n" in printed
        assert f"  verify_certificate: {ca}\n" in (tmp_path / "config.yml").read_text()
        status = subprocess.run(
            [*command[:3], "-c", str(tmp_path / "config.yml"), "status"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert status.returncode == 0, status.stdout + status.stderr
        assert "https://127.0.0.1:" in status.stdout
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
