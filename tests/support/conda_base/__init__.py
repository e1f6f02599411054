"""A local base image that has a `conda` command and an offline conda channel, for the tests of
amldebug's conda branch (no conda distribution nor channel is reachable from these machines).

The image is the usual test base image plus py-rattler (from PyPI) in its own venv, the channel
that `conda_channel.py` builds at CHANNEL_DIR, and `conda` on PATH (`conda_command.py`). What the
stand-in cannot be is said in those files' docstrings.
"""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
from pathlib import Path

from amldebug.containers.build import resolve_ca_bundle
from amldebug.containers.docker_engine import DockerEngine

HERE = Path(__file__).parent
CHANNEL_DIR = "/opt/fidelity-channel"
CHANNEL_URL = f"file://{CHANNEL_DIR}"
TOOL_DIR = "/opt/fidelity-conda"
RATTLER_REQUIREMENTS = ("py-rattler==0.28.0", "PyYAML==6.0.3")


def conda_base_dockerfile(base_image: str, *, with_ca: bool, index_url: str | None) -> str:
    pip_env = "PIP_DISABLE_PIP_VERSION_CHECK=1"
    if with_ca:
        pip_env += " PIP_CERT=/tmp/fidelity-ca.pem"
    if index_url:
        pip_env += f" PIP_INDEX_URL={index_url}"
    lines = [
        f"FROM {base_image}",
        "USER root",
        *(["COPY ca.pem /tmp/fidelity-ca.pem"] if with_ca else []),
        f"RUN python3 -m venv {TOOL_DIR} && {pip_env} {TOOL_DIR}/bin/python -m pip install "
        f"--no-cache-dir {' '.join(RATTLER_REQUIREMENTS)}; status=$?; "
        "rm -f /tmp/fidelity-ca.pem; exit $status",
        f"COPY conda_channel.py conda_command.py {TOOL_DIR}/",
        f"RUN {TOOL_DIR}/bin/python {TOOL_DIR}/conda_channel.py {CHANNEL_DIR}",
        f"RUN printf '#!/bin/sh\\nexec {TOOL_DIR}/bin/python {TOOL_DIR}/conda_command.py \"$@\"\\n'"
        " > /usr/local/bin/conda && chmod 755 /usr/local/bin/conda && conda --version",
    ]
    return "\n".join(lines) + "\n"


def build_conda_base(engine: DockerEngine, base_image: str, tag_prefix: str) -> str:
    """Build (or find) the conda base image; its tag names a hash of what went into it."""
    ca_bundle = resolve_ca_bundle("auto")
    dockerfile = conda_base_dockerfile(
        base_image,
        with_ca=ca_bundle is not None,
        index_url=os.environ.get("PIP_INDEX_URL") or None,
    )
    files = {
        "Dockerfile": dockerfile.encode(),
        "conda_channel.py": (HERE / "conda_channel.py").read_bytes(),
        "conda_command.py": (HERE / "conda_command.py").read_bytes(),
    }
    digest = hashlib.sha256(b"".join(files.values()) + engine.image_id(base_image).encode())
    tag = f"{tag_prefix}:{digest.hexdigest()[:12]}"
    if engine.image_exists(tag):
        return tag
    if ca_bundle is not None:
        files["ca.pem"] = ca_bundle.read_bytes()
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    context.seek(0)
    log: list[str] = []
    for chunk in engine.build(context, tag=tag):
        log.append(str(chunk.get("stream") or ""))
        if "error" in chunk:
            raise RuntimeError(
                f"the conda base image failed to build: {chunk['error']}\n" + "".join(log[-30:])
            )
    return tag
