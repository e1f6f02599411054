"""Where each rule means something, in one table: a rule about how a deployment builds or serves
is noise on a file no deployment uses (a notebook kernel's environment, a training job's, an
MLflow model's), and a rule about the inference server is noise where there is none (batch).

The analyzers may report anything; the engine keeps a diagnostic only where its rule applies.
"""

from __future__ import annotations

from amldebug.analysis.context import AnalysisContext

# Rules about the image a deployment builds: only for files a deployment uses.
DEPLOYMENT_RULES = frozenset(
    {
        "AML204",  # no inference server
        "AML206",  # unpinned dependency
        "AML208",  # pins a package the server manages
        "AML209",  # ptvsd listed
        "AML210",  # Python the server cannot run
        "AML211",  # Flask and old server
        "AML212",  # standard-library name as a pip entry
        "AML213",  # pin needs a newer Python
        "AML214",  # pins that do not resolve
        "AML215",  # could not resolve
    }
)
# Rules about the Azure ML inference server: only where one serves the deployment (online).
ONLINE_RULES = frozenset({"AML204", "AML208", "AML210", "AML211"})
# Rules about the server missing from the environment: not where Azure ML adds it to the image.
SERVER_IN_ENVIRONMENT_RULES = frozenset({"AML204"})


def applies(code: str, context: AnalysisContext) -> bool:
    if code in DEPLOYMENT_RULES and not context.deployed:
        return False
    if code in SERVER_IN_ENVIRONMENT_RULES and context.server_provided:
        return False
    return not (code in ONLINE_RULES and context.entry_kind == "batch")
