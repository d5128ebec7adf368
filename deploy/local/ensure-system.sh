#!/usr/bin/env bash
# Installs the machine-level tools the project needs when they are missing: a Java 17+
# runtime and Maven (Kafka from Maven Central), PostgreSQL server binaries, promtool (the
# alert rules' tests, tests/deploy), node and npm (the OpenAPI documents' checks), nginx (the
# one origin of `make up`, deploy/local/proxy.py), Chromium (the browser test of the one inbox)
# and uv.
# Debian's packages are used; nothing is downloaded from outside the package registries.
set -euo pipefail

missing=()
command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
if ! command -v pg_ctl >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  missing+=(postgresql)
fi
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
# node 18+ and npm: the OpenAPI documents' checks (tools/openapi-check); Debian's will do.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
# Debian's nginx lives in /usr/sbin, which a user's PATH may lack.
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
  missing+=(postgresql)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing system packages: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

python="${PYTHON:-python3}"
if ! command -v uv >/dev/null 2>&1 && ! "$python" -m uv --version >/dev/null 2>&1; then
  echo "installing uv from PyPI"
  "$python" -m pip install --user --quiet uv || "$python" -m pip install --quiet uv
fi
