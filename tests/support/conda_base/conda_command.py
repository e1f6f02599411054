"""A `conda` command for the test base image that stands in for a conda base image.

No conda distribution can be downloaded on these machines, so this command does the part of conda
that amldebug's conda branch calls, with rattler (py-rattler from PyPI, the conda-compatible solver
and installer behind pixi) doing the real work: solve the environment file's conda dependencies
against its channels, download and link the packages into the prefix (noarch python packages,
entry points and conda-meta records included), then run pip for the file's `pip:` section the way
conda does (`python -m pip install -U -r <file>`).

Supported: `conda env create [-q] -p PREFIX -f FILE`, `conda clean [-afy...]`, `conda --version`.
Anything else exits 2 and says so, so a test cannot pass on a command this stand-in ignores.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

CACHE = Path("/tmp/fidelity-conda-pkgs")
PLATFORMS = ["linux-64", "noarch"]
VERSION = "conda 0.0.0 (fidelity stand-in over rattler)"


def env_create(prefix: Path, environment_file: Path, quiet: bool) -> int:
    import rattler

    environment = yaml.safe_load(environment_file.read_text()) or {}
    channels = [str(channel) for channel in environment.get("channels") or []]
    channels = [channel for channel in channels if channel != "nodefaults"]
    specs: list[str] = []
    pip_requirements: list[str] = []
    for dependency in environment.get("dependencies") or []:
        if isinstance(dependency, dict):
            pip_requirements += [str(item) for item in dependency.get("pip") or []]
        else:
            specs.append(str(dependency))
    if not channels:
        print("CondaEnvException: the environment file names no channel", file=sys.stderr)
        return 1

    async def solve_and_install() -> int:
        records = await rattler.solve(sources=channels, specs=specs, platforms=PLATFORMS)
        await rattler.install(
            records,
            target_prefix=prefix,
            cache_dir=CACHE,
            show_progress=False,
        )
        return len(records)

    try:
        count = asyncio.run(solve_and_install())
    except Exception as error:  # rattler's solve/install errors: say them as conda would fail
        print(f"conda env create failed: {error}", file=sys.stderr)
        return 1
    if not quiet:
        print(f"Linked {count} packages into {prefix}")
    if pip_requirements:
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
            handle.write("".join(f"{line}\n" for line in pip_requirements))
        command = [str(prefix / "bin" / "python"), "-m", "pip", "install", "-U", "-r", handle.name]
        print("Installing pip dependencies:", " ".join(command))
        status = subprocess.call(command)
        Path(handle.name).unlink()
        if status != 0:
            print("CondaEnvException: Pip failed", file=sys.stderr)
            return 1
    return 0


def main(argv: list[str]) -> int:
    if argv in (["--version"], ["-V"]):
        print(VERSION)
        return 0
    if argv[:1] == ["clean"]:
        shutil.rmtree(CACHE, ignore_errors=True)
        return 0
    if argv[:2] == ["env", "create"]:
        parser = argparse.ArgumentParser(prog="conda env create")
        parser.add_argument("-p", "--prefix", required=True, type=Path)
        parser.add_argument("-f", "--file", required=True, type=Path)
        parser.add_argument("-q", "--quiet", action="store_true")
        arguments = parser.parse_args(argv[2:])
        return env_create(arguments.prefix, arguments.file, arguments.quiet)
    print(f"conda (fidelity stand-in): '{' '.join(argv)}' is not supported", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
