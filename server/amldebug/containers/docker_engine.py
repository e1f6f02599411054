"""The thin interface over the Docker SDK that the debug loop uses.

Everything that talks to the engine goes through `DockerEngine`, so the loop's logic reads as
plain calls and every SDK failure a user can meet becomes an `AmlDebugError` with a next step.
"""

from __future__ import annotations

import contextlib
import io
import os
import tarfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import IO, Any

import docker
import docker.errors
from docker.models.containers import Container

from amldebug.errors import AmlDebugError

ENGINE_HINT = (
    "Start Docker Desktop / `sudo systemctl start docker` (or `dockerd`), "
    "or use --runtime process to run without Docker."
)


class EngineUnavailable(AmlDebugError):
    """No Docker engine answers."""


class ContainerNotFound(AmlDebugError):
    pass


# Azure ML's inference images are built for this platform only.
AZURE_ML_PLATFORM = "linux/amd64"
# What `docker info` says for Architecture on arm64 engines (`uname -m` inside the engine's VM).
_ARM64_ARCHITECTURES = frozenset({"aarch64", "arm64", "arm64/v8", "armv8", "armv8l"})
# Engines (by their info ID) already warned about emulation in this process: warn once.
_WARNED_ENGINES: set[str] = set()


def platform_for_engine(info: Mapping[str, Any]) -> str | None:
    """The `--platform` to build and run with, from the engine's `docker info`: linux/amd64 on an
    arm64 Linux engine (Docker Desktop on Apple silicon, arm64 servers), which runs amd64 images
    under emulation; None (the engine's own platform) elsewhere."""
    if str(info.get("OSType") or "linux").lower() != "linux":
        return None
    architecture = str(info.get("Architecture") or "").lower()
    return AZURE_ML_PLATFORM if architecture in _ARM64_ARCHITECTURES else None


def emulation_warning(info: Mapping[str, Any]) -> str | None:
    """What to tell the user once when `platform_for_engine` asks for emulation, else None."""
    platform = platform_for_engine(info)
    if platform is None:
        return None
    return (
        f"this Docker engine runs on {info.get('Architecture')}, and Azure ML's inference images "
        f"are {platform} only: the debug image is built and run as {platform} under emulation, "
        "so builds and the server are several times slower than on an amd64 machine (enable "
        "Rosetta in Docker Desktop's settings, where offered, to speed it up)"
    )


@dataclass(frozen=True)
class ExecResult:
    exit_code: int
    output: str


def connect(timeout: float = 10.0) -> DockerEngine:
    """The engine named by DOCKER_HOST / the default socket, or a clear error when none answers."""
    try:
        client = docker.from_env(timeout=int(max(timeout, 1)))
        client.ping()
    except docker.errors.DockerException as error:
        raise EngineUnavailable(
            f"Docker engine is not running ({_reason(error)})", hint=ENGINE_HINT
        ) from None
    except Exception as error:  # requests' connection errors escape the SDK's own types
        raise EngineUnavailable(
            f"Docker engine is not running ({_reason(error)})", hint=ENGINE_HINT
        ) from None
    return DockerEngine(client)


def engine_answers(timeout: float = 3.0) -> tuple[bool, str]:
    """(True, "") when an engine answers, else (False, why): for `--runtime auto`."""
    try:
        connect(timeout).close()
    except EngineUnavailable as error:
        return False, error.message
    return True, ""


def _reason(error: BaseException) -> str:
    text = str(error)
    host = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
    if "FileNotFoundError" in text or "No such file" in text:
        return f"no engine socket at {host}"
    if "Connection refused" in text or "ConnectionRefused" in text:
        return f"nothing listens at {host}"
    if "Permission denied" in text or "PermissionError" in text:
        return f"permission denied on {host}; add your user to the docker group"
    first = text.splitlines()[0] if text else type(error).__name__
    return first[:200]


class DockerEngine:
    def __init__(self, client: docker.DockerClient) -> None:
        self.client = client
        self._info: dict[str, Any] | None = None

    def close(self) -> None:
        self.client.close()

    # Platform -------------------------------------------------------------------------------

    def info(self) -> dict[str, Any]:
        """`docker info`, asked once per engine object ({} when the engine will not say)."""
        if self._info is None:
            try:
                self._info = dict(self.client.info())
            except Exception:  # an engine that answers ping but not info: assume its own platform
                self._info = {}
        return self._info

    def target_platform(self) -> str | None:
        """The platform every build, pull and run on this engine uses (None: the engine's own)."""
        return platform_for_engine(self.info())

    def emulation_warning_once(self) -> str | None:
        """The emulation warning the first time it is asked in this process for this engine."""
        info = self.info()
        warning = emulation_warning(info)
        key = str(info.get("ID") or id(self.client))
        if warning is None or key in _WARNED_ENGINES:
            return None
        _WARNED_ENGINES.add(key)
        return warning

    # Images ---------------------------------------------------------------------------------

    def image_exists(self, reference: str) -> bool:
        try:
            self.client.images.get(reference)
        except docker.errors.ImageNotFound:
            return False
        except docker.errors.APIError:
            return False
        return True

    def image_labels(self, reference: str) -> dict[str, str]:
        try:
            image = self.client.images.get(reference)
        except docker.errors.ImageNotFound:
            raise AmlDebugError(
                f"The image {reference} is not on this machine.",
                hint="Build it with `amldebug build`, pull it with `amldebug pull`, "
                "or pass --image.",
            ) from None
        return dict(image.labels or {})

    def image_user(self, reference: str) -> str:
        """The image's USER ("" when unset, i.e. root)."""
        image = self.client.images.get(reference)
        return str((image.attrs.get("Config") or {}).get("User") or "")

    def image_platform(self, reference: str) -> tuple[str, str]:
        """(os, architecture) of the image, e.g. ("linux", "amd64")."""
        attrs = self.client.images.get(reference).attrs
        return str(attrs.get("Os") or "linux"), str(attrs.get("Architecture") or "")

    def images_of_repository(self, repository: str) -> list[Any]:
        return list(self.client.images.list(name=repository))

    def image_entrypoint(self, reference: str) -> list[str] | None:
        """The image's ENTRYPOINT (None when unset)."""
        image = self.client.images.get(reference)
        value = (image.attrs.get("Config") or {}).get("Entrypoint")
        return [str(part) for part in value] if value else None

    def image_id(self, reference: str) -> str:
        return str(self.client.images.get(reference).id)

    def image_tags(self) -> list[str]:
        # One listing call: the SDK's images.list() inspects every image in turn, and one removed
        # meanwhile by another process failed the whole listing (and `commit` with it).
        return [
            tag
            for entry in self.client.api.images()
            for tag in entry.get("RepoTags") or []
            if tag != "<none>:<none>"
        ]

    def remove_image(self, reference: str) -> None:
        with contextlib.suppress(docker.errors.ImageNotFound):
            self.client.images.remove(reference, force=True)

    def tag(self, reference: str, target: str) -> None:
        repository, tag = split_reference(target)
        self.client.images.get(reference).tag(repository, tag)

    def build(
        self, context: IO[bytes], *, tag: str, labels: dict[str, str] | None = None
    ) -> Iterator[dict[str, Any]]:
        """The engine's decoded build stream (classic builder: `stream`, `error`, `aux`)."""
        return iter(
            self.client.api.build(
                fileobj=context,
                custom_context=True,
                tag=tag,
                rm=True,
                forcerm=True,
                decode=True,
                labels=labels,
                pull=False,
                **self._platform_argument(),
            )
        )

    def _platform_argument(self) -> dict[str, str]:
        platform = self.target_platform()
        return {"platform": platform} if platform else {}

    def pull(self, reference: str, auth: dict[str, str] | None = None) -> Iterator[dict[str, Any]]:
        repository, tag = split_reference(reference)
        return iter(
            self.client.api.pull(
                repository,
                tag=tag,
                stream=True,
                decode=True,
                auth_config=auth,
                **self._platform_argument(),
            )
        )

    def push(self, reference: str, auth: dict[str, str] | None = None) -> Iterator[dict[str, Any]]:
        repository, tag = split_reference(reference)
        return iter(
            self.client.api.push(repository, tag=tag, stream=True, decode=True, auth_config=auth)
        )

    def login(self, registry: str, username: str, password: str) -> None:
        try:
            self.client.login(username=username, password=password, registry=registry, reauth=True)
        except docker.errors.APIError as error:
            raise AmlDebugError(
                f"Login to {registry} as {username} failed: {error.explanation or error}",
                hint="Check the user name and password (for ACR: `az acr credential show`).",
            ) from None

    # Containers -----------------------------------------------------------------------------

    def run_container(self, image: str, *, gpus: bool = False, **kwargs: Any) -> Container:
        if gpus:  # `docker run --gpus all`
            kwargs["device_requests"] = [
                docker.types.DeviceRequest(count=-1, capabilities=[["gpu"]])
            ]
        for key, value in self._platform_argument().items():
            kwargs.setdefault(key, value)
        return self.client.containers.run(image, detach=True, **kwargs)

    def create_container(self, image: str, **kwargs: Any) -> Container:
        """A container made and not started (files can be put into it first)."""
        for key, value in self._platform_argument().items():
            kwargs.setdefault(key, value)
        return self.client.containers.create(image, **kwargs)

    def find_container(self, name: str) -> Container | None:
        try:
            return self.client.containers.get(name)
        except docker.errors.NotFound:
            return None

    def container(self, name: str) -> Container:
        found = self.find_container(name)
        if found is None:
            raise ContainerNotFound(
                f"There is no container named '{name}'.",
                hint="List ours with `amldebug ps`, or start one with `amldebug up`.",
            )
        return found

    def containers_with_label(self, label: str, *, all_states: bool = True) -> list[Container]:
        return list(self.client.containers.list(all=all_states, filters={"label": label}))

    def remove_container(self, name: str) -> bool:
        found = self.find_container(name)
        if found is None:
            return False
        try:
            found.remove(force=True)
        except docker.errors.NotFound:
            return False
        # A debug container's own network (debug_network.py) goes with it, whoever removes it.
        from amldebug.containers.debug_network import remove_debug_network

        remove_debug_network(self, name)
        return True

    def exec(self, name: str, command: list[str], *, workdir: str | None = None) -> ExecResult:
        container = self.container(name)
        result = container.exec_run(command, workdir=workdir, demux=False)
        output = result.output.decode("utf-8", errors="replace") if result.output else ""
        return ExecResult(int(result.exit_code or 0), output)

    def get_archive(self, name: str, path: str) -> bytes:
        container = self.container(name)
        try:
            chunks, _ = container.get_archive(path)
        except docker.errors.NotFound:
            raise AmlDebugError(f"{path} does not exist in the container '{name}'.") from None
        return b"".join(chunks)

    def put_archive(self, name: str, path: str, files: Iterable[tuple[str, bytes]]) -> None:
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as archive:
            for member, data in files:
                info = tarfile.TarInfo(member)
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
        self.container(name).put_archive(path, buffer.getvalue())

    def logs(self, name: str, *, tail: int | str = "all", follow: bool = False) -> Any:
        container = self.container(name)
        if follow:
            return container.logs(stream=True, follow=True, tail=tail)
        return container.logs(tail=tail)

    def commit(self, name: str, repository: str, tag: str, *, message: str = "") -> str:
        image = self.container(name).commit(repository=repository, tag=tag, message=message)
        return str(image.id)


def split_reference(reference: str) -> tuple[str, str]:
    """("registry/repo", "tag"); the tag is "latest" when none is given."""
    last = reference.split("/")[-1]
    if "@" in last:
        repository, digest = reference.split("@", 1)
        return repository, digest
    if ":" in last:
        repository, tag = reference.rsplit(":", 1)
        return repository, tag
    return reference, "latest"
