"""A request worth sending: the sample the inference server publishes in /swagger.json.

When run() declares its input with inference-schema (`@input_schema("data", NumpyParameterType(
sample))`), the server puts that sample in its swagger document as the example of `ServiceInput`
(`definitions` in swagger 2, `components.schemas` in OpenAPI 3). `amldebug invoke` and Send Test
Request write it to sample-request.json when the project has none (issue 10, Beyond).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from amldebug.containers.scoring_client import server_url

_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
SAMPLE_REQUEST_NAME = "sample-request.json"


def _example_of(schema: Any) -> Any:
    """The schema's example, or one made of its properties' examples; None when it has none."""
    if not isinstance(schema, dict):
        return None
    example = schema.get("example")
    if example not in (None, {}, []):
        return example
    properties = schema.get("properties")
    if isinstance(properties, dict):
        built = {}
        for name, prop in properties.items():
            value = _example_of(prop)
            if value is not None:
                built[name] = value
        return built or None
    return None


def sample_from_swagger(document: Any) -> Any:
    """The request body example of the scoring input, or None (an undecorated run() has `{}`)."""
    if not isinstance(document, dict):
        return None
    for container in (
        document.get("definitions"),
        (document.get("components") or {}).get("schemas")
        if isinstance(document.get("components"), dict)
        else None,
    ):
        if isinstance(container, dict):
            example = _example_of(container.get("ServiceInput"))
            if example is not None:
                return example
    return None


def fetch_sample(port: int, host: str = "127.0.0.1", timeout: float = 10.0) -> Any:
    """The sample from the running server's /swagger.json, or None when it publishes none."""
    try:
        with _opener.open(server_url(host, port, "/swagger.json"), timeout=timeout) as response:
            document = json.loads(response.read().decode("utf-8", errors="replace"))
    except (urllib.error.URLError, OSError, ValueError):
        return None
    return sample_from_swagger(document)


def write_sample_request(folder: Path, sample: Any) -> Path:
    """sample-request.json in `folder` holding `sample`; never over an existing file."""
    path = folder / SAMPLE_REQUEST_NAME
    with path.open("x", encoding="utf-8") as handle:
        handle.write(json.dumps(sample, indent=2) + "\n")
    return path
