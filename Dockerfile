# The service as a container image: Cloud Run, Knative, Kubernetes, or a server in a closed network.
#   docker build -t seda .
#   docker run -p 8080:8080 -v seda-data:/data seda          # FUNCTION_TARGET=<target> serves one resource
# Python 3.11: the version the test suite runs on, and the lowest one constraints.txt is resolved for (every
# runtime pin has manylinux_2_28 wheels for 3.11, 3.12 and 3.13, so another 3.x tag here builds too).
# slim-trixie: Debian 13, the supported stable release. Pin the digest too when you build for production
# (`FROM python:3.11.14-slim-trixie@sha256:…`), so a rebuild cannot pick up a different image under the same tag.
ARG PYTHON_IMAGE=python:3.11.14-slim-trixie

# Build stage: the dependencies into a virtual environment, wheels only, so no compiler is needed or shipped.
FROM ${PYTHON_IMAGE} AS build
WORKDIR /build
COPY requirements.txt constraints.txt ./
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check --only-binary=:all: -r requirements.txt

# Runtime stage: the venv and the code, owned by root and read-only to the service's own user.
FROM ${PYTHON_IMAGE}
# Numeric, so Kubernetes' runAsNonRoot can verify it without reading the image's /etc/passwd.
ARG SEDA_UID=10001
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    FUNCTION_TARGET=api \
    PORT=8080 \
    SEDA_SQLITE_PATH=/data/seda.sqlite3
RUN groupadd --system --gid ${SEDA_UID} seda \
    && useradd --system --uid ${SEDA_UID} --gid seda --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin seda \
    && mkdir /data \
    && chown seda:seda /data
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY . .
# Byte-code compiled now: the service user cannot write beside the code, and a cold start should not compile.
RUN python -m compileall -q /app
USER ${SEDA_UID}:${SEDA_UID}
# The embedded SQLite database (created and filled with the demo fleet on first start) lives here.
VOLUME ["/data"]
EXPOSE 8080
# Liveness only (never the database: an outage must not get a healthy process restarted); readiness is
# /api/v1/health/ready, for the orchestrator's own probe. The first start builds the demo database: start-period.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 CMD ["python", "-m", "tools.probe", "live"]
# The server drains the requests in flight on SIGTERM: give it `docker stop -t 35` (gunicorn waits up to 30 s).
STOPSIGNAL SIGTERM
CMD ["/app/tools/serve.sh"]
