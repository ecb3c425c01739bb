#!/usr/bin/env bash
# Setup path of the docker runtime: installs Debian's docker.io (and debootstrap, which builds the
# node image, with what checks its downloads: the archive keyring, gpgv, https's CAs) when
# missing, and starts dockerd when no engine answers.  The engine gets no default
# bridge and touches no iptables: lab containers run with network_mode=none and get their links
# as veth pairs from baglab, never a route to the host.  Idempotent and quiet when all is present.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then echo "docker-setup needs root" >&2; exit 1; fi
need=()
for pkg in docker.io debootstrap debian-archive-keyring gpgv ca-certificates; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || need+=("$pkg")
done
if ((${#need[@]})); then
  echo "installing: ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
DOCKER=/usr/bin/docker; [ -x "$DOCKER" ] || DOCKER=$(command -v docker)
if "$DOCKER" info >/dev/null 2>&1; then exit 0; fi
# no engine answers: start one (there is no systemd here).  Its own session, so it outlives this
# script; its log beside the lab state.
# no default bridge, no iptables rules, no masquerading or port proxies, and the host's own
# ip_forward left as it is
flags=(--bridge=none --iptables=false --ip-forward=false --ip-masq=false --userland-proxy=false)
if dockerd --help 2>&1 | grep -q -- '--ip6tables'; then flags+=(--ip6tables=false); fi
mkdir -p /var/log/baglab
echo "starting dockerd ${flags[*]} (log: /var/log/baglab/dockerd.log)"
setsid dockerd "${flags[@]}" >>/var/log/baglab/dockerd.log 2>&1 < /dev/null &
deadline=$((SECONDS + 60))
until "$DOCKER" info >/dev/null 2>&1; do
  if ((SECONDS >= deadline)); then
    echo "dockerd did not answer on /var/run/docker.sock within 60 s; last log lines:" >&2
    tail -n 20 /var/log/baglab/dockerd.log >&2
    exit 1
  fi
  sleep 0.2
done
echo "dockerd up: $("$DOCKER" info --format '{{.ServerVersion}}, storage driver {{.Driver}}')"
