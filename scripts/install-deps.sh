#!/bin/bash
# Install the Debian 12 packages holdfast needs to build, test and demo.
# Idempotent: when everything is present it changes nothing and needs no
# network.  Runs apt-get update before installing anything.
set -euo pipefail

PACKAGES=(
	# build
	build-essential meson ninja-build pkg-config
	libssl-dev libcurl4-openssl-dev libjansson-dev libinih-dev libmicrohttpd-dev
	# holdfast run's sandbox: seccomp (Landlock is the kernel's ABI, no library)
	libseccomp-dev
	# fuzzing and static checks
	clang libclang-rt-14-dev clang-format clang-tidy cppcheck
	# fuzz/campaign.sh: coverage per parser (llvm-profdata, llvm-cov)
	llvm
	# real peers for the tests and the demo
	openssl nginx-light haproxy socat iproute2 python3 python3-cryptography procps
	# Apache (deploy = apache, staples through holdfast's ocsp_listen)
	apache2
	# the crash test's OCSP responder runs with a slow clock (libfaketime)
	faketime
	# the outage drill's prober (TLS handshakes that hand over the staple)
	python3-openssl
	# ACME lab and benchmark: Pebble (the CA), dnsmasq (lab DNS), lego (baseline)
	pebble lego dnsmasq-base curl time
	# audit: c-ares (DNS), libpsl + the list, libidn2 (IDNs); the lab's
	# authoritative servers (knot), resolvers (unbound) and kdig
	libc-ares-dev libpsl-dev publicsuffix libidn2-dev knot knot-dnsutils unbound
	# dns_update: nsupdate sends the RFC 2136 updates (TSIG, BIND key files)
	bind9-dnsutils
	# the Debian package (debian/, tests/integration/package_deb.sh): the
	# tools that build and check it, and what it Depends on and Recommends,
	# so that installing it pulls nothing else from the archive
	dpkg-dev debhelper lintian adduser ca-certificates
	# fleet mode (database =): libpq to build; the PostgreSQL 15 server for
	# tests/integration/store_pg.sh (initdb, pg_ctl, pg_dump, psql)
	libpq-dev postgresql
	# dist/prometheus/holdfast-rules.yml: promtool check rules / test rules
	# (tests/lint/metrics_rules.sh)
	prometheus
)

missing=()
for p in "${PACKAGES[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done
if [ "${#missing[@]}" -eq 0 ]; then
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: need root to install: ${missing[*]}" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The Debian packages start system nginx/haproxy/apache2 (and knotd/unbound) where
# systemd runs; holdfast's tests start their own instances, inside their own
# network namespaces, and need nothing from these.
