"""Build `amldebug/data/import_names.json` from real package metadata (run by hand, committed).

    python -m amldebug.analysis.import_table_build [--site-packages DIR] [--wheels DIR]

Sources, all read from metadata, nothing guessed:
- the distributions installed in the given environments (default: this interpreter's and
  /opt/amlinf, the inference server's environment used by the tests);
- wheels of a NAMED list of the Azure ML and common ML stack (`NAMED`, a few older releases in
  `OLDER_RELEASES` where a distribution changed what it is), fetched with
  `pip download --no-deps`, then the wheels of their dependencies (the dependency closure of that
  list on Linux, a bounded number of rounds; never a scan of the registry).

For each distribution the table keeps the import names it provides (from RECORD or the wheel's
file list: top-level modules, and the first regular package under a namespace package such as
`azure` or `azureml`) and, per release family, its Requires-Dist lines (markers and extras kept)
and Requires-Python. `KNOWN_WITHOUT_METADATA` covers the few distributions too big to download
(torch, tensorflow): import names only, dependencies unknown.
"""

from __future__ import annotations

import argparse
import email.parser
import json
import re
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

from packaging.markers import Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version

from amldebug.analysis.import_table_sources import (
    CONDA_ALIASES,
    KNOWN_WITHOUT_METADATA,
    NAMED,
    NAMESPACES,
    OLDER_RELEASES,
    PREFERRED,
    RUNTIME_IMPORTS,
)

OUTPUT = Path(__file__).resolve().parent.parent / "data" / "import_names.json"

# Folders some distributions ship by mistake: never treated as the import names they look like.
_NOT_IMPORT_NAMES = frozenset(
    {"tests", "test", "testing", "docs", "doc", "examples", "example", "benchmarks", "scripts"}
)
# Never downloaded as dependencies: GPU runtimes and frameworks of hundreds of megabytes.
_TOO_BIG = (
    "nvidia-",
    "jax",
    "tensorflow",
    "torch",
    "triton",
    "bitsandbytes",
    "deepspeed",
    "pyspark",
    "pyqt",
    "ray",
    "vllm",
    "xformers",
    "flash-attn",
    "tensorrt",
    "cupy",
)
_MAX_ROUNDS = 5
_MAX_DOWNLOADS = 450
_LINUX = {"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix"}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


# --- import names from a file list ---------------------------------------------------------


def import_names(files: Iterable[str], read: Callable[[str], bytes | None]) -> list[str]:
    """Import names in a distribution's file list (top level; first regular package under a
    namespace package). `read(path) -> bytes | None` gives a package's `__init__.py`."""
    modules: set[tuple[str, ...]] = set()
    packages: set[tuple[str, ...]] = set()
    for raw in files:
        path = raw.replace("\\", "/").lstrip("./")
        parts = tuple(path.split("/"))
        if not parts or any(p.endswith((".dist-info", ".egg-info", ".data")) for p in parts[:1]):
            continue
        if "__pycache__" in parts or parts[0].startswith(".."):
            continue
        leaf = parts[-1]
        stem = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)(?:\.[A-Za-z0-9_-]+)*\.(py|so|pyd|pyc)$", leaf)
        if stem is None:
            continue
        if stem.group(1) == "__init__":
            packages.add(parts[:-1])
        else:
            modules.add((*parts[:-1], stem.group(1)))
    names: set[str] = set()

    def is_namespace(prefix: tuple[str, ...]) -> bool:
        if ".".join(prefix) in NAMESPACES:
            return True
        if prefix not in packages:
            # A folder without __init__.py: an implicit namespace at the top (`azure/`), and below
            # it only while it holds sub-packages and no modules of its own (`azure/ai/`).
            return len(prefix) == 1 or not any(m[:-1] == prefix for m in modules)
        text = read("/".join((*prefix, "__init__.py"))) or b""
        # pkgutil/pkg_resources-style namespaces have a one-line __init__.py.
        return len(text) < 1000 and (b"extend_path" in text or b"declare_namespace" in text)

    for entry in sorted(packages | modules | _folders(packages | modules), key=len):
        if not all(re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", part) for part in entry):
            continue
        if entry[0] in _NOT_IMPORT_NAMES or entry[0] == "__init__":
            continue
        parents = [entry[:i] for i in range(1, len(entry))]
        if any(".".join(parent) in names for parent in parents):
            continue  # inside an already named package
        if not all(is_namespace(parent) for parent in parents):
            continue
        if is_namespace(entry) and entry not in modules:
            continue  # a namespace itself: the packages below it are named
        names.add(".".join(entry))
    public = {name for name in names if not any(p.startswith("_") for p in name.split("."))}
    names = public or names
    # Sub-modules of one package below an implicit namespace (`azureml/featurestore/x/`): the
    # package is the import name.
    common = _common_prefix([name.split(".") for name in names])
    if len(names) > 1 and len(common) >= 2 and ".".join(common) not in NAMESPACES:
        names = {".".join(common)}
    return sorted(names)


def _common_prefix(split: list[list[str]]) -> list[str]:
    if not split:
        return []
    prefix = split[0]
    for parts in split[1:]:
        length = 0
        while length < min(len(prefix), len(parts)) and prefix[length] == parts[length]:
            length += 1
        prefix = prefix[:length]
    return prefix


def _folders(entries: set[tuple[str, ...]]) -> set[tuple[str, ...]]:
    return {entry[:i] for entry in entries for i in range(1, len(entry))}


# --- one distribution's record --------------------------------------------------------------


def record(meta: email.message.Message, imports: list[str]) -> tuple[str, dict[str, Any]]:
    name = canonical(meta["Name"] or "")
    imports = sorted(set(imports) | set(RUNTIME_IMPORTS.get(name, ())))
    release = {
        "version": meta["Version"],
        "requires": sorted(set(meta.get_all("Requires-Dist") or [])),
        "requires_python": meta["Requires-Python"] or None,
    }
    return name, {"imports": imports, "release": release}


def from_installed(site_packages: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    for dist in metadata.distributions(path=[str(site_packages)]):
        files = [str(f) for f in dist.files or ()]
        root = site_packages

        def read(path: str, root: Path = root) -> bytes | None:
            try:
                return (root / path).read_bytes()
            except OSError:
                return None

        yield record(dist.metadata, import_names(files, read))  # type: ignore[arg-type]


def from_archive(path: Path) -> tuple[str, dict[str, Any]] | None:
    parser = email.parser.BytesParser()
    if path.suffix == ".whl":
        with zipfile.ZipFile(path) as wheel:
            names = wheel.namelist()
            meta_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
            meta = parser.parsebytes(wheel.read(meta_name))

            def read(inner: str) -> bytes | None:
                try:
                    return wheel.read(inner)
                except KeyError:
                    return None

            return record(meta, import_names(names, read))
    if path.name.endswith((".tar.gz", ".zip")):
        return _from_sdist(path)
    return None


def _from_sdist(path: Path) -> tuple[str, dict[str, Any]] | None:
    members: dict[str, bytes] = {}
    if path.name.endswith(".zip"):
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                if name.endswith(("PKG-INFO", "top_level.txt", "requires.txt", "__init__.py")):
                    members[name] = archive.read(name)
            listing = archive.namelist()
    else:
        with tarfile.open(path) as archive:
            listing = []
            for member in archive.getmembers():
                listing.append(member.name)
                if member.isfile() and member.name.endswith(
                    ("PKG-INFO", "top_level.txt", "requires.txt", "__init__.py")
                ):
                    handle = archive.extractfile(member)
                    members[member.name] = handle.read() if handle else b""
    pkg_info = min((n for n in members if n.endswith("PKG-INFO")), key=len, default=None)
    if pkg_info is None:
        return None
    meta = email.parser.BytesParser().parsebytes(members[pkg_info])
    top = next((v for n, v in members.items() if n.endswith(".egg-info/top_level.txt")), None)
    requires_txt = next(
        (v for n, v in members.items() if n.endswith(".egg-info/requires.txt")), b""
    )
    if not meta.get_all("Requires-Dist") and requires_txt:
        for line in _requires_txt(requires_txt.decode("utf-8", "replace")):
            meta["Requires-Dist"] = line
    strip = [name.split("/", 1)[1] for name in listing if "/" in name]
    strip = [name[4:] if name.startswith("src/") else name for name in strip]
    imports = [name for name in import_names(strip, members_reader(members)) if name != "setup"]
    if top is not None:
        # top_level.txt says which of the sdist's files are installed (not its tests, docs).
        tops = {line.strip() for line in top.decode().splitlines() if line.strip()}
        imports = [name for name in imports if name.split(".", 1)[0] in tops] or sorted(tops)
    return record(meta, imports)


def members_reader(members: dict[str, bytes]) -> Callable[[str], bytes | None]:
    def read(path: str) -> bytes | None:
        return next((v for n, v in members.items() if n.split("/", 1)[-1] == path), None)

    return read


def _requires_txt(text: str) -> Iterator[str]:
    """egg-info requires.txt (`[extra:marker]` sections) as Requires-Dist lines."""
    section = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        extra, _, marker = section.partition(":")
        conditions = [f'extra == "{extra}"'] if extra else []
        if marker:
            conditions.append(f"({marker})")
        yield line + ("; " + " and ".join(conditions) if conditions else "")


# --- dependencies to fetch next ---------------------------------------------------------------


def linux_dependencies(requires: Iterable[str], extras: Iterable[str] = ()) -> set[str]:
    """Names a release needs on Linux for some Python 3.8-3.13, with the given extras."""
    found: set[str] = set()
    for line in requires:
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        if requirement.marker is None or _marker_holds(requirement.marker, extras):
            found.add(canonical(requirement.name))
    return found


def _marker_holds(marker: Marker, extras: Iterable[str]) -> bool:
    for minor in range(8, 14):
        for extra in ("", *extras):
            environment = {
                **_LINUX,
                "python_version": f"3.{minor}",
                "python_full_version": f"3.{minor}.0",
                "platform_machine": "x86_64",
                "implementation_name": "cpython",
                "platform_python_implementation": "CPython",
                "extra": extra,
            }
            try:
                if marker.evaluate(environment):
                    return True
            except Exception:
                return True
    return False


def download(specs: list[str], into: Path) -> None:
    """`pip download --no-deps` each spec (batches; a batch that fails is retried one by one)."""
    for start in range(0, len(specs), 25):
        batch = specs[start : start + 25]
        if _pip_download(batch, into):
            continue
        for spec in batch:
            if not _pip_download([spec], into):
                print(f"  could not download {spec}", file=sys.stderr)


def _pip_download(specs: list[str], into: Path) -> bool:
    command = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(into)]
    done = subprocess.run([*command, *specs], capture_output=True, text=True, check=False)
    return done.returncode == 0


# --- the table --------------------------------------------------------------------------------


def _release_family(version: str) -> str:
    try:
        return str(Version(version).major)
    except InvalidVersion:
        return version


def merge(table: dict[str, dict], name: str, found: dict, *, pinned: bool = False) -> None:
    entry = table.setdefault(name, {"imports": [], "releases": []})
    entry["imports"] = sorted(set(entry["imports"]) | set(found["imports"]))
    release = found["release"]
    releases: list[dict] = entry["releases"]
    family = _release_family(release["version"])
    for index, other in enumerate(releases):
        if other["version"] == release["version"]:
            return
        if not pinned and not other.get("pinned") and _release_family(other["version"]) == family:
            if _newer(release["version"], other["version"]):
                releases[index] = release
            return
    releases.append({**release, "pinned": True} if pinned else release)


def _newer(one: str, other: str) -> bool:
    try:
        return Version(one) > Version(other)
    except InvalidVersion:
        return False


def build(environments: list[Path], wheels: Path) -> dict[str, Any]:
    table: dict[str, dict] = {}
    for site in environments:
        for name, found in from_installed(site):
            if name and name != "amldebug":
                merge(table, name, found)
    wheels.mkdir(parents=True, exist_ok=True)
    download(list(NAMED), wheels)
    download(list(OLDER_RELEASES), wheels)
    older = {canonical(spec.split("==")[0]): spec.split("==")[1] for spec in OLDER_RELEASES}
    seen_files: set[Path] = set()
    downloads = len(NAMED) + len(OLDER_RELEASES)
    for _round in range(_MAX_ROUNDS + 1):
        for archive in sorted(wheels.iterdir()):
            if archive in seen_files:
                continue
            seen_files.add(archive)
            try:
                parsed = from_archive(archive)
            except (OSError, zipfile.BadZipFile, tarfile.TarError, StopIteration) as problem:
                print(f"  skipped {archive.name}: {problem}", file=sys.stderr)
                continue
            if parsed is not None and parsed[0]:
                name, found = parsed
                merge(table, name, found, pinned=older.get(name) == found["release"]["version"])
        if _round == _MAX_ROUNDS:
            break
        wanted = _wanted(table)
        missing = sorted(
            name
            for name in wanted - set(table) - set(KNOWN_WITHOUT_METADATA)
            if not name.startswith(_TOO_BIG)
        )
        missing = missing[: max(0, _MAX_DOWNLOADS - downloads)]
        if not missing:
            break
        print(f"round {_round + 1}: {len(missing)} dependencies to fetch", file=sys.stderr)
        downloads += len(missing)
        download(missing, wheels)
    for name, imports in KNOWN_WITHOUT_METADATA.items():
        table.setdefault(name, {"imports": imports, "releases": None})
    return {
        "about": (
            "Generated by `python -m amldebug.analysis.import_table_build` from installed "
            "distributions and wheels of a named list; do not edit by hand."
        ),
        "preferred": PREFERRED,
        "aliases": CONDA_ALIASES,
        "distributions": {name: _compact(name, table[name]) for name in sorted(table)},
    }


def _wanted(table: dict[str, dict]) -> set[str]:
    """Every dependency of the table's releases on Linux, with the extras that are asked for
    (`requests[socks]`), and all extras of the Azure stack (azureml-sdk[automl],
    azureml-featurestore[online]); other libraries' extras would pull in every framework they
    can talk to."""
    requested: dict[str, set[str]] = {}
    for entry in table.values():
        for release in entry["releases"] or ():
            for line in release["requires"]:
                try:
                    requirement = Requirement(line)
                except InvalidRequirement:
                    continue
                if requirement.extras:
                    requested.setdefault(canonical(requirement.name), set()).update(
                        requirement.extras
                    )
    wanted: set[str] = set()
    for name, entry in table.items():
        azure = name.startswith(("azureml-", "azure-"))
        for release in entry["releases"] or ():
            extras = set(_extras(release["requires"])) if azure else set()
            extras |= requested.get(name, set())
            wanted |= linux_dependencies(release["requires"], sorted(extras))
    return wanted


def _extras(requires: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({m for line in requires for m in re.findall(r'extra == "([^"]+)"', line)}))


def _compact(name: str, entry: dict) -> dict[str, Any]:
    """Leave out what the reader can assume: the import name equal to the distribution's."""
    compact: dict[str, Any] = {}
    if entry["imports"] != [name.replace("-", "_")]:
        compact["imports"] = entry["imports"]
    if entry["releases"] is None:
        compact["releases"] = None
        return compact
    releases = sorted(entry["releases"], key=lambda r: _sort_key(r["version"]), reverse=True)
    compact["releases"] = [
        {key: value for key, value in release.items() if value not in (None, [], False)}
        for release in releases
    ]
    return compact


def _sort_key(version: str) -> Version:
    try:
        return Version(version)
    except InvalidVersion:
        return Version("0")


def _default_environments() -> list[Path]:
    found = []
    for prefix in (Path(sys.prefix), Path("/opt/amlinf")):
        found.extend(sorted(prefix.glob("lib/python3*/site-packages")))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--site-packages", type=Path, action="append", default=None)
    parser.add_argument("--wheels", type=Path, default=None, help="download folder (kept)")
    parser.add_argument("--out", type=Path, default=OUTPUT)
    options = parser.parse_args(argv)
    environments = options.site_packages or _default_environments()
    with tempfile.TemporaryDirectory(prefix="amldebug-wheels-") as temporary:
        wheels = options.wheels or Path(temporary)
        table = build(environments, wheels)
    text = json.dumps(table, indent=None, separators=(",", ":"), sort_keys=True)
    options.out.write_text(text.replace('},"', '},\n"') + "\n", encoding="utf-8")
    count = len(table["distributions"])
    print(f"{options.out}: {count} distributions, {len(text)} bytes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
