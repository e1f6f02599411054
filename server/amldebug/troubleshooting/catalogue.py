"""Known Azure ML deployment failures, recognised in logs and explained with the fix.

`explain_log(text, project=None) -> list[Finding]` reads any text a user has in hand (an image build
log, a container log, a traceback, `kubectl` output, an SDK exception) and returns one finding per
known failure, ordered by the line where it first shows. It is pure (apart from checking which
local files a traceback path maps to) and never raises on any input, so the debug loop can call it
on every failed build or run.

Each entry of `CATALOGUE` is data: patterns searched line by line, and text. Entries that can say
more about one occurrence (which module is missing, where the model was looked for) have a
`describe` function that reads the match and the rest of the log.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from amldebug.project import Project, discover_project
from amldebug.troubleshooting.paths import MappedTraceback, find_tracebacks, traceback_for_line

# Logs over this size are explained from their end, where failures are.
MAX_EXPLAINED_CHARS = 4_000_000
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_MAX_MATCHED_CHARS = 300


@dataclass(frozen=True)
class Finding:
    """One recognised failure in a log. `line` is 1-based, as editors and `grep -n` show it."""

    id: str
    title: str
    line: int
    explanation: str
    fix: str
    matched: str  # the text of the line that matched (trimmed)
    count: int = 1  # how many times the failure shows in the log
    last_line: int | None = None  # where it shows last, when more than once
    local_path: str | None = None  # the project file of the traceback's last entry-script frame
    local_line: int | None = None
    exception: str | None = None  # the traceback's root cause, `Type: message`

    def to_json(self) -> dict[str, Any]:
        """The object `amldebug explain --format json` prints and `amldebug.explain` returns."""
        data: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "line": self.line,
            "explanation": self.explanation,
            "fix": self.fix,
            "matched": self.matched,
            "count": self.count,
        }
        if self.last_line is not None:
            data["last_line"] = self.last_line
        if self.exception is not None:
            data["exception"] = self.exception
        if self.local_path is not None:
            data["local_path"] = self.local_path
            data["local_line"] = self.local_line
        return data


@dataclass(frozen=True)
class LogView:
    """What `describe` functions may read: the whole log, its lines, its tracebacks, the project."""

    text: str
    lines: list[str]
    tracebacks: list[MappedTraceback]
    project: Project | None


@dataclass(frozen=True)
class Details:
    """Specifics of one occurrence, added to the entry's general explanation and fix."""

    explanation: str = ""
    fix: str = ""


Describe = Callable[[re.Match[str], int, LogView], Details]


@dataclass(frozen=True)
class KnownFailure:
    id: str
    title: str
    explanation: str
    fix: str  # numbered steps, with the command or code to run
    patterns: tuple[str, ...]  # regular expressions, searched in each line (case-sensitive)
    # The log must also contain this somewhere (e.g. a 500 counts as the Key Vault failure only
    # when it comes from image creation).
    requires: str | None = None
    # A finding for one of these ids explains the same lines better; this one is then dropped.
    superseded_by: tuple[str, ...] = ()
    # A named group whose value tells occurrences apart (two missing modules are two findings).
    key_group: str | None = None
    describe: Describe | None = None
    # Attach the traceback's last entry-script frame (local path and line) to the finding.
    maps_traceback: bool = False
    # Tracebacks (rather than single lines) that show this failure; the hit is the exception line.
    traceback_match: Callable[[MappedTraceback], bool] | None = None
    compiled: tuple[re.Pattern[str], ...] = field(default=(), compare=False, repr=False)
    literals: tuple[str | None, ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "compiled", tuple(re.compile(p) for p in self.patterns))
        object.__setattr__(self, "literals", tuple(required_literal(p) for p in self.patterns))


_REGEX_SPECIAL = set(".^$*+?{}[]()|\\")


def required_literal(pattern: str) -> str | None:
    """The longest text every match of `pattern` contains, or None when that is not simple to see.

    Only top-level literal runs count: groups and classes are skipped whole, and a pattern with an
    alternation outside them gives None (no prefilter).
    """
    runs: list[str] = []
    current = ""
    index = 0
    depth_chars = {"(": ")", "[": "]"}
    while index < len(pattern):
        char = pattern[index]
        if char in depth_chars:
            runs.append(current)
            current = ""
            index = _skip_group(pattern, index)
            if index < len(pattern) and pattern[index] in "?*{":
                index += 1
            continue
        if char == "|":
            return None
        if char == "\\" and index + 1 < len(pattern):
            escaped = pattern[index + 1]
            if escaped.isalnum():
                runs.append(current)
                current = ""
            else:
                current += escaped
            index += 2
            continue
        if char in "?*{":
            current = current[:-1]  # the character before is optional or repeated
            runs.append(current)
            current = ""
            if char == "{":
                index = pattern.find("}", index) + 1 or len(pattern)
                continue
        elif char in _REGEX_SPECIAL:
            runs.append(current)
            current = ""
        else:
            current += char
        index += 1
    runs.append(current)
    best = max(runs, key=len)
    return best if len(best) >= 3 else None


def _skip_group(pattern: str, start: int) -> int:
    """The index after the group or class opening at `start`."""
    closing = {"(": ")", "[": "]"}[pattern[start]]
    depth = 0
    index = start
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            continue
        if closing == "]" and char == "]" and index > start + 1:
            return index + 1
        if closing == ")":
            if char == "(":
                depth += 1
            elif char == ")":
                depth -= 1
                if depth == 0:
                    return index + 1
        index += 1
    return len(pattern)


def explain_log(text: str, project: Project | Path | str | None = None) -> list[Finding]:
    """Every known failure in `text`, ordered by the line where it first shows.

    `project` (a `Project` or a folder) maps `/var/azureml-app/...` traceback paths to local files
    and names the project's conda file in fixes. The same failure repeated (a crash loop prints it
    on every restart) is one finding with `count`. Returns [] when nothing is recognised.
    """
    resolved = (
        project
        if isinstance(project, Project) or project is None
        else discover_project(Path(project))
    )
    text, line_offset = _bounded(text)
    lines = [_ANSI.sub("", line).rstrip("\r") for line in text.split("\n")]
    view = LogView(
        text="\n".join(lines),
        lines=lines,
        tracebacks=find_tracebacks("\n".join(lines), resolved),
        project=resolved,
    )

    findings: list[Finding] = []
    for entry in CATALOGUE:
        found = _findings_for(entry, view, line_offset)
        if found and entry.requires is not None and not re.search(entry.requires, view.text, re.M):
            continue
        findings.extend(found)
    found_ids = {finding.id for finding in findings}
    by_id = {entry.id: entry for entry in CATALOGUE}
    findings = [f for f in findings if not any(s in found_ids for s in by_id[f.id].superseded_by)]
    order = {entry.id: index for index, entry in enumerate(CATALOGUE)}
    return sorted(findings, key=lambda f: (f.line, order[f.id]))


def catalogue_ids() -> list[str]:
    return [entry.id for entry in CATALOGUE]


def _bounded(text: str) -> tuple[str, int]:
    if len(text) <= MAX_EXPLAINED_CHARS:
        return text, 0
    head = text[: len(text) - MAX_EXPLAINED_CHARS]
    cut = head.count("\n")
    tail = text[len(head) :]
    # Start at a line boundary so line numbers stay exact.
    newline = tail.find("\n")
    return tail[newline + 1 :], cut + 1


def _findings_for(entry: KnownFailure, view: LogView, line_offset: int) -> list[Finding]:
    # key -> (first line index, first match, per-pattern counts, last line index)
    groups: dict[str, tuple[int, re.Match[str] | None, list[int], int]] = {}
    slots = len(entry.compiled) + 1  # the last counts traceback hits

    def hit(index: int, match: re.Match[str] | None, key: str, slot: int) -> None:
        first, first_match, counts, last = groups.get(key, (index, match, [0] * slots, index))
        if index < first:
            first, first_match = index, match
        counts[slot] += 1
        groups[key] = (first, first_match, counts, max(last, index))

    for index, line in enumerate(view.lines):
        for pattern_index, pattern in enumerate(entry.compiled):
            literal = entry.literals[pattern_index]
            if literal and literal not in line:
                continue  # a substring test is far cheaper than the search on long logs
            match = pattern.search(line)
            if match is None:
                continue
            key = ""
            if entry.key_group and entry.key_group in pattern.groupindex:
                key = match.group(entry.key_group) or ""
            hit(index, match, key, pattern_index)
            break
    if entry.traceback_match is not None:
        for traceback in view.tracebacks:
            if entry.traceback_match(traceback):
                hit(traceback.end_line - 1, None, "", slots - 1)
    findings = []
    for first, match, counts, last in groups.values():
        details = entry.describe(match, first + 1, view) if entry.describe and match else Details()
        explanation = entry.explanation.strip()
        if details.explanation:
            explanation = f"{details.explanation.strip()}\n\n{explanation}"
        fix = entry.fix.strip()
        if details.fix:
            fix = f"1. {details.fix.strip()}\n{_renumbered(fix, 1)}"
        local_path: str | None = None
        local_line: int | None = None
        exception: str | None = None
        if entry.maps_traceback:
            mapped = traceback_for_line(view.tracebacks, first + 1)
            if mapped is not None:
                exception = mapped.exception or mapped.final_exception
                if mapped.last_entry_script_frame is not None:
                    path, local_line = mapped.last_entry_script_frame
                    local_path = str(path) if isinstance(path, Path) else None
                    if local_path is None:
                        local_line = None
        count = max(counts)
        findings.append(
            Finding(
                id=entry.id,
                title=entry.title,
                line=first + 1 + line_offset,
                explanation=explanation,
                fix=fix,
                matched=view.lines[first].strip()[:_MAX_MATCHED_CHARS],
                count=count,
                last_line=last + 1 + line_offset if count > 1 else None,
                local_path=local_path,
                local_line=local_line,
                exception=exception,
            )
        )
    return findings


def _renumbered(steps: str, shift: int) -> str:
    return re.sub(r"^(\d+)\. ", lambda m: f"{int(m.group(1)) + shift}. ", steps, flags=re.M)


# --- specifics of one occurrence ---------------------------------------------------------------

_MODEL_DIR_IN_LOG = (
    re.compile(r"^Model Directory:\s*(?P<dir>\S+)\s*$"),
    re.compile(r"AZUREML_MODEL_DIR['\"]?\s*[=:]\s*['\"]?(?P<dir>/[^\s'\",]+)"),
)
_CONTENTS_HEADER = re.compile(r"Model Directory Contents:\s*$")
_LOGGER_PREFIX = re.compile(r"^.*? azmlinfsrv - (?P<entry>.*)$")


def _where(view: LogView, line: int) -> str:
    traceback = traceback_for_line(view.tracebacks, line)
    if traceback is None or traceback.last_entry_script_frame is None:
        return ""
    path, number = traceback.last_entry_script_frame
    frame = traceback.last_app_frame
    shown = (
        view.project.relative(path)
        if isinstance(path, Path) and view.project
        else Path(str(path)).name
    )
    code = (
        f": `{frame.source}`" if frame is not None and frame.source and frame.line == number else ""
    )
    return f"{shown} line {number}{code}"


def _describe_init_failed(match: re.Match[str], line: int, view: LogView) -> Details:
    traceback = traceback_for_line(view.tracebacks, line)
    if traceback is None:
        return Details()
    where = _where(view, line)
    during_import = any(f.function == "load_script" for f in traceback.frames) or (
        traceback.final_exception is not None
        and "UserScriptImportException" in traceback.final_exception
    )
    stage = (
        "Importing the entry script (its module-level code) raised"
        if during_import
        else "init() raised"
    )
    cause = traceback.exception or traceback.final_exception or "an exception"
    text = f"{stage} {cause}" + (f" at {where}." if where else ".")
    fix = f"Open {where.split(':')[0]}: the traceback ends there." if where else ""
    return Details(text, fix)


def _describe_model_missing(match: re.Match[str], line: int, view: LogView) -> Details:
    looked = match.groupdict().get("path")
    model_dir = None
    for pattern in _MODEL_DIR_IN_LOG:
        for text_line in view.lines:
            found = pattern.search(text_line)
            if found and found.group("dir") not in ("None", ""):
                model_dir = found.group("dir")
                break
        if model_dir:
            break
    contents = _model_dir_contents(view.lines)
    parts = []
    if looked:
        parts.append(f"The script looked for `{looked}`.")
    if model_dir:
        parts.append(f"AZUREML_MODEL_DIR was `{model_dir}`.")
    else:
        parts.append(
            "The log does not show AZUREML_MODEL_DIR (the inference server prints it as `Model "
            "Directory:`)."
        )
    if contents:
        parts.append("That folder holds: " + ", ".join(f"`{c}`" for c in contents[:12]) + ".")
    where = _where(view, line)
    if where:
        parts.append(f"The path is built at {where}.")
    fix = ""
    suggestion = _closest_model_file(looked, contents)
    if suggestion:
        fix = (
            f"The model file that is there is `{suggestion}`: "
            f'`model_path = os.path.join(os.getenv("AZUREML_MODEL_DIR"), "{suggestion}")`'
        )
    return Details(" ".join(parts), fix)


def _model_dir_contents(lines: list[str]) -> list[str]:
    """Files the inference server listed under `Model Directory Contents:` (relative paths)."""
    for index, line in enumerate(lines):
        if not _CONTENTS_HEADER.search(line):
            continue
        files: list[str] = []
        folders: list[tuple[int, str]] = []
        for following in lines[index + 1 : index + 200]:
            entry_match = _LOGGER_PREFIX.match(following)
            if entry_match is None:
                break
            entry = entry_match.group("entry")
            if not entry.strip():
                break
            depth = (len(entry) - len(entry.lstrip(" "))) // 4
            name = entry.strip()
            folders = [f for f in folders if f[0] < depth]
            if name.endswith("/"):
                folders.append((depth, name.rstrip("/")))
                continue
            # The first folder printed is AZUREML_MODEL_DIR itself; paths are relative to it.
            parents = [f[1] for f in folders[1:]]
            files.append("/".join([*parents, name]))
        return files
    return []


def _closest_model_file(looked: str | None, contents: list[str]) -> str | None:
    if not looked or not contents:
        return None
    suffix = Path(looked).suffix
    same_suffix = [c for c in contents if suffix and c.endswith(suffix)]
    if len(same_suffix) == 1:
        return same_suffix[0]
    return contents[0] if len(contents) == 1 else None


# A few imports whose distribution is named differently; used when the shared import map
# (amldebug.analysis.import_map) is not available.
_DISTRIBUTIONS = {
    "sklearn": "scikit-learn",
    "cv2": "opencv-python-headless",
    "PIL": "pillow",
    "yaml": "pyyaml",
    "skimage": "scikit-image",
    "bs4": "beautifulsoup4",
    "dateutil": "python-dateutil",
    "dotenv": "python-dotenv",
    "google.protobuf": "protobuf",
    "azureml.core": "azureml-core",
    "azureml.contrib": "azureml-contrib-services",
    "inference_schema": "inference-schema",
    "lightgbm": "lightgbm",
    "xgboost": "xgboost",
    "tensorflow": "tensorflow",
    "torch": "torch",
    "onnxruntime": "onnxruntime",
    "jwt": "pyjwt",
    "Crypto": "pycryptodome",
    "attr": "attrs",
    "magic": "python-magic",
}


def distribution_for_module(module: str) -> str:
    """The distribution to install for `import module` (the shared import map first)."""
    try:
        from amldebug.analysis import import_map  # written alongside; optional at import time

        lookup = getattr(import_map, "distribution_for_import", None)
        if lookup is not None:
            found = lookup(module)
            if found:
                return str(found)
    except ImportError:
        pass
    parts = module.split(".")
    for length in range(len(parts), 0, -1):
        candidate = ".".join(parts[:length])
        if candidate in _DISTRIBUTIONS:
            return _DISTRIBUTIONS[candidate]
    return parts[0].replace("_", "-")


def _describe_module_missing(match: re.Match[str], line: int, view: LogView) -> Details:
    module = match.group("module")
    distribution = distribution_for_module(module)
    conda = "the conda file"
    if view.project is not None and view.project.conda_file is not None:
        conda = f"`{view.project.relative(view.project.conda_file)}`"
    where = _where(view, line)
    text = (
        f"The environment has no module `{module}`"
        + (f" (imported at {where})" if where else "")
        + "."
    )
    text += f" It comes from the `{distribution}` distribution."
    fix = (
        f"Add `{distribution}` to {conda}, under `dependencies:` → `- pip:`:\n"
        f"   ```yaml\n   dependencies:\n     - pip:\n       - {distribution}\n   ```"
    )
    return Details(text, fix)


def _describe_pip(match: re.Match[str], line: int, view: LogView) -> Details:
    requirement = match.group("req")
    versions_line = next(
        (
            ln
            for ln in view.lines
            if "Could not find a version that satisfies" in ln and requirement in ln
        ),
        "",
    )
    if "(from versions: none)" in versions_line:
        return Details(
            f"pip saw no release at all of `{requirement}`: the name is misspelled, the package "
            "index "
            "is unreachable from the build, or no release fits this Python version and platform."
        )
    available = re.search(r"\(from versions: (?P<versions>[^)]*)\)", versions_line)
    if available:
        versions = [v.strip() for v in available.group("versions").split(",") if v.strip()]
        return Details(
            f"`{requirement}` does not exist for this Python and platform; the newest available "
            "are " + ", ".join(versions[-5:]) + "."
        )
    return Details(f"pip could not find `{requirement}`.")


def _describe_worker_timeout(match: re.Match[str], line: int, view: LogView) -> Details:
    timeout = None
    for text_line in view.lines:
        found = re.search(
            r"(?:Worker Timeout \(seconds\):|WORKER_TIMEOUT\s*=)\s*(?P<seconds>\d+)", text_line
        )
        if found:
            timeout = found.group("seconds")
            break
    where = _where(view, line)
    parts = []
    if timeout:
        parts.append(f"WORKER_TIMEOUT was {timeout} seconds.")
    if where:
        parts.append(f"The worker was at {where} when it was stopped.")
    return Details(" ".join(parts))


def _describe_debugpy(match: re.Match[str], line: int, view: LogView) -> Details:
    workers = None
    for text_line in view.lines:
        found = re.search(r"(?:Worker Count:|WORKER_COUNT\s*=)\s*(?P<count>\d+)", text_line)
        if found:
            workers = found.group("count")
            break
    where = _where(view, line)
    text = (f"The server ran {workers} workers. " if workers else "") + (
        f"`listen` is called at {where}." if where else ""
    )
    return Details(text)


def _describe_port(match: re.Match[str], line: int, view: LogView) -> Details:
    port = match.groupdict().get("port")
    if not port:
        return Details()
    return Details(
        f"Port {port} on the host is taken.",
        f"See what holds it: `docker ps --filter publish={port}` (a container) or "
        f"`ss -ltnp 'sport = :{port}'` (a process).",
    )


def _describe_status(match: re.Match[str], line: int, view: LogView) -> Details:
    timeout = re.search(r"(?:allocated time|timeout after):?\s*(?P<ms>\d+)\s*ms", match.string)
    if timeout:
        return Details(f"The scoring timeout was {timeout.group('ms')} ms.")
    return Details()


def _raised_in_run(traceback: MappedTraceback) -> bool:
    """The inference server's traceback for an exception that escaped the user's run()."""
    serving = any(
        f.function in ("invoke_run", "run_scoring", "invoke_user_with_timer")
        for f in traceback.frames
    )
    user_run = any(f.in_entry_script and f.function == "run" for f in traceback.frames)
    timed_out = "UserScriptTimeout" in (traceback.final_exception or "") or "SystemExit" in (
        traceback.exception or ""
    )
    return serving and user_run and traceback.final_exception is not None and not timed_out


# --- the catalogue -----------------------------------------------------------------------------

_LOCAL_REPRO = (
    "Reproduce it locally and step through it: `amldebug up` builds the image, runs it and "
    "attaches "
    "the debugger (or run the server directly: `azmlinfsrv --entry_script score.py`)."
)

CATALOGUE: tuple[KnownFailure, ...] = (
    KnownFailure(
        id="tls-proxy-certificate",
        title="TLS certificate verification failed (intercepting proxy)",
        explanation=(
            "A download in the build was refused because the server's certificate did not chain "
            "to a "
            "CA the build trusts. On corporate networks a TLS-intercepting proxy re-signs every "
            "HTTPS "
            "connection with its own CA; the host trusts it, the image being built does not."
        ),
        fix=(
            "1. Find the host's CA bundle: "
            '`python -c "import ssl; print(ssl.get_default_verify_paths().cafile)"`.\n'
            "2. Give it to the build: `amldebug build --ca-bundle "
            "/etc/ssl/certs/ca-certificates.crt` "
            "(it is copied into the image and `PIP_CERT`, `REQUESTS_CA_BUNDLE` and conda's "
            "`ssl_verify` point at it).\n"
            "3. In a hand-written Dockerfile: `COPY ca.crt /etc/ssl/certs/proxy-ca.crt` then "
            "`ENV PIP_CERT=/etc/ssl/certs/proxy-ca.crt "
            "REQUESTS_CA_BUNDLE=/etc/ssl/certs/proxy-ca.crt`.\n"
            "4. Never turn verification off (`--trusted-host`, `ssl_verify: false`) in an image "
            "you ship."
        ),
        patterns=(
            r"CERTIFICATE_VERIFY_FAILED",
            r"SSLCertVerificationError",
            r"[Cc]ertificate verify failed",
            r"CondaSSLError",
            r"x509: certificate signed by unknown authority",
            r"SSL certificate problem: (?:self[- ]signed|unable to get local issuer)",
        ),
    ),
    KnownFailure(
        id="pip-no-matching-distribution",
        title="pip found no matching distribution",
        explanation=(
            "pip could not find a release matching a requirement of the environment, so the image "
            "build stopped. Usually a misspelled name, a version pin that does not exist, a "
            "package "
            "that has no wheel for the image's Python version, or an index the build cannot reach."
        ),
        fix=(
            "1. Check the name and the pin: `pip index versions NAME` (or look it up on "
            "pypi.org).\n"
            "2. Fix the line in the conda file's `pip:` section; `amldebug check` points at it.\n"
            "3. If the package needs another Python, change `python=` in the conda file to one "
            "it supports.\n"
            "4. If no version at all is listed, the build cannot reach the index: check the "
            "proxy / CA "
            "bundle (`amldebug build --ca-bundle FILE`)."
        ),
        patterns=(
            r"No matching distribution found for (?P<req>\S+)",
            r"Could not find a version that satisfies the requirement (?P<req>\S+)",
        ),
        superseded_by=("tls-proxy-certificate",),
        key_group="req",
        describe=_describe_pip,
    ),
    KnownFailure(
        id="docker-daemon-unreachable",
        title="The Docker engine is not reachable",
        explanation=(
            "The docker client (or the Docker SDK) could not talk to the Docker engine: the "
            "engine is "
            "not running, the client points at the wrong socket (`DOCKER_HOST`, `docker "
            "context`), or "
            "the user may not use the socket."
        ),
        fix=(
            "1. Start the engine: `sudo systemctl start docker` (Linux), start Docker Desktop "
            "(macOS, "
            "Windows), or `sudo dockerd &` where there is no init system.\n"
            "2. Check: `docker info` must print a Server section.\n"
            "3. On `permission denied`: `sudo usermod -aG docker $USER`, then log in again.\n"
            "4. Without Docker, `amldebug run --runtime process` runs the inference server as a "
            "local "
            "process under the debugger."
        ),
        patterns=(
            r"Cannot connect to the Docker daemon",
            r"Error while fetching server API version",
            r"permission denied while trying to connect to the Docker daemon socket",
            r"error during connect: .*(?:docker|pipe)",
            r"Is the docker daemon running\?",
        ),
    ),
    KnownFailure(
        id="port-already-allocated",
        title="A published port is already in use on the host",
        explanation=(
            "Docker could not publish the container's port because another container or process "
            "already listens on that host port (often the previous debug container, still running)."
        ),
        fix=(
            "1. Stop the old debug container: `amldebug stop` (or `docker stop debug`).\n"
            "2. Or publish on another port: `amldebug run --port 8001` "
            "(`docker run -p 127.0.0.1:8001:5001 ...`)."
        ),
        patterns=(
            r"Bind for [\d.:\[\]]*:(?P<port>\d+) failed: port is already allocated",
            r"port is already allocated",
            r"listen tcp4?6? [\d.:\[\]]*:(?P<port>\d+): bind: address already in use",
            r"Connection in use: \('[^']*', (?P<port>\d+)\)",
        ),
        describe=_describe_port,
    ),
    KnownFailure(
        id="keyvault-access-policy",
        title="Image creation failed with HTTP 500 (workspace Key Vault access policy)",
        explanation=(
            "Image creation answered with an opaque HTTP 500 InternalServerError. The known "
            "cause: the "
            "workspace was deployed from an ARM template and the template was applied again; that "
            "replaced the Key Vault's access policies, so the workspace's identity can no longer "
            "read "
            "the secrets (registry credentials) that image creation needs."
        ),
        fix=(
            "1. Check the Key Vault's access policies in the portal (Key Vault > Access "
            "policies): the "
            "workspace's managed identity must have Get/List/Set/Delete on secrets.\n"
            "2. Add it back: `az keyvault set-policy --name VAULT --object-id "
            "WORKSPACE_IDENTITY_ID "
            "--secret-permissions get list set delete`, then `az ml workspace sync-keys -w WS -g "
            "RG`.\n"
            "3. Stop the template from wiping policies: remove the `accessPolicies` block from "
            "the Key "
            "Vault resource in the template (or add the workspace's policy to it) before "
            "applying it again."
        ),
        patterns=(
            r"Response Code: 500",
            r"\"?statusCode\"?\s*[:=]\s*500",
            r"\"code\"\s*:\s*\"InternalServerError\"",
            r"HTTP (?:status code )?500",
        ),
        requires=(
            r"(?i)(image creation|creating image|image build|Image\.create|create_image"
            r"|package_model|ImageCreation|Key ?Vault)"
        ),
        describe=None,
    ),
    KnownFailure(
        id="module-not-found",
        title="A Python module is missing from the environment",
        explanation=(
            "The entry script (or a module it imports) imports a package that the image's "
            "environment "
            "does not have, so the worker fails while loading score.py."
        ),
        fix=(
            "1. Rebuild the image: `amldebug up` (or redeploy) and check the import works: "
            '`docker exec debug python -c "import MODULE"`.\n'
            "2. `amldebug check` flags imports the conda file does not provide, as you type."
        ),
        patterns=(
            r"ModuleNotFoundError: No module named '(?P<module>[\w.]+)'",
            r"ImportError: No module named '?(?P<module>[\w.]+)'?",
        ),
        key_group="module",
        describe=_describe_module_missing,
        maps_traceback=True,
    ),
    KnownFailure(
        id="model-file-missing",
        title="The model file is not where the script looks",
        explanation=(
            "init() opened a model path that does not exist in the container. Models are mounted "
            "under AZUREML_MODEL_DIR (`/var/azureml-app/azureml-models/<name>/<version>` for one "
            "model); a path relative to the working directory, a different file name, or the model "
            "folder's own name in between (`<AZUREML_MODEL_DIR>/<folder>/model.pkl` when a "
            "folder was "
            "registered) all miss it. `Model.get_model_path()` fails the same way."
        ),
        fix=(
            "1. Build the path from the variable: "
            '`os.path.join(os.getenv("AZUREML_MODEL_DIR"), "<file name as registered>")`.\n'
            "2. Look inside the running debug container: `amldebug model-path` or "
            "`docker exec debug sh -c 'find \"$AZUREML_MODEL_DIR\"'`.\n"
            "3. " + _LOCAL_REPRO
        ),
        patterns=(
            r"(?:FileNotFoundError|IOError|OSError): \[Errno 2\] No such file or directory: "
            r"'(?P<path>[^']*(?:azureml-models|AZUREML_MODEL_DIR|[Mm]odel|\.pkl|\.joblib|\.pt|\.pth"
            r"|\.h5|\.onnx|\.sav|\.bin|\.keras|\.safetensors)[^']*)'",
            r"ModelNotFoundException.*",
            r"Model (?:\S+ )?not found in cache",
            r"(?:FileNotFoundError|OSError): "
            r"(?:Unable to open file|SavedModel file does not exist at:?) .*?(?P<path>/\S+)?$",
        ),
        key_group="path",
        describe=_describe_model_missing,
        maps_traceback=True,
    ),
    KnownFailure(
        id="flask2-register-typeerror",
        title="Flask 2 with an old inference server (register() TypeError)",
        explanation=(
            "Old `azureml-defaults` / inference server versions register their Flask blueprint "
            "in a "
            "way Flask 2 removed, so the server dies at startup with `TypeError: register() "
            "takes 2 "
            "positional arguments but 3 were given` before score.py is even loaded."
        ),
        fix=(
            "1. Upgrade the server in the conda file: `azureml-defaults>=1.44` or "
            "`azureml-inference-server-http>=0.7` (recommended).\n"
            "2. If you must keep the old server, pin Flask below 2: add `flask<2.0` (and "
            "`jinja2<3.1`, "
            "`itsdangerous<2.1`, `werkzeug<2.1`) under `pip:`."
        ),
        patterns=(r"TypeError: register\(\) takes \d positional arguments but \d were given",),
    ),
    KnownFailure(
        id="jinja2-markup-importerror",
        title="Jinja2 3.1 with Flask 1 (cannot import Markup)",
        explanation=(
            "Flask 1.x imports `Markup` and `escape` from Jinja2, which Jinja2 3.1 removed. An old "
            "inference server that pins Flask 1 together with an unpinned Jinja2 crashes at import."
        ),
        fix=(
            "1. Upgrade the inference server (`azureml-inference-server-http>=0.7` or "
            "`azureml-defaults>=1.44`), which uses Flask 2.\n"
            "2. Or pin Jinja2 for the old server: add `jinja2<3.1` (and `itsdangerous<2.1`) "
            "under `pip:`."
        ),
        patterns=(r"ImportError: cannot import name '(?:Markup|escape)' from 'jinja2'",),
    ),
    KnownFailure(
        id="debugpy-address-in-use",
        title="debugpy.listen() called by several workers",
        explanation=(
            "Every gunicorn worker imports score.py and runs init(), so a `debugpy.listen(5678)` "
            "in "
            "the entry script runs once per worker; the second worker finds the port taken and "
            "fails "
            "to boot (worker exit code 3)."
        ),
        fix=(
            "1. Debug with one worker: `WORKER_COUNT=1` (`amldebug run` does this).\n"
            '2. Or listen only once: wrap it in `try: debugpy.listen(("0.0.0.0", 5678))` / '
            "`except RuntimeError: pass`.\n"
            "3. Or let amldebug inject the listener (`amldebug run --wait-for-debugger`) instead "
            "of "
            "editing score.py."
        ),
        patterns=(
            r"Can't listen for client connections: \[Errno 98\] Address already in use",
            r"debugpy.*Address already in use",
        ),
        describe=_describe_debugpy,
        maps_traceback=True,
    ),
    KnownFailure(
        id="init-failed",
        title="The worker failed to boot (init() or the import of score.py raised)",
        explanation=(
            "An exception escaped init() (or the module-level code of the entry script), the "
            "worker "
            "exited with code 3 and gunicorn shut the server down (`Reason: Worker failed to "
            "boot.`). "
            "In AKS or ACI the container then restarts over and over (CrashLoopBackOff)."
        ),
        fix=(
            "1. Read the traceback above the failure; the last frame in score.py is where it "
            "raised.\n"
            "2. " + _LOCAL_REPRO + "\n"
            "3. Set a breakpoint in init(), then `amldebug reload` after each edit."
        ),
        patterns=(
            r"User's init function failed",
            r"Failed to import user script because it raised an unhandled exception",
            r"Worker \(pid:\d+\) exited with code 3",
            r"Reason: Worker failed to boot",
            r"Exit Code:\s+3\b",
            r"\"exitCode\"\s*:\s*3\b",
            r"exited with code 3\b",
        ),
        # The server itself failed to start; the user's init() never ran.
        superseded_by=("flask2-register-typeerror", "jinja2-markup-importerror"),
        describe=_describe_init_failed,
        maps_traceback=True,
    ),
    KnownFailure(
        id="crashloopbackoff",
        title="The container is in CrashLoopBackOff",
        explanation=(
            "Kubernetes starts the container, it exits, and Kubernetes restarts it with a growing "
            "delay. For an Azure ML deployment the exit is nearly always init() raising (exit "
            "code 3), "
            "a missing module or model file, or the container running out of memory (exit code "
            "137)."
        ),
        fix=(
            "1. Read the crashed container's log: `kubectl logs POD --previous -n NAMESPACE` (or "
            "`service.get_logs()`), or let `amldebug k8s status --deployment NAME` fetch and "
            "explain it.\n"
            "2. Look at `Last State: Terminated` / `Exit Code` in `kubectl describe pod POD`: 3 "
            "means "
            "init() failed, 137 means out of memory.\n"
            "3. " + _LOCAL_REPRO
        ),
        patterns=(
            r"CrashLoopBackOff",
            r"Back-off restarting failed container",
        ),
    ),
    KnownFailure(
        id="oom-killed",
        title="The container or a worker ran out of memory",
        explanation=(
            "The kernel killed the process (SIGKILL, exit code 137) because the container reached "
            "its memory limit: the model is larger in memory than the limit allows, or each of "
            "several workers loads its own copy of it."
        ),
        fix=(
            "1. Measure locally: `amldebug up`, send a request, then `docker stats debug` shows "
            "the memory in use.\n"
            "2. Give the deployment more memory: `memory_gb=` in "
            "`AksWebservice.deploy_configuration(...)`, or a larger `instance_type` (v2).\n"
            "3. Run fewer workers (`WORKER_COUNT=1`) or load a smaller model."
        ),
        patterns=(
            r"OOMKilled",
            r"Exit Code:\s+137\b",
            r"\"exitCode\"\s*:\s*137\b",
            r"Worker \(pid:\d+\) was sent SIGKILL! Perhaps out of memory\?",
        ),
        # gunicorn says "Perhaps out of memory?" after a WORKER TIMEOUT too: the timeout is why.
        superseded_by=("worker-timeout-killed",),
    ),
    KnownFailure(
        id="worker-timeout-killed",
        title="A worker was killed after WORKER_TIMEOUT (paused at a breakpoint?)",
        explanation=(
            "gunicorn kills a worker that does not answer within WORKER_TIMEOUT seconds (300 by "
            "default). A request paused at a breakpoint, or a very slow run(), hits it: the "
            "request "
            "fails and the worker is replaced, which also ends the debug session."
        ),
        fix=(
            "1. While debugging, raise the timeout: `docker run -e WORKER_TIMEOUT=3600 ...` "
            "(`amldebug run` sets a long timeout).\n"
            "2. In production, make run() faster or raise `request_timeout_ms` / "
            "`scoring_timeout_ms` "
            "together with WORKER_TIMEOUT."
        ),
        patterns=(r"WORKER TIMEOUT \(pid:\d+\)",),
        describe=_describe_worker_timeout,
        maps_traceback=True,
    ),
    KnownFailure(
        id="scoring-timeout-504",
        title="Scoring timed out (HTTP 504)",
        explanation=(
            "run() took longer than the scoring timeout, so the request was cut off: the cloud "
            "front end answers 504, the inference server logs `UserScriptTimeout`."
        ),
        fix=(
            "1. Measure run() locally: `amldebug invoke --data @sample.json` prints the elapsed "
            "time.\n"
            "2. Make run() faster: load the model once in init(), not per request; batch the "
            "work.\n"
            "3. Or raise the timeout: `request_settings: request_timeout_ms: 90000` (v2 YAML) or "
            "`scoring_timeout_ms=90000` in `AksWebservice.deploy_configuration(...)`."
        ),
        patterns=(
            r"Response Code: 504",
            r"504 Gateway Time-?out",
            r"(?:HTTP|status code|Status)[ :]*504\b",
            r"Script failed to finish execution within the allocated time: \d+ms",
            r"Scoring timeout after \d+ ms",
            r"504 Server Error",
        ),
        describe=_describe_status,
    ),
    KnownFailure(
        id="autoscale-503",
        title="Service unavailable (HTTP 503): autoscaling has not caught up",
        explanation=(
            "AKS answered 503 because every replica was busy: traffic rose faster than the "
            "autoscaler "
            "adds replicas. It scales when utilization passes `autoscale_target_utilization` (70 "
            "% by "
            "default), and not beyond `autoscale_max_replicas`."
        ),
        fix=(
            "1. Compute the replicas you need: `amldebug replicas --target-rps R --request-time S "
            "--max-concurrent C --target-utilization 70`.\n"
            "2. Raise `autoscale_min_replicas` (idle capacity for spikes) and "
            "`autoscale_max_replicas`.\n"
            "3. Lower `autoscale_target_utilization` (e.g. 30) so scaling starts earlier and "
            "leaves "
            "more headroom for spikes.\n"
            "4. In v2 YAML: `scale_settings: "
            "{min_instances, max_instances, target_utilization_percentage}`."
        ),
        patterns=(
            r"Response Code: 503",
            r"503 Service (?:Temporarily )?Unavailable",
            r"(?:HTTP|status code|Status)[ :]*503\b",
            r"503 Server Error",
        ),
    ),
    KnownFailure(
        id="run-failed-502",
        title="run() raised (HTTP 502 from the service, 500 locally)",
        explanation=(
            "An exception escaped run(). The inference server answers 500 and the cloud front end "
            "turns it into 502 Bad Gateway; the traceback is only in the container log."
        ),
        fix=(
            "1. Read the container log (`service.get_logs()`, `amldebug logs`) for the traceback.\n"
            "2. "
            + _LOCAL_REPRO
            + " Then send the failing payload: `amldebug invoke --data @payload.json`.\n"
            "3. While debugging only (never in production) return the error from run(): "
            '`except Exception as error: return {"error": str(error)}`.'
        ),
        patterns=(
            r"Response Code: 502",
            r"502 Bad Gateway",
            r"(?:HTTP|status code|Status)[ :]*502\b",
            r"502 Server Error",
        ),
        traceback_match=lambda traceback: _raised_in_run(traceback),
        maps_traceback=True,
    ),
)
