"""The kept environment image against a real engine: a package added to the conda file is the only
download of the next build, and no cache, CA bundle or installer reaches the image.

Needs `.ci/setup-docker.sh` (engine and base image) and the package index (through the CA bundle).
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest
from tests.support.docker_engine import BASE_IMAGE, engine_or_skip

from amldebug.containers.build import build_debug_image, build_options_from_environment
from amldebug.containers.docker_engine import DockerEngine
from amldebug.progress import RecordingReporter
from amldebug.project import discover_project

pytestmark = [pytest.mark.docker, pytest.mark.slow]

WORKING = Path(__file__).resolve().parents[2] / "examples" / "working-project"
RUN_ID = uuid.uuid4().hex[:8]


def _run(engine: DockerEngine, image: str, script: str) -> str:
    probe = engine.run_container(image, entrypoint=["/bin/sh", "-c"], command=[script])
    try:
        probe.wait(timeout=120)
        return str(probe.logs().decode())
    finally:
        probe.remove(force=True)


def test_a_package_added_to_the_conda_file_is_the_only_download_of_the_next_build(
    tmp_path: Path,
) -> None:
    engine = engine_or_skip()
    project_dir = tmp_path / "project"
    shutil.copytree(WORKING, project_dir, ignore=shutil.ignore_patterns(".vscode", "__pycache__"))
    tags = [f"amldebug-test-env:{RUN_ID}-1", f"amldebug-test-env:{RUN_ID}-2"]
    environments: list[str] = []
    try:
        options = build_options_from_environment(
            base_image=BASE_IMAGE, tag=tags[0], ca_bundle="auto"
        )
        first = build_debug_image(discover_project(project_dir), options, engine)
        assert first.environment is not None

        # A requirement no earlier run asked for (the != makes it unique), satisfied by any six.
        conda = project_dir / "conda.yml"
        added = f"six!=0.0.{int(RUN_ID, 16)}"
        conda.write_text(conda.read_text() + f"      - {added}\n")
        reporter = RecordingReporter()
        options = build_options_from_environment(
            base_image=BASE_IMAGE, tag=tags[1], ca_bundle="auto"
        )
        second = build_debug_image(
            discover_project(project_dir), options, engine, reporter=reporter
        )
        assert second.environment is not None
        environments.append(second.environment.image)
        # Extended from a kept environment with what the first build installed (the first's own,
        # or an identical one another build on this engine kept since; the newest wins).
        assert second.environment.extended_from is not None
        assert not second.package_steps_cached
        # uv's log of the extension: one package installed, and it is the new one.
        installed = [line.strip() for line in reporter.lines if line.startswith(" + ")]
        assert len(installed) == 1 and installed[0].startswith("+ six=="), reporter.lines
        assert any("Installed 1 package" in line for line in reporter.lines)
        # The extension is one thin layer over the kept environment.
        history = engine.client.images.get(second.environment.image).history()
        assert history[0]["Size"] < 5_000_000

        output = _run(
            engine,
            tags[1],
            "python -c 'import six; print(\"six\", six.__version__)'; "
            "ls -d /root/.cache /tmp/amldebug-env /tmp/amldebug-ca.pem 2>&1; "
            "find / -xdev \\( -name ca-bundle.pem -o -name uv-cache \\) -print; "
            "echo PIP_CERT=[$PIP_CERT] SSL_CERT_FILE=[$SSL_CERT_FILE]",
        )
        assert "six 1." in output, output
        missing = [line for line in output.splitlines() if "No such file or directory" in line]
        for path in ("/root/.cache", "/tmp/amldebug-env", "/tmp/amldebug-ca.pem"):
            assert any(path in line for line in missing), output
        assert "ca-bundle.pem" not in output.replace("/tmp/amldebug-ca.pem", "")
        assert "uv-cache" not in output
        assert "PIP_CERT=[] SSL_CERT_FILE=[]" in output
    finally:
        for tag in [*tags, *environments]:
            engine.remove_image(tag)
