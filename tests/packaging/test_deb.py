"""The Debian package, built by scripts/build-deb and installed by apt into a fresh Debian 12
root (debootstrap from this machine's registry, see debroot.py), never onto this machine."""

from __future__ import annotations

import configparser
import re
import shlex
import subprocess
from pathlib import Path

import pytest

from tests.packaging.debroot import REPO, DebianRoot

pytestmark = pytest.mark.slow

UNIT_SUFFIXES = {".service", ".timer", ".socket", ".path", ".target"}  # as assemble.py
UNITS = sorted(p.name for p in (REPO / "systemd").iterdir() if p.suffix in UNIT_SUFFIXES)
NOT_EXTRAS = {"test", "tests", "dev", "docs", "lint"}

# A sandbox stack in the root, then `export setup` and `export run` with the state in the
# default folder; DESTINATIONS is filled in per test.
EXPORT_AGAINST_SANDBOX = r"""
mkdir -p /root/sb /srv/recordings
wazo-rec sandbox --port 0 --dir /root/sb >/root/sb.log 2>&1 &
sandbox=$!
for i in $(seq 150); do grep -q '^  url:' /root/sb/config.yml 2>/dev/null && break; sleep 0.2; done
url=$(sed -n 's/^  url: //p' /root/sb/config.yml)
user=$(sed -n 's/^  username: //p' /root/sb/config.yml)
cat >/root/stack.yml <<END
stack: {url: "$url"}
auth:
  username: $user
  password_file: /root/sb/password
  refresh_token_file: /etc/wazo-rec-tools/refresh-token
export:
  state_dir: /var/lib/wazo-rec-tools
  destinations: [DESTINATIONS]
END
wazo-rec -c /root/stack.yml export setup
wazo-rec -c /root/stack.yml export run
kill $sandbox
wait $sandbox || true
"""


def export_against_sandbox(root: DebianRoot, *destinations: str) -> str:
    script = EXPORT_AGAINST_SANDBOX.replace("DESTINATIONS", ", ".join(destinations))
    return root.run(script).stdout


def listing(root: DebianRoot, folder: str) -> str:
    """Every file under `folder` with its checksum, sorted."""
    return root.run(f"cd {folder} && find . -type f -exec sha256sum {{}} + | sort -k2").stdout


def systemd_links(root: DebianRoot) -> str:
    return root.run("find /etc/systemd -name 'wazo-rec*'").stdout


def asked_of_systemd(root: DebianRoot) -> list[str]:
    """What maintainer scripts asked for the package's units ("<unit> <action>")."""
    log = root.run("cat /var/log/policy-rc.d.log 2>/dev/null || true").stdout
    return [line for line in log.splitlines() if "wazo-rec" in line]


def package_state(root: DebianRoot) -> str:
    return root.run(
        "dpkg-query -W -f='${db:Status-Abbrev}' wazo-rec-tools 2>/dev/null || true"
    ).stdout


# --- what the package installs (one root, read-only tests) ----------------------------------


def test_wazo_rec_runs_from_usr_bin_a_link_into_the_venv(installed):
    init = (REPO / "wazo_rec_tools/__init__.py").read_text()
    version = re.search(r'__version__ = "([^"]+)"', init)[1]

    assert installed.run("wazo-rec --version").stdout.strip() == f"wazo-rec, version {version}"
    assert installed.run("readlink /usr/bin/wazo-rec").stdout.strip() == (
        "/opt/wazo-rec-tools/bin/wazo-rec"
    )
    assert installed.run("readlink -f /opt/wazo-rec-tools/bin/python3").stdout.strip() == (
        "/usr/bin/python3.11"
    )


def test_demo_runs_against_the_embedded_sandbox_without_terminal_or_network(installed):
    result = installed.run("test ! -t 0 && test ! -t 1 && wazo-rec demo", network=False)

    assert "Verified: the stack now matches the policy." in result.stdout
    assert re.search(r"export: done: [1-9]\d* delivered", result.stdout), result.stdout[-3000:]


def test_every_unit_of_the_repository_is_installed_and_passes_systemd_analyze_verify(installed):
    shipped = installed.run("ls /lib/systemd/system | grep '^wazo-rec' || true").stdout.split()
    assert shipped == UNITS

    paths = " ".join(f"/lib/systemd/system/{unit}" for unit in UNITS)
    assert installed.run(f"systemd-analyze verify {paths} 2>&1").stdout == ""


def test_units_are_neither_enabled_nor_started_on_install(installed):
    for unit in UNITS:
        state = installed.run(f"systemctl is-enabled {unit} || true").stdout.strip()
        assert state in {"disabled", "static"}, f"{unit}: {state}"
    assert systemd_links(installed) == ""
    assert asked_of_systemd(installed) == []


def test_config_folder_is_root_only_with_the_examples_as_conffiles(installed):
    modes = installed.run(
        "stat -c '%n %a %U:%G' /etc/wazo-rec-tools /etc/wazo-rec-tools/credentials "
        "/etc/wazo-rec-tools/config.yml /etc/wazo-rec-tools/policy.yml"
    ).stdout.splitlines()
    conffiles = installed.run("dpkg-query -W -f='${Conffiles}' wazo-rec-tools").stdout

    assert modes == [
        "/etc/wazo-rec-tools 750 root:wazo-rec-tools",
        "/etc/wazo-rec-tools/credentials 700 root:root",
        "/etc/wazo-rec-tools/config.yml 644 root:root",
        "/etc/wazo-rec-tools/policy.yml 644 root:root",
    ]
    assert sorted(line.split()[0] for line in conffiles.splitlines() if line.strip()) == [
        "/etc/wazo-rec-tools/config.yml",
        "/etc/wazo-rec-tools/policy.yml",
    ]
    for name in ("config", "policy"):
        shipped = installed.run(f"cat /etc/wazo-rec-tools/{name}.yml").stdout
        assert shipped == (REPO / f"{name}.example.yml").read_text()


def test_the_units_user_can_read_the_configuration_and_not_the_secrets(installed):
    # the units run as wazo-rec-tools (User= with DynamicUser=): it reads config and policy
    config = installed.run(
        "runuser -u wazo-rec-tools -- wazo-rec -c /etc/wazo-rec-tools/config.yml validate"
    )
    assert "/etc/wazo-rec-tools/policy.yml: valid" in config.stdout
    secrets = installed.run(
        "runuser -u wazo-rec-tools -- ls /etc/wazo-rec-tools/credentials", check=False
    )
    assert secrets.returncode != 0 and "Permission denied" in secrets.stderr


def test_bash_completion_completes_subcommands(installed):
    result = installed.run(
        "_WAZO_REC_COMPLETE=bash_complete COMP_WORDS='wazo-rec exp' COMP_CWORD=1 wazo-rec; "
        "bash -c '. /usr/share/bash-completion/completions/wazo-rec && complete -p wazo-rec'"
    )

    assert "plain,export" in result.stdout
    assert "-F _wazo_rec_completion wazo-rec" in result.stdout


def test_man_page_and_reference_cover_every_command(installed):
    page = installed.run("zcat /usr/share/man/man1/wazo-rec.1.gz").stdout
    reference = installed.run("zcat /usr/share/doc/wazo-rec-tools/reference.txt.gz").stdout

    for command in ["export run", "export setup", "apply", "plan", "recordings download"]:
        assert ".SS wazo\\-rec " + command in page
        assert f"$ wazo-rec {command} --help" in reference
    assert installed.exists("/usr/share/doc/wazo-rec-tools/copyright")
    assert installed.exists("/usr/share/doc/wazo-rec-tools/changelog.gz")


TRUSTED_BUNDLE = """
import os, ssl
import requests.utils
bundle = requests.utils.DEFAULT_CA_BUNDLE_PATH
ssl.create_default_context(cafile=bundle)  # loads, and is not empty
print(os.path.realpath(bundle))
"""


def test_https_trusts_the_system_certificate_store(installed):
    result = installed.run(f"/opt/wazo-rec-tools/bin/python3 -c {shlex.quote(TRUSTED_BUNDLE)}")

    assert result.stdout.strip() == "/etc/ssl/certs/ca-certificates.crt"


def test_byte_code_is_compiled_at_install_for_the_installed_paths(installed):
    result = installed.run(
        "/opt/wazo-rec-tools/bin/python3 -c 'import wazo_rec_tools.cli as m; print(m.__cached__)'"
        " && find /opt/wazo-rec-tools -name '*.pyc' | wc -l"
    )
    cached, count = result.stdout.split()

    assert cached.startswith("/opt/wazo-rec-tools/lib/python3.11/site-packages/wazo_rec_tools/")
    assert installed.exists(cached)
    assert int(count) > 100


# --- life cycle (a fresh root each) ---------------------------------------------------------


def test_remove_keeps_config_and_state_and_purge_keeps_every_delivered_archive(debian, debs):
    debian.install(debs["wazo-rec-tools"])
    export_against_sandbox(
        debian, "file:///var/lib/wazo-rec-tools/archives", "file:///srv/recordings"
    )
    debian.run("systemctl enable wazo-rec-export.timer")
    debian.run("echo '# edited' >>/etc/wazo-rec-tools/config.yml")
    outside = listing(debian, "/srv/recordings")
    inside = listing(debian, "/var/lib/wazo-rec-tools")
    assert ".zip" in outside
    assert ".zip" in inside

    debian.run("apt-get remove -y -q wazo-rec-tools", systemd=True)

    for gone in ["/opt/wazo-rec-tools", "/usr/bin/wazo-rec"] + [
        f"/lib/systemd/system/{unit}" for unit in UNITS
    ]:
        assert not debian.exists(gone), gone
    assert debian.run("tail -1 /etc/wazo-rec-tools/config.yml").stdout == "# edited\n"
    for kept in ["policy.yml", "refresh-token", "credentials"]:
        assert debian.exists(f"/etc/wazo-rec-tools/{kept}"), kept
    assert listing(debian, "/var/lib/wazo-rec-tools") == inside
    assert listing(debian, "/srv/recordings") == outside
    asked = asked_of_systemd(debian)
    assert asked, "removal should stop the units"
    assert all(line.split()[-1] == "stop" for line in asked), asked
    assert package_state(debian) == "rc "

    purge = debian.run("apt-get purge -y -q wazo-rec-tools 2>&1", systemd=True)

    assert not debian.exists("/etc/wazo-rec-tools")
    assert systemd_links(debian) == ""
    assert "kept /var/lib/wazo-rec-tools" in purge.stdout
    assert listing(debian, "/var/lib/wazo-rec-tools") == inside
    assert listing(debian, "/srv/recordings") == outside
    assert package_state(debian) in {"", "un "}


def test_purge_removes_a_state_folder_that_holds_only_the_journal(debian, debs):
    debian.install(debs["wazo-rec-tools"])
    export_against_sandbox(debian, "file:///srv/recordings")
    # as systemd's DynamicUser= leaves it: the folder in private/, a link in /var/lib
    debian.run(
        "mkdir -p /var/lib/private && mv /var/lib/wazo-rec-tools /var/lib/private/ && "
        "ln -s private/wazo-rec-tools /var/lib/wazo-rec-tools && "
        "test -f /var/lib/wazo-rec-tools/journal.sqlite3"
    )
    outside = listing(debian, "/srv/recordings")
    assert ".zip" in outside

    debian.run("apt-get purge -y -q wazo-rec-tools", systemd=True)

    assert not debian.exists("/var/lib/wazo-rec-tools")
    assert not debian.exists("/var/lib/private/wazo-rec-tools")
    assert not debian.exists("/etc/wazo-rec-tools")
    assert listing(debian, "/srv/recordings") == outside


def previous_version_of(deb: Path, where: Path) -> Path:
    """The same package with a lower version: what an upgrade starts from."""
    tree = where / "previous"
    subprocess.run(["dpkg-deb", "-R", str(deb), str(tree)], check=True)
    control = tree / "DEBIAN/control"
    version = re.search(r"^Version: (.+)$", control.read_text(), re.M)[1]
    control.write_text(
        control.read_text().replace(f"Version: {version}", f"Version: {version}~prev1")
    )
    target = where / f"wazo-rec-tools_{version}~prev1.deb"
    subprocess.run(
        ["dpkg-deb", "--root-owner-group", "--build", str(tree), str(target)],
        check=True,
        capture_output=True,
    )
    return target


def test_upgrade_keeps_enabled_timers_enabled_restarts_nothing_and_keeps_the_journal(
    debian, debs, tmp_path
):
    debian.install(previous_version_of(debs["wazo-rec-tools"], tmp_path))
    export_against_sandbox(debian, "file:///var/lib/wazo-rec-tools/archives")
    debian.run("systemctl enable wazo-rec-export.timer")
    debian.run("echo '# edited' >>/etc/wazo-rec-tools/config.yml")
    before = debian.run("wazo-rec -c /root/stack.yml export status --output json").stdout

    debian.install(debs["wazo-rec-tools"])

    assert not debian.run("dpkg-query -W -f='${Version}' wazo-rec-tools").stdout.endswith("~prev1")
    assert debian.run("systemctl is-enabled wazo-rec-export.timer").stdout.strip() == "enabled"
    sync = debian.run("systemctl is-enabled wazo-rec-sync.timer || true").stdout.strip()
    assert sync == "disabled"
    assert asked_of_systemd(debian) == []  # neither the install nor the upgrade
    assert debian.run("tail -1 /etc/wazo-rec-tools/config.yml").stdout == "# edited\n"
    # The new version reads (and would migrate) the journal the old one wrote.
    assert '"delivered"' in before
    assert debian.run("wazo-rec -c /root/stack.yml export status --output json").stdout == before


# --- the package files themselves -----------------------------------------------------------


def test_lintian_reports_no_error_or_warning(debs):
    result = subprocess.run(
        ["lintian", "--fail-on", "none", *map(str, debs.values())],
        capture_output=True,
        text=True,
        check=True,
    )
    problems = [line for line in result.stdout.splitlines() if line[:2] in {"E:", "W:"}]
    assert problems == []


def test_depends_names_only_packages_of_this_machines_debian_registry(debs):
    depends = subprocess.run(
        ["dpkg-deb", "-f", str(debs["wazo-rec-tools"]), "Depends"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    names = [re.match(r"\s*([a-z0-9.+-]+)", dep)[1] for dep in depends.split(",")]

    assert {"python3.11", "systemd"} <= set(names)
    for name in names:
        policy = subprocess.run(["apt-cache", "policy", name], capture_output=True, text=True)
        assert re.search(r"Candidate: (?!\(none\))", policy.stdout), f"{name}: not in the registry"


def declared_extras() -> list[str]:
    setup = configparser.ConfigParser()
    setup.read(REPO / "setup.cfg")
    if not setup.has_section("options.extras_require"):
        return []
    return [name for name in setup["options.extras_require"] if name not in NOT_EXTRAS]


EVERY_EXTRA_INSTALLED = """
import importlib.metadata as metadata, re
missing = []
for requirement in metadata.requires("wazo-rec-tools") or []:
    extra = re.search(r"extra == .([A-Za-z0-9_-]+)", requirement)
    if extra and extra[1] not in NOT_EXTRAS:
        name = re.match(r"[A-Za-z0-9._-]+", requirement)[0]
        try:
            metadata.distribution(name)
        except metadata.PackageNotFoundError:
            missing.append(requirement)
print(missing)
"""


def test_optional_extras_come_as_a_second_package_adding_their_distributions(debs, debian):
    if not declared_extras():
        assert "wazo-rec-tools-extras" not in debs
        return
    debian.install(debs["wazo-rec-tools"], debs["wazo-rec-tools-extras"])
    check = shlex.quote(f"NOT_EXTRAS = {sorted(NOT_EXTRAS)!r}\n" + EVERY_EXTRA_INSTALLED)

    assert debian.run(f"/opt/wazo-rec-tools/bin/python3 -c {check}").stdout.strip() == "[]"
    debian.run("apt-get remove -y -q wazo-rec-tools-extras && wazo-rec --version")
    leftover = debian.run("find /opt/wazo-rec-tools -name '*.pyc' | wc -l").stdout
    assert int(leftover) > 100  # the core's byte code stays; the extras' went with them
