"""Defaults of the debug loop that the CLI needs to build its parser, without importing Docker.

(`amldebug --help` and every other verb would otherwise pay for the Docker SDK's import.)
"""

DEFAULT_BASE_IMAGE = "mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cpu-inference:latest"
DEFAULT_TAG = "debug:1"
DEFAULT_NAME = "debug"
RUNTIMES = ("docker", "process", "auto")
