"""A throw-away Debian 12 root for the package tests, copied from the pristine cached one.

`scripts/setup-deb-test` makes the pristine root once (debootstrap from this machine's apt
registry). Every `DebianRoot` is a fresh copy of it. Commands run chrooted, each in its own
private mount namespace: /proc, /sys, /dev and /run are mounted there and vanish with the
namespace when the command ends, however it ends, so nothing stays mounted under the copy.
Without `network=True` the namespace has its own network too, with loopback only.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# chroot, mounts and a copy that keeps owners need root; scripts/test runs as root or with sudo
SUDO = [] if os.geteuid() == 0 else ["sudo", "-n"]
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# Refuses every service start or restart a maintainer script asks for, and notes it.
POLICY_RC_D = """#!/bin/sh
echo "$*" >>/var/log/policy-rc.d.log
exit 101
"""


def pristine_root() -> Path:
    """The cached pristine root (made on first use; `scripts/test` makes it beforehand)."""
    out = subprocess.run(
        [str(REPO / "scripts/setup-deb-test")], check=True, capture_output=True, text=True
    )
    return Path(out.stdout.strip().splitlines()[-1])


def mounts_under(path: Path) -> list[str]:
    resolved = str(path.resolve())
    with open("/proc/self/mountinfo") as info:
        points = [line.split()[4] for line in info]
    return [p for p in points if p == resolved or p.startswith(resolved + "/")]


class DebianRoot:
    def __init__(self, pristine: Path, where: Path):
        self.path = where / "root"
        self.apt_cache = pristine.parent / "apt-archives"  # downloads only, shared by copies
        subprocess.run([*SUDO, "mkdir", "-p", str(self.apt_cache / "partial")], check=True)
        subprocess.run(
            [*SUDO, "cp", "-a", "--reflink=auto", str(pristine), str(self.path)], check=True
        )
        self.put("/usr/sbin/policy-rc.d", POLICY_RC_D, 0o755)
        self.put("/etc/resolv.conf", Path("/etc/resolv.conf").read_text(), 0o644)

    def put(self, path: str, text: str, mode: int) -> None:
        """Write a file into the root, as root."""
        target = str(self.path / path.lstrip("/"))
        subprocess.run([*SUDO, "rm", "-f", target], check=True)  # never write through a link
        subprocess.run(
            [*SUDO, "tee", target], input=text, text=True, check=True, stdout=subprocess.DEVNULL
        )
        subprocess.run([*SUDO, "chmod", f"{mode:o}", target], check=True)

    def run(
        self,
        script: str,
        *,
        network: bool = False,
        systemd: bool = False,
        check: bool = True,
        timeout: int = 900,
    ) -> subprocess.CompletedProcess:
        """`script` (sh) run as root in the chroot, no terminal, a clean environment.

        `systemd=True` makes the root look booted with systemd (/run/systemd/system), so that
        maintainer scripts ask for starts and stops as on a real stack; policy-rc.d refuses
        and logs each request.
        """
        root = shlex.quote(str(self.path))
        setup = [
            f"mount -t proc proc {root}/proc",
            f"mount -t sysfs sysfs {root}/sys",
            f"mount --rbind /dev {root}/dev",
            f"mount -t tmpfs -o mode=0755 tmpfs {root}/run",
            *([f"mkdir -p {root}/run/systemd/system"] if systemd else []),
            f"mount --bind {shlex.quote(str(self.apt_cache))} {root}/var/cache/apt/archives",
        ]
        if not network:
            setup.append("ip link set lo up")
        inner = (
            f"exec chroot {root} /usr/bin/env -i PATH={PATH} HOME=/root LANG=C.UTF-8 "
            f"DEBIAN_FRONTEND=noninteractive /bin/sh -ec {shlex.quote(script)}"
        )
        command = [*SUDO, "unshare", "--mount", "--propagation", "private"]
        if not network:
            command.append("--net")
        command += ["sh", "-ec", " && ".join([*setup, inner])]
        result = subprocess.run(
            command,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"exit {result.returncode} in the Debian root:\n$ {script}\n"
                f"--- stdout\n{result.stdout[-6000:]}\n--- stderr\n{result.stderr[-6000:]}"
            )
        return result

    def install(self, *debs: Path) -> subprocess.CompletedProcess:
        """`apt-get install ./x.deb` from the registry, as an admin would."""
        inside = []
        for deb in debs:
            subprocess.run([*SUDO, "cp", str(deb), str(self.path / "tmp" / deb.name)], check=True)
            inside.append(f"/tmp/{deb.name}")
        return self.run(
            "chown _apt:root /var/cache/apt/archives/partial && "
            "apt-get update -qq && apt-get install -y -q --no-install-recommends "
            "-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "
            + " ".join(inside),
            network=True,
            systemd=True,
        )

    def exists(self, path: str) -> bool:
        return (self.path / path.lstrip("/")).exists() or (
            self.path / path.lstrip("/")
        ).is_symlink()

    def remove(self) -> None:
        leftover = mounts_under(self.path)
        assert not leftover, f"still mounted under the Debian root: {leftover}"
        subprocess.run([*SUDO, "rm", "-rf", "--one-file-system", str(self.path)], check=True)
