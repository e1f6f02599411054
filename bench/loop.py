"""Speed of the Docker debug loop, measured against a real engine.

    python bench/loop.py [--base-image amldebug-test/python-base:bookworm] [--repeat 5] [--json]

Figures (targets from issue 3):
- reload: an edited score.py is served <= 1.5 s after `amldebug reload` starts (CLI process
  included), median and worst of --repeat runs;
- warm up: `amldebug up` after editing only score.py, <= 10 s, with zero package layers rebuilt;
- start to ready: container start until `GET /` answers, as a ratio to the bare inference server
  (no wrapper, no debugpy) started in the same image in the same run, and to the bare server as a
  local process when one is installed (AMLDEBUG_PROCESS_PYTHON or /opt/amlinf).

The amldebug package's bytecode is compiled first, as `pip install .` does (with
PYTHONDONTWRITEBYTECODE=1 each CLI process would compile its modules from source;
`--no-precompile` measures that).

Cold build against the hand-written recipe (`--cold-builds N`, issue 12: target <= 0.8x): N
rounds, order alternated, each build of either kind made cold by a marker in its environment
file (the base image is shared; ours installs the environment whole, never from a kept one).
The recipe is the guide's way: a venv, `pip install` of the conda file's pip entries plus the
inference server and debugpy, then the model and the code copied in. In each round, after the
two cold builds, the build after adding one package (`--add-package`, default six) to that
round's conda file, as a ratio to the round's cold build (target <= 0.3x).

Start to ready alternates ours and the bare server (ours with the container's own network in
place, as every `up` after the first finds it; the first start, which makes it, is reported
apart); the load average is reported (the machine is shared: compare the ratios, measured in one
run, rather than the seconds).

Needs `.ci/setup-docker.sh` (engine + base image). Leaves nothing running; `--keep` keeps images.
"""

from __future__ import annotations

import argparse
import compileall
import dataclasses
import io
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "server"))

from amldebug.containers.build import (  # noqa: E402
    build_debug_image,
    build_options_from_environment,
)
from amldebug.containers.docker_engine import DockerEngine, connect  # noqa: E402
from amldebug.containers.dockerfile import translate_conda_to_pip  # noqa: E402
from amldebug.containers.run import RunOptions, run_debug_container  # noqa: E402
from amldebug.project import discover_project  # noqa: E402

WORKING = REPO / "examples" / "working-project"
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def post(port: int) -> dict[str, Any]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/score",
        data=(WORKING / "sample-request.json").read_bytes(),
        headers={"Content-Type": "application/json"},
    )
    with _opener.open(request, timeout=30) as response:
        return dict(json.loads(response.read()))


def healthy(port: int) -> bool:
    try:
        with _opener.open(f"http://127.0.0.1:{port}/", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def wait_healthy(port: int, timeout: float = 60) -> float:
    started = time.monotonic()
    while not healthy(port):
        if time.monotonic() - started > timeout:
            raise RuntimeError(f"port {port} never answered")
        time.sleep(0.01)
    return time.monotonic() - started


def amldebug(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "amldebug", *args], capture_output=True, text=True, check=False
    )


def measure_reload(project: Path, name: str, port: int, repeat: int) -> list[float]:
    score_py = project / "score.py"
    original = score_py.read_text()
    figures = []
    for attempt in range(repeat):
        marker = f"reload-{attempt}-{uuid.uuid4().hex[:6]}"
        score_py.write_text(
            original.replace(
                'return {"predictions": predictions}',
                f'return {{"predictions": predictions, "marker": "{marker}"}}',
            )
        )
        started = time.monotonic()
        done = amldebug("reload", str(project), "--name", name)
        if done.returncode != 0:
            raise RuntimeError(f"reload failed: {done.stderr}")
        while post(port).get("marker") != marker:
            time.sleep(0.01)
        figures.append(time.monotonic() - started)
    score_py.write_text(original)
    return figures


# The hand-written Dockerfile a user would write following the guide (the benchmark's yardstick).
HAND_RECIPE = """\
FROM {base_image}
COPY ca.pem /tmp/ca.pem
COPY requirements.txt /tmp/requirements.txt
RUN python3 -m venv /opt/venv \\
 && PIP_CERT=/tmp/ca.pem /opt/venv/bin/pip install --no-cache-dir -r /tmp/requirements.txt \\
 && rm /tmp/ca.pem /tmp/requirements.txt
COPY model /var/azureml-app/azureml-models/model/1/model
COPY code /var/azureml-app
ENV PATH=/opt/venv/bin:$PATH AZUREML_MODEL_DIR=/var/azureml-app/azureml-models/model/1
WORKDIR /var/azureml-app
CMD ["azmlinfsrv", "--entry_script", "score.py", "--port", "5001"]
"""


def build_hand_recipe(
    engine: DockerEngine, project: Path, base_image: str, ca_bundle: Path, tag: str, marker: str
) -> float:
    """Seconds to build the hand-written recipe for `project` (cold: `marker` is new)."""
    conda = (project / "conda.yml").read_text()
    pip_entries = [r.requirement for r in translate_conda_to_pip(conda).requirements]
    pip_entries = [r for r in pip_entries if not r.startswith("pip")]
    requirements = "\n".join(
        [f"# {marker}", *pip_entries, "azureml-inference-server-http", "debugpy", ""]
    )
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as archive:

        def add(name: str, data: bytes) -> None:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            archive.addfile(info, io.BytesIO(data))

        add("Dockerfile", HAND_RECIPE.format(base_image=base_image).encode())
        add("ca.pem", ca_bundle.read_bytes())
        add("requirements.txt", requirements.encode())
        for path in sorted((project / "model").rglob("*")):
            if path.is_file():
                add(f"model/{path.relative_to(project / 'model').as_posix()}", path.read_bytes())
        for path in sorted(project.rglob("*")):
            if path.is_file() and "model" not in path.relative_to(project).parts[:1]:
                add(f"code/{path.relative_to(project).as_posix()}", path.read_bytes())
    context.seek(0)
    started = time.monotonic()
    for chunk in engine.build(context, tag=tag):
        if "error" in chunk:
            raise RuntimeError(f"the hand-written recipe failed: {chunk['error']}")
    return time.monotonic() - started


def build_ours(
    engine: DockerEngine,
    project: Path,
    base_image: str,
    ca_bundle: str,
    tag: str,
    marker: str,
    *,
    add_package: str | None = None,
) -> tuple[float, str]:
    """Seconds for `amldebug build` of `project` and its environment image. Cold: `marker` in the
    conda file is new and the environment is installed whole. With `add_package`: that package
    added to the conda file of the cold build of `marker`, built as the user would build it."""
    conda = project / "conda.yml"
    original = conda.read_text()
    extra = f"      - {add_package}\n" if add_package else ""
    conda.write_text(original + extra + f"# {marker}\n")
    try:
        options = dataclasses.replace(
            build_options_from_environment(base_image=base_image, tag=tag, ca_bundle=ca_bundle),
            extend_environment=add_package is not None,
        )
        result = build_debug_image(discover_project(project), options, engine)
        assert result.environment is not None
        if result.package_steps_cached:
            raise RuntimeError("the build reused the whole environment")
        if add_package and result.environment.extended_from is None:
            raise RuntimeError("the build after adding a package installed everything again")
        return result.seconds, result.environment.image
    finally:
        conda.write_text(original)


def measure_cold_builds(
    engine: DockerEngine,
    project: Path,
    base_image: str,
    ca_bundle: str,
    rounds: int,
    run_id: str,
    add_package: str,
) -> dict[str, Any]:
    """Ours against the hand-written recipe, cold, order alternated round by round; then, each
    round, the build after adding `add_package` to that round's conda file."""
    bundle = build_options_from_environment(
        base_image=base_image, tag="x", ca_bundle=ca_bundle
    ).ca_bundle
    if bundle is None:
        raise RuntimeError("the recipe needs a CA bundle here (--ca-bundle auto)")
    ours: list[float] = []
    recipe: list[float] = []
    added: list[float] = []
    tags = []
    for round_ in range(rounds):
        marker = f"cold-{run_id}-{round_}"
        ours_tag, recipe_tag = f"amldebug-bench-cold:{marker}", f"amldebug-bench-recipe:{marker}"
        added_tag = f"amldebug-bench-added:{marker}"
        tags += [ours_tag, recipe_tag, added_tag]
        order = ("ours", "recipe") if round_ % 2 == 0 else ("recipe", "ours")
        for kind in order:
            if kind == "ours":
                seconds, environment = build_ours(
                    engine, project, base_image, ca_bundle, ours_tag, marker
                )
                ours.append(seconds)
                tags.append(environment)
            else:
                recipe.append(
                    build_hand_recipe(engine, project, base_image, bundle, recipe_tag, marker)
                )
            figure = (ours if kind == "ours" else recipe)[-1]
            print(f"cold build, {kind}, round {round_ + 1}: {figure:.2f} s", file=sys.stderr)
        # Unique per round (never found whole), satisfied by any release of the package.
        package = f"{add_package}!=0.0.{int(run_id, 16)}{round_}"
        seconds, environment = build_ours(
            engine, project, base_image, ca_bundle, added_tag, marker, add_package=package
        )
        added.append(seconds)
        tags.append(environment)
        print(
            f"build after adding {add_package}, round {round_ + 1}: {seconds:.2f} s",
            file=sys.stderr,
        )
    for tag in tags:
        try:
            engine.remove_image(tag)
        except Exception as error:  # a busy engine times out; the figures still count
            print(f"could not remove {tag}: {error}", file=sys.stderr)
    ratios = [a / b for a, b in zip(ours, recipe, strict=True)]
    added_ratios = [a / b for a, b in zip(added, ours, strict=True)]
    return {
        "cold_build_s": [round(x, 2) for x in ours],
        "recipe_build_s": [round(x, 2) for x in recipe],
        "cold_ratio_median": round(statistics.median(ratios), 2),
        "cold_ratio_target": 0.8,
        "added_package": add_package,
        "add_package_build_s": [round(x, 2) for x in added],
        "add_package_ratio_median": round(statistics.median(added_ratios), 2),
        "add_package_ratio_target": 0.3,
    }


def measure_bare_container(engine: Any, image: str) -> float:
    """The inference server alone in the same image: the user's score.py, no wrapper, no debugpy."""
    port = free_port()
    name = f"amldebug-bench-bare-{uuid.uuid4().hex[:6]}"
    started = time.monotonic()
    engine.run_container(
        image,
        name=name,
        environment={
            "AZUREML_ENTRY_SCRIPT": "/var/azureml-app/score.py",
            "AMLDEBUG_DEBUG_PORT": "0",
        },
        command=["azmlinfsrv", "--entry_script", "/var/azureml-app/score.py", "--port", "5001"],
        ports={"5001/tcp": ("127.0.0.1", port)},
    )
    try:
        wait_healthy(port)
        return time.monotonic() - started
    finally:
        engine.remove_container(name)


def measure_bare_process(project: Path) -> float | None:
    python = os.environ.get("AMLDEBUG_PROCESS_PYTHON") or "/opt/amlinf/bin/python"
    if not Path(python).exists():
        return None
    port = free_port()
    # The model folder keeps its name under AZUREML_MODEL_DIR, as in Azure ML.
    env = {**os.environ, "AZUREML_MODEL_DIR": str(project)}
    started = time.monotonic()
    process = subprocess.Popen(
        [
            python,
            "-m",
            "azureml_inference_server_http.amlserver",
            "--entry_script",
            str(project / "score.py"),
            "--port",
            str(port),
        ],
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_healthy(port)
        return time.monotonic() - started
    finally:
        process.terminate()
        process.wait(timeout=10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-image", default="amldebug-test/python-base:bookworm")
    parser.add_argument("--ca-bundle", default="auto")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the bench image")
    parser.add_argument(
        "--cold-builds",
        type=int,
        default=0,
        help="rounds of cold builds, ours against the hand-written recipe (0: skip)",
    )
    parser.add_argument(
        "--add-package",
        default="six",
        help="the package added to the conda file after each round's cold build (default six)",
    )
    parser.add_argument(
        "--only-cold-builds", action="store_true", help="measure the cold builds and nothing else"
    )
    parser.add_argument(
        "--no-precompile",
        action="store_true",
        help="do not compile the amldebug package's bytecode first (CLI start-up from source)",
    )
    args = parser.parse_args()
    if not args.no_precompile:
        compileall.compile_dir(REPO / "server" / "amldebug", quiet=1)

    engine = connect(timeout=300)  # builds and removals on a loaded machine are slow
    load_at_start = os.getloadavg()[0]
    run_id = uuid.uuid4().hex[:6]
    tag = f"amldebug-bench:{run_id}"
    name = f"amldebug-bench-{run_id}"
    workdir = Path(tempfile.mkdtemp(prefix="amldebug-bench-"))
    project = workdir / "project"
    shutil.copytree(WORKING, project)
    results: dict[str, Any] = {}
    if args.cold_builds or args.only_cold_builds:
        try:
            results.update(
                measure_cold_builds(
                    engine,
                    project,
                    args.base_image,
                    args.ca_bundle,
                    args.cold_builds or 2,
                    run_id,
                    args.add_package,
                )
            )
        finally:
            if args.only_cold_builds:
                shutil.rmtree(workdir, ignore_errors=True)
        if args.only_cold_builds:
            results["load_average"] = [round(load_at_start, 2), round(os.getloadavg()[0], 2)]
            print(json.dumps(results, indent=2))
            return 0
    try:
        options = build_options_from_environment(
            base_image=args.base_image, tag=tag, ca_bundle=args.ca_bundle
        )
        first = build_debug_image(discover_project(project), options, engine)
        results["first_build_s"] = round(first.seconds, 2)
        results["first_build_packages_cached"] = first.package_steps_cached

        # Container start to ready, ours (wrapper + debugpy) against the bare server, alternated.
        # The first start also makes the container's own network (debug_network.py); later ones
        # find it, as every `up` after the first does (the container alone is replaced).
        def start_ours() -> float:
            run = run_debug_container(
                discover_project(project),
                RunOptions(image=tag, name=name, port=free_port(), debug_port=free_port()),
                engine,
            )
            engine.client.containers.get(name).remove(force=True)  # the network stays
            return run.seconds

        results["first_start_to_ready_s"] = round(start_ours(), 2)
        ours: list[float] = []
        bare: list[float] = []
        for attempt in range(max(2, args.repeat)):
            for kind in ("ours", "bare") if attempt % 2 == 0 else ("bare", "ours"):
                if kind == "bare":
                    bare.append(measure_bare_container(engine, tag))
                else:
                    ours.append(start_ours())
        process = measure_bare_process(project)
        results["start_to_ready_all_s"] = [round(x, 2) for x in ours]
        results["bare_container_all_s"] = [round(x, 2) for x in bare]
        results["start_to_ready_s"] = round(statistics.median(ours), 2)
        results["bare_container_start_to_ready_s"] = round(statistics.median(bare), 2)
        results["ratio_to_bare_container"] = round(
            statistics.median(ours) / statistics.median(bare), 2
        )
        if process is not None:
            results["bare_process_start_to_ready_s"] = round(process, 2)
            results["ratio_to_bare_process"] = round(statistics.median(ours) / process, 2)

        # Warm `up` after editing only score.py, as the user runs it (a CLI process).
        score_py = project / "score.py"
        score_py.write_text(score_py.read_text() + f"\n# bench edit {run_id}\n")
        port, debug_port = free_port(), free_port()
        started = time.monotonic()
        up = amldebug(
            "up",
            str(project),
            "--base-image",
            args.base_image,
            "--tag",
            tag,
            "--ca-bundle",
            args.ca_bundle,
            "--name",
            name,
            "--port",
            str(port),
            "--debug-port",
            str(debug_port),
            "--runtime",
            "docker",
            "--json",
            "--quiet",
        )
        warm = time.monotonic() - started
        if up.returncode != 0:
            raise RuntimeError(f"up failed: {up.stderr}")
        up_result = json.loads(up.stdout)
        results["warm_up_s"] = round(warm, 2)
        results["warm_up_package_layers_cached"] = up_result["build"]["packageLayersCached"]
        assert post(port) == {"predictions": [14.0, 17.75]}

        reloads = measure_reload(project, name, port, args.repeat)
        results["reload_median_s"] = round(statistics.median(reloads), 2)
        results["reload_max_s"] = round(max(reloads), 2)
        results["targets"] = {"reload_s": 1.5, "warm_up_s": 10.0, "start_to_ready_ratio": 1.2}
    finally:
        engine.remove_container(name)
        if not args.keep:
            engine.remove_image(tag)
        shutil.rmtree(workdir, ignore_errors=True)

    results["load_average"] = [round(load_at_start, 2), round(os.getloadavg()[0], 2)]
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        if "cold_ratio_median" in results:
            print(
                f"cold build:               ours {results['cold_build_s']} s, hand-written recipe "
                f"{results['recipe_build_s']} s (median x{results['cold_ratio_median']}, "
                "target <= 0.8)"
            )
            print(
                f"after adding {results['added_package']}:       "
                f"{results['add_package_build_s']} s (median x"
                f"{results['add_package_ratio_median']} of the cold build, target <= 0.3)"
            )
        print(f"first build:              {results['first_build_s']:.2f} s")
        print(
            f"warm up (score.py edit):  {results['warm_up_s']:.2f} s "
            f"(target <= 10 s; package layers cached: {results['warm_up_package_layers_cached']})"
        )
        print(
            f"reload:                   median {results['reload_median_s']:.2f} s, "
            f"max {results['reload_max_s']:.2f} s (target <= 1.5 s)"
        )
        print(
            f"first start to ready:     {results['first_start_to_ready_s']:.2f} s (makes the "
            "container's own network)"
        )
        print(
            f"start to ready:           {results['start_to_ready_s']:.2f} s; bare server in the "
            f"same image {results['bare_container_start_to_ready_s']:.2f} s "
            f"(x{results['ratio_to_bare_container']}, target <= 1.2)"
        )
        if "bare_process_start_to_ready_s" in results:
            print(
                f"bare server as a local process: {results['bare_process_start_to_ready_s']:.2f} s "
                f"(ours x{results['ratio_to_bare_process']})"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
