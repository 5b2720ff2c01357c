#!/bin/sh
# System packages the tests use: PostgreSQL (storage conformance), Chromium (dashboard),
# systemd's systemd-analyze, nginx, Caddy and OpenSSL (the unit, the reverse proxies and their
# certificate in docs/self-hosting.md).
# Installed from Debian when absent and when we are root; otherwise the tests that need
# them fail with a message that points here.
set -e
need=""
[ -x /usr/lib/postgresql/15/bin/initdb ] || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need="$need postgresql"
[ -x /usr/bin/chromium ] || need="$need chromium"
command -v systemd-analyze >/dev/null 2>&1 || need="$need systemd"
command -v nginx >/dev/null 2>&1 || need="$need nginx-light"
command -v caddy >/dev/null 2>&1 || need="$need caddy"
command -v openssl >/dev/null 2>&1 || need="$need openssl"
if [ -n "$need" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "apilens: installing$need from Debian" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq $need >/dev/null
  else
    echo "apilens: missing system packages:$need (install them, e.g. apt-get install$need)" >&2
    exit 1
  fi
fi
