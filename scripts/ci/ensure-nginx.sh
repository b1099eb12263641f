#!/usr/bin/env bash
# Installs Debian's nginx-light where nginx is missing, for the rate-limit tests (test/helpers/nginx.ts).
# Non-interactive; without root or apt-get it says why and exits 0, and those tests skip with the same reason.
set -euo pipefail
if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-nginx: nginx is missing and cannot be installed here (needs root and apt-get); the nginx tests will skip" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
install() { apt-get install -y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold nginx-light >/dev/null 2>&1; }
# A failed install never fails CI: the nginx tests skip and say why.
if ! install && ! { apt-get update -q >/dev/null 2>&1 && install; }; then
  echo "ensure-nginx: apt-get could not install nginx-light; the nginx tests will skip" >&2
  exit 0
fi
# The package's own service is not wanted: tests start nginx as a child on a loopback port.
if command -v service >/dev/null 2>&1; then service nginx stop >/dev/null 2>&1 || true; fi
echo "ensure-nginx: installed $(/usr/sbin/nginx -v 2>&1)"
