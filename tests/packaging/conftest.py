"""Fixtures for the Debian package tests: the built packages and fresh Debian 12 roots."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.packaging.debroot import REPO, DebianRoot, pristine_root


@pytest.fixture(scope="session")
def debs(tmp_path_factory) -> dict[str, Path]:
    """scripts/build-deb, run once per session into a folder of its own."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([str(REPO / "scripts/build-deb"), "--out", str(out)], check=True)
    built = {p.name.split("_")[0]: p for p in out.glob("*.deb")}
    assert "wazo-rec-tools" in built, f"no wazo-rec-tools package in {sorted(built)}"
    return built


@pytest.fixture(scope="session")
def pristine() -> Path:
    return pristine_root()


@pytest.fixture
def debian(pristine, tmp_path) -> Iterator[DebianRoot]:
    """A fresh Debian 12 root, nothing of the package in it yet."""
    root = DebianRoot(pristine, tmp_path)
    try:
        yield root
    finally:
        root.remove()


@pytest.fixture(scope="module")
def installed(pristine, debs, tmp_path_factory) -> Iterator[DebianRoot]:
    """One fresh root with the package installed by apt, shared by read-only tests."""
    root = DebianRoot(pristine, tmp_path_factory.mktemp("installed"))
    try:
        root.install(debs["wazo-rec-tools"])
        yield root
    finally:
        root.remove()
