"""Build an offline conda channel, for the test base image that stands in for a conda base image.

Run inside that image (`python conda_channel.py CHANNEL_DIR`) with py-rattler importable. No
conda channel is reachable from these machines, so every package is made here, in the real conda
package format (`.tar.bz2` with `info/index.json`, `info/paths.json`, `info/link.json`), and the
channel is indexed by rattler (the library behind pixi and conda-rattler-solver):

- `python`: wraps the image's own interpreter as a venv-style prefix (`pyvenv.cfg` and `bin/python`
  linked to it). A real channel ships a relocatable CPython build; none can be downloaded here.
- `pip`: Debian's pip wheel (the one `python3 -m venv` uses), as a noarch python package.
- `fidelity-probe`: a noarch python package that exists only in this channel, so importing it
  proves a package came through conda and not through pip.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import sys
import tarfile
import time
import zipfile
from pathlib import Path

PROBE_SOURCE = 'WHERE = "installed by the conda path from an offline local channel"\n'
TIMESTAMP_MS = 1_700_000_000_000  # fixed, so the channel is the same on each build


def _entry(path: str, data: bytes | None, link: str | None = None) -> dict[str, object]:
    if link is not None:
        return {"_path": path, "path_type": "softlink", "size_in_bytes": len(link)}
    assert data is not None
    return {
        "_path": path,
        "path_type": "hardlink",
        "sha256": hashlib.sha256(data).hexdigest(),
        "size_in_bytes": len(data),
    }


def write_package(
    subdir: Path,
    index: dict[str, object],
    files: dict[str, bytes],
    links: dict[str, str] | None = None,
    link_json: dict[str, object] | None = None,
) -> Path:
    """One `.tar.bz2` conda package in `subdir`, with the metadata conda and rattler read."""
    links = links or {}
    name = f"{index['name']}-{index['version']}-{index['build']}.tar.bz2"
    paths = [_entry(path, data) for path, data in sorted(files.items())]
    paths += [_entry(path, None, target) for path, target in sorted(links.items())]
    info = {
        "info/index.json": json.dumps(index, indent=2).encode(),
        "info/paths.json": json.dumps({"paths": paths, "paths_version": 1}, indent=2).encode(),
        "info/files": "".join(f"{p['_path']}\n" for p in paths).encode(),
    }
    if link_json is not None:
        info["info/link.json"] = json.dumps(link_json, indent=2).encode()
    subdir.mkdir(parents=True, exist_ok=True)
    with tarfile.open(subdir / name, "w:bz2") as archive:
        for path, data in sorted({**info, **files}.items()):
            member = tarfile.TarInfo(path)
            member.size, member.mode, member.mtime = len(data), 0o644, 0
            if path.startswith("bin/"):
                member.mode = 0o755
            archive.addfile(member, io.BytesIO(data))
        for path, target in sorted(links.items()):
            member = tarfile.TarInfo(path)
            member.type, member.linkname, member.mode = tarfile.SYMTYPE, target, 0o777
            archive.addfile(member)
    return subdir / name


def _noarch_index(name: str, version: str, depends: list[str]) -> dict[str, object]:
    return {
        "name": name,
        "version": version,
        "build": "py_0",
        "build_number": 0,
        "depends": depends,
        "noarch": "python",
        "subdir": "noarch",
        "license": "MIT",
        "timestamp": TIMESTAMP_MS,
    }


def python_package(channel: Path) -> Path:
    """`python` for linux-64: the image's interpreter behind a venv-style prefix."""
    version = "{}.{}.{}".format(*sys.version_info[:3])
    short = "{}.{}".format(*sys.version_info[:2])
    interpreter = str(Path(sys.base_prefix) / "bin" / f"python{short}")
    config = f"home = {Path(interpreter).parent}\ninclude-system-site-packages = false\n"
    config += f"version = {version}\n"
    index = {
        "name": "python",
        "version": version,
        "build": "fidelity_wrapper_0",
        "build_number": 0,
        "depends": [],
        "subdir": "linux-64",
        "arch": "x86_64",
        "platform": "linux",
        "license": "PSF-2.0",
        "timestamp": TIMESTAMP_MS,
    }
    # site-packages must exist for the venv to use it; conda packages carry no empty folders.
    files = {
        "pyvenv.cfg": config.encode(),
        f"lib/python{short}/site-packages/.fidelity-keep": b"",
    }
    links = {
        f"bin/python{short}": interpreter,
        "bin/python3": f"python{short}",
        "bin/python": f"python{short}",
    }
    return write_package(channel / "linux-64", index, files, links)


def wheel_package(channel: Path, wheel: Path, name: str, entry_points: list[str]) -> Path:
    """A noarch python conda package holding a wheel's files under `site-packages/`."""
    version = wheel.name.split("-")[1]
    with zipfile.ZipFile(wheel) as archive:
        files = {
            f"site-packages/{member}": archive.read(member)
            for member in archive.namelist()
            if not member.endswith("/")
        }
    link = {"noarch": {"type": "python", "entry_points": entry_points}}
    link["package_metadata_version"] = 1
    return write_package(
        channel / "noarch", _noarch_index(name, version, ["python"]), files, link_json=link
    )


def probe_package(channel: Path) -> Path:
    files = {"site-packages/fidelity_probe/__init__.py": PROBE_SOURCE.encode()}
    link = {"noarch": {"type": "python"}, "package_metadata_version": 1}
    index = _noarch_index("fidelity-probe", "1.0.0", ["python >=3.8"])
    return write_package(channel / "noarch", index, files, link_json=link)


def build_channel(channel: Path, pip_wheel: Path) -> list[Path]:
    from rattler.index import index_fs

    built = [
        python_package(channel),
        wheel_package(
            channel,
            pip_wheel,
            "pip",
            ["pip = pip._internal.cli.main:main", "pip3 = pip._internal.cli.main:main"],
        ),
        probe_package(channel),
    ]
    started = time.monotonic()
    asyncio.run(index_fs(channel, force=True))
    print(f"indexed {channel} in {time.monotonic() - started:.2f} s: {[p.name for p in built]}")
    return built


if __name__ == "__main__":
    wheels = sorted(Path("/usr/share/python-wheels").glob("pip-*.whl"))
    if not wheels:
        sys.exit("no pip wheel in /usr/share/python-wheels (Debian's python3-pip-whl)")
    build_channel(Path(sys.argv[1]), wheels[-1])
