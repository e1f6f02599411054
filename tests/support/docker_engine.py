"""The real Docker engine for the tests that need one, or a skip that says how to get it."""

from __future__ import annotations

import pytest

from amldebug.containers.docker_engine import DockerEngine, connect
from amldebug.errors import AmlDebugError

# Made by .ci/setup-docker.sh with debootstrap: no registry is reachable here.
BASE_IMAGE = "amldebug-test/python-base:bookworm"


def engine_or_skip() -> DockerEngine:
    try:
        engine = connect(timeout=5)
    except AmlDebugError as error:
        pytest.skip(f"no Docker engine ({error.message}); run .ci/setup-docker.sh")
    if not engine.image_exists(BASE_IMAGE):
        pytest.skip(f"the base image {BASE_IMAGE} is missing; run .ci/setup-docker.sh")
    return engine
