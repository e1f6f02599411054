"""Where each rule means something, in one table: a rule about how a deployment builds or serves
is noise on a file no deployment uses (a notebook kernel's environment, a training job's, an
MLflow model's), and a rule about the inference server is noise where there is none (batch).

The analyzers report everything they find, whatever the context; the engine keeps a diagnostic
only where its rule applies, so this module is the one place that decides.
"""

from __future__ import annotations

from amldebug.analysis.context import AnalysisContext

# Rules about the image a deployment builds: only for files a deployment uses.
DEPLOYMENT_RULES = frozenset(
    {
        "AML203",  # pip used but not declared
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
        "AML216",  # Python past its end of life
    }
)
# Rules about the Azure ML inference server: only where one serves the deployment (online).
ONLINE_RULES = frozenset({"AML204", "AML208", "AML210", "AML211"})
# Rules about the server the environment installs (missing, or no release of it installs on this
# Python): not where Azure ML adds its own server to the image (model packages, v1 images).
SERVER_IN_ENVIRONMENT_RULES = frozenset({"AML204", "AML210"})


# Entry-script rules (the AML1xx family) that hold for a batch driver (batch endpoints,
# ParallelRunStep): it is imported, init() is called without arguments and run(mini_batch) reads
# what init() loaded, as for an online script; but run() answers no HTTP request, so the rules
# about its signature, what it returns and how it reads the model do not apply.
ENTRY_SCRIPT_RULE_PREFIX = "AML1"
BATCH_ENTRY_SCRIPT_RULES = frozenset(
    {
        "AML101",  # init() missing
        "AML102",  # run() missing
        "AML104",  # init() takes parameters
        "AML106",  # global init() forgot
        "AML107",  # syntax error
        "AML108",  # ptvsd
        "AML109",  # debugger hook left in
        "AML116",  # import the environment does not provide
        "AML117",  # undefined name
        "AML119",  # removed API
        "AML120",  # import missing in the built image
    }
)


def applies(code: str, context: AnalysisContext) -> bool:
    if code in DEPLOYMENT_RULES and not context.deployed:
        return False
    if code in SERVER_IN_ENVIRONMENT_RULES and context.server_provided:
        return False
    if context.entry_kind != "batch":
        return True
    if code.startswith(ENTRY_SCRIPT_RULE_PREFIX):
        return code in BATCH_ENTRY_SCRIPT_RULES
    return code not in ONLINE_RULES
