"""Lays out the package roots around the staged venv(s) and packs them with dpkg-deb.

Called by scripts/build-deb once the venv is built; run with the build machine's Python (it
only copies, templates and calls dpkg tools). One package root per directory of `--work`:
`wazo-rec-tools` (the tool, units, configuration, documentation) and, when setup.cfg has
optional extras, `wazo-rec-tools-extras` (the distributions those extras add to the venv).
"""

from __future__ import annotations

import argparse
import email.parser
import gzip
import hashlib
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORE = "wazo-rec-tools"
EXTRAS = "wazo-rec-tools-extras"
UNIT_SUFFIXES = (".service", ".timer", ".socket", ".path", ".target")
CONFFILES = {"config.yml": "config.example.yml", "policy.yml": "policy.example.yml"}
DOC_COMPRESS_OVER = 4096  # bytes, as dh_compress does

DESCRIPTION = {
    CORE: (
        "call-recording policy, weekly export and admin commands for Wazo\n"
        " wazo-rec manages call recording on a Wazo Platform stack: a declarative\n"
        " recording policy (plan/apply against wazo-confd), a weekly export of the\n"
        " recordings from wazo-call-logd with a journal, run from systemd timers, and\n"
        " admin commands for recordings, retention, live calls and tokens.\n"
        " .\n"
        " The tool and its Python dependencies live in a virtualenv in\n"
        " /opt/wazo-rec-tools, built against Debian's Python 3.11."
    ),
    EXTRAS: (
        "optional extras of wazo-rec-tools\n"
        "The Python distributions of the wazo-rec-tools extras ({extras}), added to "
        "the virtualenv in /opt/wazo-rec-tools: what cloud and remote storage "
        "destinations, notifications and the sandbox's TLS need."
    ),
}


def run(*args: str, **kwargs) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True, **kwargs).stdout


def maintainer(src: Path) -> str:
    """DEBFULLNAME/DEBEMAIL as dch uses them, else the author of the commit built."""
    name, mail = os.environ.get("DEBFULLNAME"), os.environ.get("DEBEMAIL")
    if name and mail:
        return f"{name} <{mail}>"
    return run("git", "-C", str(src), "log", "-1", "--format=%an <%ae>").strip()


def normalize_modes(root: Path) -> None:
    """Files 0644 or 0755 (if executable at all), folders 0755: wheels carry odd modes."""
    for path in [root, *root.rglob("*")]:
        if path.is_symlink():
            continue
        if path.is_dir():
            path.chmod(0o755)
        else:
            path.chmod(0o755 if path.stat().st_mode & 0o111 else 0o644)


def gzip_file(source: Path, target: Path) -> None:
    # mtime=0 and no name in the header, like gzip -9n: the same input gives the same bytes
    with (
        source.open("rb") as raw,
        target.open("wb") as out,
        gzip.GzipFile(filename="", mode="wb", fileobj=out, compresslevel=9, mtime=0) as gz,
    ):
        shutil.copyfileobj(raw, gz)


def install_doc(source: Path, doc: Path, name: str | None = None) -> None:
    target = doc / (name or source.name)
    if source.stat().st_size > DOC_COMPRESS_OVER:
        gzip_file(source, target.with_name(target.name + ".gz"))
    else:
        shutil.copyfile(source, target)


def changelog(package: str, version: str, who: str, src: Path) -> str:
    date = run("git", "-C", str(src), "log", "-1", "--format=%aD").strip()
    commit = run("git", "-C", str(src), "rev-parse", "--short=12", "HEAD").strip()
    return (
        f"{package} ({version}) bookworm; urgency=medium\n\n"
        f"  * wazo-rec-tools {version}, built from commit {commit}.\n\n"
        f" -- {who}  {date}\n"
    )


def license_of(metadata: email.message.Message) -> str:
    if metadata.get("License-Expression"):
        return metadata["License-Expression"]
    classifiers = [
        c.split("::")[-1].strip()
        for c in metadata.get_all("Classifier") or []
        if c.startswith("License ::")
    ]
    if classifiers:
        return ", ".join(classifiers)
    text = (metadata.get("License") or "").strip()
    return text if text and "\n" not in text and len(text) < 80 else "see its license file"


def bundled(prefix_root: Path) -> list[str]:
    lines = []
    for meta in sorted(prefix_root.glob("lib/python*/site-packages/*.dist-info/METADATA")):
        message = email.parser.Parser().parsestr(meta.read_text(errors="replace"))
        lines.append(
            f" {message['Name']} {message['Version']}: {license_of(message)}"
            f" ({meta.parent.relative_to(prefix_root.parent.parent)})"
        )
    return lines


def copyright_text(package: str, root: Path, prefix: str, src: Path) -> str:
    year = run("git", "-C", str(src), "log", "-1", "--format=%ad", "--date=format:%Y").strip()
    head = (
        "wazo-rec-tools: call-recording policy, weekly export and admin commands for Wazo.\n\n"
        f"Copyright {year} the wazo-rec-tools authors.\n"
        "License: GPL-3.0-or-later. On Debian systems the complete text of the GNU General\n"
        "Public License version 3 is in /usr/share/common-licenses/GPL-3.\n"
    )
    if package != CORE:
        head = f"{package}: the optional extras of wazo-rec-tools.\n\n" + head.split("\n\n", 1)[1]
    listing = bundled(root / prefix.lstrip("/"))
    return (
        head + "\nThis package also bundles these Python distributions, each under its own license;"
        "\nthe license files are in the .dist-info folder named after each:\n\n"
        + "\n".join(listing)
        + "\n"
    )


def shlibs_depends(root: Path) -> str:
    """dpkg-shlibdeps over the compiled modules of the venv (pydantic-core, PyYAML...)."""
    objects = [p for p in root.rglob("*.so*") if p.is_file() and not p.is_symlink()]
    if not objects:
        return ""
    private = sorted({str(p.parent) for p in root.rglob("*.libs/*.so*")})
    work = root.parent / f"shlibs-{root.name}"
    (work / "debian").mkdir(parents=True, exist_ok=True)
    (work / "debian" / "control").write_text(
        f"Source: {root.name}\n\nPackage: {root.name}\nArchitecture: any\n"
    )
    out = run(
        "dpkg-shlibdeps",
        "-O",
        "--ignore-missing-info",
        *(f"-l{p}" for p in private),
        *(f"-e{p}" for p in objects),
        cwd=work,
    )
    for line in out.splitlines():
        if line.startswith("shlibs:Depends="):
            return line.split("=", 1)[1]
    return ""


def md5sums(root: Path, conffiles: list[str]) -> str:
    lines = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith("DEBIAN/") or path.is_symlink() or not path.is_file():
            continue
        if "/" + rel in conffiles:
            continue  # dpkg keeps its own checksums of conffiles
        lines.append(f"{hashlib.md5(path.read_bytes()).hexdigest()}  {rel}\n")
    return "".join(lines)


def installed_size(root: Path) -> int:
    total = 0
    for path in root.rglob("*"):
        if path.relative_to(root).parts[0] == "DEBIAN":
            continue
        total += 1 if path.is_symlink() or path.is_dir() else (path.stat().st_size + 1023) // 1024
    return total


def control(
    package: str,
    version: str,
    arch: str,
    who: str,
    depends: list[str],
    size: int,
    extras: list[str],
) -> str:
    synopsis, body = DESCRIPTION[package].format(extras=", ".join(extras)).split("\n", 1)
    if not body.startswith(" "):  # one paragraph to fill
        body = "\n".join(" " + line for line in textwrap.wrap(body, 76))
    description = f"{synopsis}\n{body}"
    return (
        f"Package: {package}\n"
        f"Version: {version}\n"
        f"Architecture: {arch}\n"
        f"Maintainer: {who}\n"
        f"Installed-Size: {size}\n"
        f"Depends: {', '.join(d for d in depends if d)}\n"
        + (f"Suggests: {EXTRAS}\n" if package == CORE and extras else "")
        + "Section: admin\n"
        "Priority: optional\n"
        f"Description: {description}\n"
    )


def maintscript(package: str, name: str, units: list[str], python: str) -> str:
    template = HERE / (name if package == CORE else f"extras.{name}")
    text = template.read_text().replace("@UNITS@", " ".join(units)).replace("@PACKAGE@", package)
    return text.replace("@PYC_TAG@", "cpython-" + python.replace(".", ""))


def lay_out_core(root: Path, src: Path, prefix: str) -> tuple[list[str], list[str]]:
    """Everything around the venv; returns (units, conffiles)."""
    units_dir = root / "lib/systemd/system"
    units_dir.mkdir(parents=True)
    units = sorted(p.name for p in (src / "systemd").iterdir() if p.suffix in UNIT_SUFFIXES)
    for unit in units:
        shutil.copyfile(src / "systemd" / unit, units_dir / unit)
    (root / "usr/bin").mkdir(parents=True)
    (root / "usr/bin/wazo-rec").symlink_to(f"{prefix}/bin/wazo-rec")
    etc = root / "etc/wazo-rec-tools"
    etc.mkdir(parents=True)
    for name, example in CONFFILES.items():
        shutil.copyfile(src / example, etc / name)
    doc = root / "usr/share/doc" / CORE
    doc.mkdir(parents=True, exist_ok=True)
    install_doc(src / "README.md", doc)
    for page in sorted((src / "docs").glob("*.md")):
        install_doc(page, doc)
    reference = doc / "reference.txt"
    if reference.stat().st_size > DOC_COMPRESS_OVER:
        gzip_file(reference, doc / "reference.txt.gz")
        reference.unlink()
    man = root / "usr/share/man/man1/wazo-rec.1"
    gzip_file(man, man.with_name("wazo-rec.1.gz"))
    man.unlink()
    overrides = root / "usr/share/lintian/overrides"
    overrides.mkdir(parents=True)
    shutil.copyfile(HERE / "lintian-overrides", overrides / CORE)
    return units, [f"/etc/wazo-rec-tools/{name}" for name in CONFFILES]


def build(
    package: str,
    root: Path,
    args: argparse.Namespace,
    who: str,
    extras: list[str],
    units: list[str],
    conffiles: list[str],
) -> Path:
    doc = root / "usr/share/doc" / package
    doc.mkdir(parents=True, exist_ok=True)
    (doc / "copyright").write_text(copyright_text(package, root, args.prefix, args.src))
    (doc / "changelog").write_text(changelog(package, args.version, who, args.src))
    gzip_file(doc / "changelog", doc / "changelog.gz")
    (doc / "changelog").unlink()
    if package == EXTRAS:
        overrides = root / "usr/share/lintian/overrides"
        overrides.mkdir(parents=True)
        shutil.copyfile(HERE / "lintian-overrides.extras", overrides / EXTRAS)
    normalize_modes(root)
    if package == CORE:
        (root / "etc/wazo-rec-tools").chmod(0o750)

    depends = (
        [
            f"python{args.python}",
            "ca-certificates",
            "tzdata",
            "systemd",
            "init-system-helpers (>= 1.54~)",
            "adduser",  # postinst: the system user the units run as
        ]
        if package == CORE
        else [f"{CORE} (= {args.version})"]
    )
    depends.append(shlibs_depends(root))
    debian = root / "DEBIAN"
    debian.mkdir()
    size = installed_size(root)
    (debian / "control").write_text(
        control(package, args.version, args.arch, who, depends, size, extras)
    )
    (debian / "md5sums").write_text(md5sums(root, conffiles))
    if conffiles:
        (debian / "conffiles").write_text("".join(f"{c}\n" for c in conffiles))
    for name in ("postinst", "prerm", "postrm") if package == CORE else ("postinst", "prerm"):
        (debian / name).write_text(maintscript(package, name, units, args.python))
        (debian / name).chmod(0o755)
    for path in debian.iterdir():
        if path.name not in {"postinst", "prerm", "postrm"}:
            path.chmod(0o644)
    target = args.out / f"{package}_{args.version}_{args.arch}.deb"
    run("dpkg-deb", "--root-owner-group", "-Zxz", "--build", str(root), str(target))
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--version", required=True)
    parser.add_argument("--arch", required=True)
    parser.add_argument("--python", required=True)
    parser.add_argument("--extras", default="")
    args = parser.parse_args()
    extras = args.extras.split()
    who = maintainer(args.src)

    # Only this build's packages in --out, so that `apt install ./dist/wazo-rec-tools_*.deb`
    # names one version, and a build without extras leaves no stale second package.
    for package in (CORE, EXTRAS):
        for old in args.out.glob(f"{package}_*.deb"):
            old.unlink()
    built = []
    units, conffiles = lay_out_core(args.work / CORE, args.src, args.prefix)
    built.append(build(CORE, args.work / CORE, args, who, extras, units, conffiles))
    if extras:
        built.append(build(EXTRAS, args.work / EXTRAS, args, who, extras, [], []))
    for deb in built:
        size = deb.stat().st_size
        print(f"{deb}  {size / 1e6:.1f} MB", file=sys.stderr)


if __name__ == "__main__":
    main()
