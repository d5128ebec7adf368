# syntax=docker/dockerfile:1
#
# The image of any bizdev service: one Dockerfile, the service named at build time. Build from
# the repository root (the uv workspace is the context):
#
#   docker build --build-arg SERVICE=projects -t bizdev/projects:dev .
#
# The image runs either role of the service, named as the command's argument:
#
#   docker run bizdev/projects:dev api       # HTTP (the default)
#   docker run bizdev/projects:dev worker    # relay, projectors, reactions, scheduler
#
# Stages:
#   manifests  only the workspace's pyproject.toml files, so third-party dependencies get a layer
#              that is rebuilt when a manifest or uv.lock changes, not on every source edit
#   builder    uv (from PyPI) resolves nothing: it installs exactly uv.lock into /app/.venv,
#              the workspace packages as real wheels (--no-editable), no dev group
#   runtime    python:3.11-slim + /app/.venv, non-root, no build tools, no uv

ARG PYTHON_IMAGE=python:3.11-slim

# ---------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS manifests
WORKDIR /src
COPY libs/ libs/
COPY services/ services/
# Keep the directory tree but only the manifests (every workspace member must be present for
# uv to load the workspace, including services this image does not install).
RUN find libs services -type f ! -name pyproject.toml -delete \
    && find libs services -depth -type d -empty -delete

# ---------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS builder

ARG SERVICE
ARG UV_VERSION=0.13.9
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3.11 \
    UV_PROJECT_ENVIRONMENT=/app/.venv

RUN test -n "${SERVICE}" || (echo "build with --build-arg SERVICE=<a folder of services/>" && false)
RUN pip install "uv==${UV_VERSION}"

WORKDIR /src

# 1. Third-party dependencies only (cached until uv.lock or a pyproject.toml changes).
COPY pyproject.toml uv.lock ./
COPY --from=manifests /src/ ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable --no-install-workspace --package "bizdev-${SERVICE}"

# 2. The workspace packages themselves (bizdev-common and the service), built as wheels so the
#    venv does not point back into /src.
COPY libs/ libs/
COPY services/ services/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable --package "bizdev-${SERVICE}" \
    && ln -s "/app/.venv/bin/bizdev-${SERVICE}" /app/.venv/bin/bizdev-service

# ---------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

ARG SERVICE
LABEL org.opencontainers.image.title="bizdev-${SERVICE}" \
      org.opencontainers.image.description="bizdev ${SERVICE} service: the api and worker roles"

# A fixed numeric UID/GID so Kubernetes can verify runAsNonRoot without a passwd lookup.
RUN groupadd --system --gid 10001 bizdev \
    && useradd --system --uid 10001 --gid bizdev --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin bizdev

COPY --from=builder --chown=root:root /app/.venv /app/.venv

ENV PATH="/app/.venv/bin:${PATH}" \
    VIRTUAL_ENV=/app/.venv \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    BIZDEV_SERVICE=${SERVICE} \
    OTEL_SERVICE_NAME=bizdev-${SERVICE}

WORKDIR /app
USER 10001:10001

EXPOSE 8000 8081

# slim has no curl: probe /healthz (liveness only, no dependencies) with the venv's python, on
# the port of whichever role this container runs.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request as u\np = 'BIZDEV_' + os.environ['BIZDEV_SERVICE'].upper() + '_'\ndef ok(port):\n    try:\n        return u.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=4).status == 200\n    except OSError:\n        return False\nports = (os.environ.get(p + 'HTTP_PORT', '8000'), os.environ.get(p + 'WORKER_HTTP_PORT', '8081'))\nsys.exit(0 if any(map(ok, ports)) else 1)"]

ENTRYPOINT ["bizdev-service"]
CMD ["api"]
