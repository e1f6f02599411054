"""Host ports: is one free, who holds it, which one is free next.

A taken port is the most common reason a debug server cannot start, and "address already in use"
does not say who is in the way. On Linux the kernel's socket tables (/proc/net/tcp, tcp6) give the
listening socket's inode, and /proc/<pid>/fd links name the process holding that inode. A port
published by Docker is held by docker-proxy; the docker SDK then names the container, when the
engine answers.

Public API:
  is_port_free(port, host) -> bool
  find_port_holder(port, host) -> PortHolder | None
  next_free_port(start, host, *, avoid) -> int
  port_conflict_error(port, host, *, option, purpose, avoid) -> AmlDebugError
  ensure_ports_free([(port, option, purpose), ...], host) -> None  (raises port_conflict_error)
  listening_sockets(port) -> list[ListeningSocket]
  free_port(host) -> int  (a port the kernel picks; for tests and benchmarks)
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from amldebug.errors import AmlDebugError

_TCP_LISTEN = "0A"
_PROC = Path("/proc")


@dataclass(frozen=True)
class ListeningSocket:
    address: str  # as the kernel reports it: "127.0.0.1", "0.0.0.0", "::"
    port: int
    inode: int


@dataclass(frozen=True)
class PortHolder:
    """Who listens on a port. Any field may be unknown (another user's process, another network
    namespace, no Docker engine to ask)."""

    port: int
    address: str | None = None
    pid: int | None = None
    command: str | None = None
    container: str | None = None  # Docker container name when the port is published by one
    image: str | None = None

    def describe(self) -> str:
        """A phrase for messages: 'pid 1234 (python3 -m http.server 8000)'."""
        if self.container:
            image = f", image {self.image}" if self.image else ""
            return f"the Docker container '{self.container}'{image}"
        if self.pid is not None:
            command = f" ({self.command})" if self.command else ""
            return f"pid {self.pid}{command}"
        if self.address is not None:
            return (
                f"a process amldebug cannot see (listening on {self.address}; "
                "another user or container)"
            )
        return "another program"


def _normalise_host(host: str) -> str:
    if host in ("", "localhost"):
        return "127.0.0.1"
    return host.strip("[]")


def is_port_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when a server could listen on `host:port` now (the way servers bind, with
    SO_REUSEADDR, so connections lingering in TIME_WAIT do not count)."""
    host = _normalise_host(host)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    # A wildcard listener in the other family also blocks a server that binds both.
    if host in ("0.0.0.0", "::"):
        return not any(_overlaps(s.address, host) for s in listening_sockets(port))
    return True


def free_port(host: str = "127.0.0.1") -> int:
    """A port that is free right now, chosen by the kernel (bind to port 0)."""
    host = _normalise_host(host)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def next_free_port(
    start: int, host: str = "127.0.0.1", *, avoid: Iterable[int] = (), attempts: int = 200
) -> int:
    """The first free port after `start` (skipping `avoid`), wrapping below 1024 back to 1024."""
    avoided = set(avoid)
    candidate = start
    for _ in range(attempts):
        candidate = candidate + 1 if candidate < 65535 else 1024
        if candidate not in avoided and is_port_free(candidate, host):
            return candidate
    raise AmlDebugError(
        f"no free port found on {host} after {start} ({attempts} tried)",
        hint="Stop some servers or pass an explicit port.",
    )


def _decode_address(hex_address: str) -> str:
    raw = bytes.fromhex(hex_address)
    # The kernel prints each 32-bit word in host byte order (little-endian here).
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    if len(words) == 4:
        return str(ipaddress.IPv4Address(words))
    address = ipaddress.IPv6Address(words)
    return str(address.ipv4_mapped) if address.ipv4_mapped else str(address)


def parse_proc_net_tcp(text: str) -> list[ListeningSocket]:
    """The listening sockets in the text of /proc/net/tcp or /proc/net/tcp6."""
    found = []
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 10 or fields[3] != _TCP_LISTEN:
            continue
        address, _, port = fields[1].partition(":")
        try:
            found.append(ListeningSocket(_decode_address(address), int(port, 16), int(fields[9])))
        except ValueError:
            continue
    return found


def listening_sockets(port: int | None = None) -> list[ListeningSocket]:
    """Listening TCP sockets in this network namespace, optionally only those on `port`."""
    found: list[ListeningSocket] = []
    for name in ("tcp", "tcp6"):
        try:
            text = (_PROC / "net" / name).read_text()
        except OSError:
            continue
        found.extend(s for s in parse_proc_net_tcp(text) if port is None or s.port == port)
    return found


def _overlaps(listener: str, host: str) -> bool:
    wildcard = ("0.0.0.0", "::")
    if listener in wildcard or host in wildcard:
        return True
    return listener == host


def _pids_by_inode(inodes: set[int]) -> dict[int, int]:
    wanted = {f"socket:[{inode}]": inode for inode in inodes}
    owners: dict[int, int] = {}
    try:
        entries = list(os.scandir(_PROC))
    except OSError:
        return owners
    for entry in entries:
        if not entry.name.isdigit():
            continue
        try:
            descriptors = os.scandir(os.path.join(entry.path, "fd"))
        except OSError:
            continue
        with descriptors:
            for descriptor in descriptors:
                try:
                    target = os.readlink(descriptor.path)
                except OSError:
                    continue
                inode = wanted.get(target)
                if inode is not None and inode not in owners:
                    owners[inode] = int(entry.name)
        if len(owners) == len(wanted):
            break
    return owners


def process_command(pid: int, limit: int = 160) -> str | None:
    """The command line of `pid`, shortened for messages."""
    try:
        raw = (_PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return None
    command = " ".join(part.decode(errors="replace") for part in raw.split(b"\0") if part)
    if not command:
        try:
            command = (_PROC / str(pid) / "comm").read_text().strip()
        except OSError:
            return None
    return command if len(command) <= limit else command[: limit - 3] + "..."


def _docker_container_publishing(port: int) -> tuple[str, str | None] | None:
    """(name, image) of a running container publishing host `port`, when Docker can tell."""
    try:
        import docker
    except ImportError:
        return None
    try:
        client = docker.from_env(timeout=3)
        try:
            for container in client.containers.list():
                ports = container.attrs.get("NetworkSettings", {}).get("Ports") or {}
                for bindings in ports.values():
                    for binding in bindings or []:
                        if str(binding.get("HostPort")) == str(port):
                            tags = container.attrs.get("Config", {}).get("Image")
                            return container.name, tags
        finally:
            client.close()
    except Exception:
        # No engine, no permission, a timeout: the process holder is still worth reporting.
        return None
    return None


def find_port_holder(port: int, host: str = "127.0.0.1") -> PortHolder | None:
    """Who listens on `port` where a server binding `host` would collide; None when nobody
    visible does."""
    host = _normalise_host(host)
    sockets = [s for s in listening_sockets(port) if _overlaps(s.address, host)]
    if not sockets:
        if is_port_free(port, host):
            return None
        container = _docker_container_publishing(port)
        if container:
            return PortHolder(port, None, None, None, container[0], container[1])
        return PortHolder(port)
    owners = _pids_by_inode({s.inode for s in sockets})
    chosen = next((s for s in sockets if s.inode in owners), sockets[0])
    pid = owners.get(chosen.inode)
    command = process_command(pid) if pid is not None else None
    if pid is None or (command is not None and "docker-proxy" in command):
        container = _docker_container_publishing(port)
        if container:
            return PortHolder(port, chosen.address, pid, command, container[0], container[1])
    return PortHolder(port, chosen.address, pid, command)


def port_conflict_error(
    port: int,
    host: str = "127.0.0.1",
    *,
    option: str = "--port",
    purpose: str = "the server port",
    avoid: Iterable[int] = (),
    holder: PortHolder | None = None,
) -> AmlDebugError:
    """The message for a taken port: who holds it and which port is free instead."""
    holder = holder or find_port_holder(port, host)
    who = holder.describe() if holder else "another program"
    suggestion = next_free_port(port, host, avoid=[port, *avoid])
    stop = ""
    if holder and holder.container:
        stop = f"Stop it (`docker stop {holder.container}`), or "
    elif holder and holder.pid is not None:
        stop = f"Stop it (kill {holder.pid}), or "
    else:
        stop = "Stop it, or "
    return AmlDebugError(
        f"Port {port} on {host} ({purpose}) is taken by {who}.",
        hint=f"{stop}use a free port: {option} {suggestion}",
    )


def ensure_ports_free(ports: Sequence[tuple[int, str, str]], host: str = "127.0.0.1") -> None:
    """Raise the conflict message for the first taken port of (port, option, purpose) triples,
    or when two of them are the same port."""
    numbers = [port for port, _, _ in ports]
    for index, (port, option, purpose) in enumerate(ports):
        if port in numbers[:index]:
            suggestion = next_free_port(port, host, avoid=numbers)
            raise AmlDebugError(
                f"{purpose} and another port are both {port}.",
                hint=f"Pick different ports, e.g. {option} {suggestion}",
            )
        if not is_port_free(port, host):
            raise port_conflict_error(
                port,
                host,
                option=option,
                purpose=purpose,
                avoid=[p for p in numbers if p != port],
            )


def parse_bind_address(text: str) -> str:
    """An IP address (or `localhost`) to publish ports on; ValueError with a sentence otherwise.

    Checked before anything else, so `--bind "0.0.0.0 --privileged"` is an invalid address, not
    "no free port" after a build.
    """
    import ipaddress

    value = text.strip()
    if value == "localhost":
        return "127.0.0.1"
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise ValueError(
            f"{text!r} is not an IP address to publish on (e.g. 127.0.0.1, 0.0.0.0, ::1)"
        ) from None
