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

from collections.abc import Callable
from pathlib import Path

from amldebug.project import Project
from amldebug.troubleshooting.failure_details import (
    describe_debugpy,
    describe_init_failed,
    describe_model_missing,
    describe_module_missing,
    describe_pip,
    describe_port,
    describe_status,
    describe_worker_timeout,
    raised_in_run,
)
from amldebug.troubleshooting.log_matching import (
    ExplainCancelled,
    Finding,
    KnownFailure,
    explain_with,
)

__all__ = ["CATALOGUE", "ExplainCancelled", "Finding", "catalogue_ids", "explain_log"]

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
        describe=describe_pip,
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
            # Tempered prefix: the first occurrence only, so a line repeating it stays linear.
            r"^(?:(?!error during connect: ).)*error during connect: .*(?:docker|pipe)",
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
        describe=describe_port,
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
        describe=describe_module_missing,
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
        describe=describe_model_missing,
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
            r"^(?:(?!debugpy).)*debugpy.*Address already in use",
        ),
        describe=describe_debugpy,
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
        describe=describe_init_failed,
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
        describe=describe_worker_timeout,
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
        describe=describe_status,
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
        traceback_match=lambda traceback: raised_in_run(traceback),
        maps_traceback=True,
    ),
)


def explain_log(
    text: str,
    project: Project | Path | str | None = None,
    cancel: Callable[[], bool] | None = None,
) -> list[Finding]:
    """Every known failure in `text`, ordered by the line where it first shows.

    `project` (a `Project` or a folder) maps `/var/azureml-app/...` traceback paths to local files
    and names the project's conda file in fixes. The same failure repeated (a crash loop prints it
    on every restart) is one finding with `count`. Returns [] when nothing is recognised.
    `cancel`, checked as the work goes, stops it early with `ExplainCancelled`.
    """
    return explain_with(CATALOGUE, text, project, cancel)


def catalogue_ids() -> list[str]:
    return [entry.id for entry in CATALOGUE]
