"""Deployment discovery: which entry script is deployed with which environment, and why.

`scan_deployments(root)` finds every deployment in a tree; `DeploymentIndex` answers which
deployments use a file. The analysis rules read that answer to run only where they mean something.
"""

from amldebug.deployments.index import (
    CONVENTIONAL_CONDA_FILES,
    DeploymentIndex,
    conventional_deployment,
    defines_init_or_run,
    has_entry_points,
    looks_like_batch_driver,
    parses,
    scan_deployments,
)
from amldebug.deployments.model import (
    Deployment,
    EnvironmentSource,
    MissingReference,
    ModelSource,
    Origin,
)

__all__ = [
    "CONVENTIONAL_CONDA_FILES",
    "Deployment",
    "DeploymentIndex",
    "EnvironmentSource",
    "MissingReference",
    "ModelSource",
    "Origin",
    "conventional_deployment",
    "defines_init_or_run",
    "has_entry_points",
    "looks_like_batch_driver",
    "parses",
    "scan_deployments",
]
