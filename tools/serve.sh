#!/bin/sh
# The one command that serves the API: the image's CMD (Dockerfile) and the Procfile's web process.
#
# It starts the service exactly as the Cloud Functions buildpack does (its web process is `functions-framework`
# with FUNCTION_TARGET set): the framework sees that the target is an async handler and serves it with
# gunicorn's uvicorn worker (one worker unless WORKERS says otherwise). The framework also reads PORT (default
# 8080) and HOST (default 0.0.0.0) itself. `exec` replaces this shell, so the server is the process that receives
# SIGTERM and drains the requests in flight (shared/lifecycle.py) — as PID 1 in a container.
set -eu
exec functions-framework --target="${FUNCTION_TARGET:-api}"
