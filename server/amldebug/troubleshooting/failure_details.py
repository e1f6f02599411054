"""Specifics of one occurrence of a known failure, read from its match and the rest of the log."""

from __future__ import annotations

import re
from pathlib import Path

from amldebug.troubleshooting.log_matching import Details, LogView
from amldebug.troubleshooting.paths import MappedTraceback, traceback_for_line

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


def describe_init_failed(match: re.Match[str], line: int, view: LogView) -> Details:
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


def describe_model_missing(match: re.Match[str], line: int, view: LogView) -> Details:
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


def distribution_for_module(module: str) -> tuple[str, bool]:
    """The distribution to install for `import module`, and whether the generated import table
    knows it (`sklearn` -> `scikit-learn`) rather than guessing the top-level name."""
    from amldebug.analysis.import_map import distribution_for_import, is_known_distribution

    found = distribution_for_import(module)
    if found and is_known_distribution(found):
        return found, True
    return module.split(".")[0].replace("_", "-").lower(), False


def describe_module_missing(match: re.Match[str], line: int, view: LogView) -> Details:
    module = match.group("module")
    distribution, known = distribution_for_module(module)
    conda = "the conda file"
    if view.project is not None and view.project.conda_file is not None:
        conda = f"`{view.project.relative(view.project.conda_file)}`"
    where = _where(view, line)
    text = (
        f"The environment has no module `{module}`"
        + (f" (imported at {where})" if where else "")
        + "."
    )
    if known:
        text += f" It comes from the `{distribution}` distribution."
    else:
        text += (
            f" amldebug's package table does not know which distribution provides it; it is "
            f"often `{distribution}`, but check on PyPI (the import name and the distribution's "
            "name can differ)."
        )
    fix = (
        f"Add `{distribution}` to {conda}, under `dependencies:` → `- pip:`:\n"
        f"   ```yaml\n   dependencies:\n     - pip:\n       - {distribution}\n   ```"
    )
    return Details(text, fix)


def describe_pip(match: re.Match[str], line: int, view: LogView) -> Details:
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


def describe_worker_timeout(match: re.Match[str], line: int, view: LogView) -> Details:
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


def describe_debugpy(match: re.Match[str], line: int, view: LogView) -> Details:
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


def describe_port(match: re.Match[str], line: int, view: LogView) -> Details:
    port = match.groupdict().get("port")
    if not port:
        return Details()
    return Details(
        f"Port {port} on the host is taken.",
        f"See what holds it: `docker ps --filter publish={port}` (a container) or "
        f"`ss -ltnp 'sport = :{port}'` (a process).",
    )


def describe_status(match: re.Match[str], line: int, view: LogView) -> Details:
    timeout = re.search(r"(?:allocated time|timeout after):?\s*(?P<ms>\d+)\s*ms", match.string)
    if timeout:
        return Details(f"The scoring timeout was {timeout.group('ms')} ms.")
    return Details()


def raised_in_run(traceback: MappedTraceback) -> bool:
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
