#!/usr/bin/env bash
# Installs what baglab needs and is missing: Debian packages and a venv with the package.
# Idempotent and quiet when everything is present, so 'make lab-up' can always call it.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
# frr-pythontools: frr-reload.py (rollout); debootstrap: roots of other FRR versions, whose downloads
# are checked against debian-archive-keyring (gpgv) and fetched over https (ca-certificates)
for pkg in frr frr-pythontools iproute2 nftables tcpdump debootstrap debian-archive-keyring gpgv ca-certificates; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || need+=("$pkg")
done
if ((${#need[@]})); then
  if [ "$(id -u)" != 0 ]; then echo "missing Debian packages: ${need[*]} (run as root)" >&2; exit 1; fi
  echo "installing: ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# the packaged FRR service runs in the host namespace; the lab never needs it
if command -v systemctl >/dev/null && systemctl is-active --quiet frr 2>/dev/null; then
  systemctl stop frr || true
fi
PY=${PYTHON:-python3}
if ! "$PY" -c 'import venv, ensurepip' 2>/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
fi
if [ ! -x .venv/bin/baglab ] || [ pyproject.toml -nt .venv/.installed ]; then
  "$PY" -m venv .venv
  .venv/bin/pip install -q --upgrade pip >/dev/null
  .venv/bin/pip install -q -e '.[test,docs]'
  touch .venv/.installed
fi
