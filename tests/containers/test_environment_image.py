"""Which kept environment image a build starts from, and what its key depends on (no engine)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from amldebug.containers.dockerfile import BuildOptions, plan_debug_image
from amldebug.containers.environment_image import (
    MAX_CHAIN,
    EnvironmentPlan,
    KeptEnvironment,
    starting_point,
)
from amldebug.containers.install_script import CANNOT_EXTEND, extend_script
from amldebug.project import discover_project

WORKING = Path(__file__).resolve().parents[2] / "examples" / "working-project"
BASE = "sha256:base"
SERVER = ("azureml-inference-server-http==1.5.1", "debugpy")


def kept(
    requirements: tuple[str, ...],
    *,
    base_id: str = BASE,
    settings: str = "s",
    depth: int = 0,
    created: str = "2026-12-02T07:00:00Z",
    reference: str = "amldebug-env:a",
) -> KeptEnvironment:
    return KeptEnvironment(reference, base_id, settings, requirements, depth, created)


def pick(candidates: list[KeptEnvironment], wanted: tuple[str, ...]) -> KeptEnvironment | None:
    return starting_point(candidates, base_id=BASE, settings="s", requirements=wanted)


def test_a_kept_environment_whose_requirements_are_all_still_wanted_is_extended() -> None:
    base = kept(SERVER)
    assert pick([base], (*SERVER, "six")) == base


def test_a_removed_or_changed_requirement_installs_whole() -> None:
    # The kept one would carry a package the new list no longer asks for.
    assert pick([kept((*SERVER, "numpy==1.26"))], (*SERVER, "six")) is None
    assert pick([kept((*SERVER, "numpy==1.26"))], (*SERVER, "numpy==2.0")) is None


def test_another_base_image_other_settings_or_a_deep_chain_installs_whole() -> None:
    wanted = (*SERVER, "six")
    assert pick([kept(SERVER, base_id="sha256:other")], wanted) is None
    assert pick([kept(SERVER, settings="pip-only")], wanted) is None
    assert pick([kept(SERVER, depth=MAX_CHAIN)], wanted) is None
    assert pick([kept(SERVER, depth=MAX_CHAIN - 1)], wanted) is not None


def test_the_kept_environment_that_has_most_then_the_newest_is_chosen() -> None:
    small = kept(SERVER[:1], reference="amldebug-env:small", created="2026-12-02T08:00:00Z")
    old = kept(SERVER, reference="amldebug-env:old", created="2026-12-01T08:00:00Z")
    new = kept(SERVER, reference="amldebug-env:new", created="2026-12-02T08:00:00Z")
    assert pick([small, old, new], (*SERVER, "six")) == new


def _plan(tmp_path: Path, conda_extra: str = "", **options: object):  # type: ignore[no-untyped-def]
    project = tmp_path / "project"
    if not project.exists():
        project.mkdir()
        (project / "score.py").write_text("def init():\n    pass\n\ndef run(d):\n    return d\n")
    (project / "conda.yml").write_text(
        "dependencies:\n  - python=3.11\n  - pip:\n      - azureml-inference-server-http\n"
        + conda_extra
    )
    return plan_debug_image(discover_project(project), BuildOptions(base_image="b:1", **options))


def test_the_key_follows_the_environment_and_not_the_ca_bundle_or_the_uv_binary(
    tmp_path: Path,
) -> None:
    first = _plan(tmp_path).environment
    bundle = tmp_path / "ca.pem"
    bundle.write_text("one")
    uv = tmp_path / "uv"
    uv.write_bytes(b"uv")
    with_bundle = _plan(tmp_path, ca_bundle=bundle).environment
    assert with_bundle.key(BASE) != first.key(BASE)  # the scripts export the CA settings
    bundle.write_text("another CA, same settings")
    assert _plan(tmp_path, ca_bundle=bundle).environment.key(BASE) == with_bundle.key(BASE)
    assert first.key(BASE) != first.key("sha256:another-base")
    # A package added: another environment, with the same settings (so it can extend this one).
    added = _plan(tmp_path, "      - six\n").environment
    assert added.key(BASE) != first.key(BASE) and added.settings == first.settings
    assert added.requirements[-1:] == ("debugpy",) and "six" in added.requirements
    assert _plan(tmp_path, uv_binary=uv).environment.settings != first.settings


def test_an_empty_plan_has_a_stable_key() -> None:
    assert EnvironmentPlan().key(BASE) == EnvironmentPlan().key(BASE)


def test_extend_refuses_a_conda_environment_so_it_is_installed_whole(tmp_path: Path) -> None:
    script = extend_script(pip_env=[]).replace("/opt/amldebug/env", str(tmp_path / "env"))
    script = script.replace("/tmp/amldebug-env", str(tmp_path / "inputs"))
    (tmp_path / "env" / "conda-meta").mkdir(parents=True)
    done = subprocess.run(["sh", "-c", script], capture_output=True, text=True, check=False)
    assert done.returncode == CANNOT_EXTEND
    assert "not a venv amldebug can extend" in done.stderr
