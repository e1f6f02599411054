#!/usr/bin/env bash
# Python side on a bare machine: the amldebug package with its test tools in .venv, and the real
# Azure ML inference server in its own venv (its pydantic pin conflicts with the kubernetes client,
# so it can never share an environment with amldebug itself).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'

SERVER_VENV=${AMLDEBUG_PROCESS_VENV:-/opt/amlinf}
if [ ! -x "$SERVER_VENV/bin/azmlinfsrv" ]; then
  "$PYTHON" -m venv "$SERVER_VENV"
  "$SERVER_VENV/bin/python" -m pip install --quiet --upgrade pip
  "$SERVER_VENV/bin/python" -m pip install --quiet 'azureml-inference-server-http==1.5.1' 'debugpy==1.8.22'
fi
echo "amldebug: .venv ready; inference server in $SERVER_VENV"
