#!/bin/bash
# The main job on a self-contained local default: install the Debian
# packages, build holdfast, then, inside a private network namespace,
#   1. make a test CA (root, intermediate, a site certificate whose AIA names
#      a dead responder first and a live one second),
#   2. start `openssl ocsp` as the CA's OCSP responder,
#   3. run `holdfast staple`: it fails over past the dead URL, validates the
#      response and stores it atomically,
#   4. start nginx stapling that file and show the staple a client receives,
#   5. take the responder down and show holdfast keeping the valid staple
#      (exit 1), then show what happens once it has expired (exit 2: the file
#      becomes a tryLater placeholder so nginx stops serving the stale one);
# then, in a namespace of its own, the outage drill (`holdfast drill
# --short`, scripts/drill.sh): two Pebble CAs, DNS, OCSP responders, nginx
# and the daemon through the primary CA's clientHold, a responder outage
# and a restart, with a handshake per second judged and a verdict.
# Idempotent; everything is removed afterwards (HF_KEEP=1 keeps the files).
# Exit status: the drill's (0 PASS, 2 FAIL, 3 UNKNOWN), or 1 when the
# staple demonstration could not be run.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)

if [ -z "${HF_LAB_NETNS:-}" ]; then
	"$ROOT/scripts/install-deps.sh"
	[ -f "$ROOT/build/build.ninja" ] || meson setup "$ROOT/build" >/dev/null
	ninja -C "$ROOT/build" >/dev/null
	# The staple demonstration: this script again, inside a namespace
	# (lab_enter_netns exits, so it runs in a subshell).
	rc=0
	(
		# shellcheck source=../tests/lab/lib.sh
		. "$ROOT/tests/lab/lib.sh"
		lab_enter_netns "$@"
	) || rc=$?
	[ "$rc" -eq 0 ] || exit 1
	printf '\n== the outage drill (holdfast drill --short, about 70 seconds)\n'
	"$ROOT/build/holdfast" drill --short || rc=$?
	exit "$rc"
fi

# shellcheck source=../tests/lab/lib.sh
. "$ROOT/tests/lab/lib.sh"
lab_enter_netns "$@"
set +e
lab_init >/dev/null

say() { printf '\n== %s\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; rc=$?; printf '(exit %d)\n' "$rc"; }

say "1. a test CA and a site certificate (AIA: a dead responder, then a live one)"
lab_make_ca "$LAB/ca" || exit 1
lab_make_leaf "$LAB/ca" www http://127.0.0.1:9/ http://127.0.0.1:8080 || exit 1
openssl x509 -in "$LAB/ca/www.crt" -noout -subject -serial -ext authorityInfoAccess | sed 's/^/   /'

say "2. openssl ocsp answers for the CA on 127.0.0.1:8080 (responses valid 1 minute)"
lab_ocsp_responder "$LAB/ca" 8080 1 || exit 1
echo "   responder pid $LAB_PID"
RESPONDER=$LAB_PID

say "3. holdfast fetches, validates and stores the staple"
mkdir -p "$LAB/staples"
run "$HOLDFAST" staple -v --out "$LAB/staples/www.ocsp" "$LAB/ca/www.pem"

say "4. nginx staples the file holdfast wrote"
lab_nginx_tls 8443 "$LAB/ca/www.pem" "$LAB/ca/www.key" "$LAB/staples/www.ocsp" || exit 1
echo '$ openssl s_client -connect 127.0.0.1:8443 -status'
staple_seen 127.0.0.1:8443 | sed 's/^/   /'

say "5. the responder goes down: holdfast keeps the valid staple and warns"
lab_stop "$RESPONDER"
run "$HOLDFAST" staple --out "$LAB/staples/www.ocsp" "$LAB/ca/www.pem"

say "6. with the responder still down the staple expires: holdfast withdraws it"
echo "   (waiting for nextUpdate to pass, about a minute)"
nu=$(openssl ocsp -respin "$LAB/staples/www.ocsp" -resp_text -noverify 2>/dev/null |
	sed -n 's/^ *Next Update: //p' | head -1)
while [ "$(date -u +%s)" -le "$(date -u -d "$nu" +%s)" ]; do sleep 1; done
echo '   nginx before holdfast runs (the flaw: it serves an expired staple):'
lab_nginx_reload 8443 >/dev/null
staple_seen 127.0.0.1:8443 | sed 's/^/   /'
run "$HOLDFAST" staple --out "$LAB/staples/www.ocsp" "$LAB/ca/www.pem"
lab_nginx_reload 8443 >/dev/null
echo '   nginx after holdfast ran and nginx reloaded:'
staple_seen 127.0.0.1:8443 | sed 's/^/   /'
say "done"
