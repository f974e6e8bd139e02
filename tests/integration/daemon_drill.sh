#!/bin/bash
# daemon_drill.sh -- the outage drill (scripts/drill.sh --short, what
# `holdfast drill --short` runs) end to end: two Pebbles, dnsmasq, openssl
# ocsp, nginx and `holdfast run`, the primary CA's domain on clientHold and
# its OCSP responder down for 90 % of a staple's validity, a new site added
# (SIGHUP) during the outage, the daemon restarted in the middle. Asserts the
# drill's verdict: every handshake the prober made had a valid certificate,
# no expired staple was ever served, a certificate was issued via the
# backup, the restarted daemon deployed from the store at once, exit 0.
#
# First, the prober itself (tests/lab/drill_probe.py) is shown to count
# what it must: nginx serves it a valid staple, then deliberately bad ones
# (expired an hour ago, expired a second ago, another certificate's, signed
# by a stranger) and a certificate from an unknown root. A drill whose
# prober could not see an expired staple would pass for nothing.
# The drill has a site on nginx, one on HAProxy and one on Apache (stapling
# from holdfast's ocsp_listen); their handshakes are counted per server.
# The drill runs in this test's network namespace, with --plot: its SVG is
# checked against the verdict's counts.
# shellcheck source=SCRIPTDIR/../lab/lib.sh
. "$(dirname "$0")/../lab/lib.sh"
lab_enter_netns "$@"
lab_init
lab_require_holdfast

# ---------------------------------------------------------------- the prober

lab_setup_ca
lab_make_leaf "$CA" www
lab_make_leaf "$CA" other
PROBE_PORT=9443
STAPLE=$LAB/probe.ocsp
lab_presign "$CA" www "$STAPLE" 60
lab_nginx_tls "$PROBE_PORT" "$CA/www.pem" "$CA/www.key" "$STAPLE" ||
	not_ok "lab: nginx for the prober" "did not start"
PROBE_NGINX=$LAB_PID

# probe_case NAME ROOTS PYEXPR: one handshake with the drill's prober (the
# lab root or ROOTS trusted), ok when PYEXPR holds for its record r.
probe_case() {
	local name=$1 roots=$2 expr=$3
	"$(lab_python_crypto)" "$LAB_REPO/tests/lab/drill_probe.py" --port "$PROBE_PORT" \
		--roots "$roots" --issuer "lab=$CA/int.pem" --once www.test >"$LAB/probe.json" 2>&1
	if python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' \
		"$LAB/probe.json" "$expr" 2>/dev/null; then
		ok "prober: $name"
	else
		not_ok "prober: $name" "record does not satisfy: $expr"
		diag "$LAB/probe.json" "  "
	fi
}

# serve NAME: nginx staples $STAPLE as it is now (it reads it at reload).
serve() {
	lab_nginx_reload "$PROBE_PORT" >/dev/null || not_ok "lab: nginx reload ($1)" "failed"
}

probe_case "a valid staple counts as valid" "$CA/root.pem" \
	'r["cert_valid"] and r["staple_valid"] and not r["staple_expired"] and not r["staple_wrong"]'
lab_craft "$CA" www "$STAPLE" -7200 -3600
serve expired
probe_case "a staple expired an hour ago counts as expired" "$CA/root.pem" \
	'r["cert_valid"] and r["staple_expired"] and not r["staple_valid"]'
lab_craft "$CA" www "$STAPLE" -600 -1
serve "just expired"
probe_case "a staple expired a second ago counts as expired" "$CA/root.pem" \
	'r["staple_expired"] and not r["staple_valid"]'
lab_presign "$CA" other "$STAPLE" 60
serve other
probe_case "another certificate's staple counts as wrong" "$CA/root.pem" \
	'r["cert_valid"] and r["staple_wrong"] and not r["staple_valid"] and not r["staple_expired"]'
lab_craft "$CA" www "$STAPLE" -60 3600 good "$CA/rogue.pem" "$CA/rogue.key"
serve rogue
probe_case "a staple signed by a stranger counts as wrong" "$CA/root.pem" \
	'r["staple_wrong"] and not r["staple_valid"]'
lab_presign "$CA" www "$STAPLE" 60
serve valid
probe_case "a certificate from an unknown root is not valid" "$CA/rogue.pem" \
	'not r["cert_valid"] and not r["staple_valid"]'
lab_stop "$PROBE_NGINX"

# ---------------------------------------------------------------- the drill

OUT=$LAB/drill.out
# Bounded: --short takes about 70 s; a hang fails this case, not the suite.
PLOT=$LAB/drill.svg
HOLDFAST=$HOLDFAST timeout -k 10 420 bash "$LAB_REPO/scripts/drill.sh" --short --plot "$PLOT" >"$OUT" 2>&1
rc=$?

# verdict LABEL: the value of the verdict table's row LABEL.
verdict() {
	sed -n "s/^  $1  *\([^ ].*\)\$/\1/p" "$OUT" | tail -n1
}
attempted=$(verdict "handshakes attempted")
valid_cert=$(verdict "handshakes with a valid certificate")
valid_staple=$(verdict "handshakes with a valid staple")
expired=$(verdict "expired staples served")
foreign=$(verdict "staples not good for the served certificate")
backup=$(verdict "certificates issued via the backup")

check "drill: exit 0 (PASS)" test "$rc" = 0
check "drill: verdict PASS" test "$(verdict result)" = PASS
check "drill: handshakes were made" test "${attempted:-0}" -gt 0
check "drill: every handshake had a valid certificate ($valid_cert of $attempted)" \
	test -n "$valid_cert" -a "$valid_cert" = "$attempted"
check "drill: expired staples served = 0" test "$expired" = 0
check "drill: no staple that is not good for the served certificate" test "$foreign" = 0
check "drill: handshakes with a valid staple" test "${valid_staple:-0}" -gt 0
check "drill: a certificate issued via the backup" test "${backup:-0}" -ge 1
check "drill: the primary failed with resolve (NXDOMAIN)" \
	grep -q "^  primary failures seen by holdfast: .*resolve" "$OUT"
check "drill: the restarted daemon loaded and deployed the store at once" \
	grep -q "^  restart: loaded and deployed from the store at once: yes" "$OUT"
check "drill: www kept a valid staple through the responder outage" \
	grep -Eq "^  www during the responder outage: ([0-9]+) of \1 handshakes with a valid staple" "$OUT"
check "drill: www's staple refreshed after the outage, before it expired" \
	grep -Eq "^  www staple refreshed after the outage [0-9]+ s before the old one expired" "$OUT"
check "drill: the timeline was printed" grep -q "^== timeline" "$OUT"
# server_row SERVER: "HANDSHAKES VALID_CERT VALID_STAPLE EXPIRED" of the
# verdict's row for that web server.
server_row() {
	sed -n "s/^  $1 *handshakes *\([0-9]*\), valid certificate *\([0-9]*\), valid staple *\([0-9]*\), expired staple \([0-9]*\).*/\1 \2 \3 \4/p" "$OUT"
}
for srv in nginx haproxy apache; do
	read -r hs vc vs ex <<<"$(server_row "$srv")"
	check "drill: $srv site handshakes counted, each with a valid certificate (${vc:-?} of ${hs:-?}), no expired staple" \
		test "${hs:-0}" -gt 0 -a "${vc:-x}" = "${hs:-y}" -a "${ex:-1}" = 0
done
read -r hs vc vs ex <<<"$(server_row apache)"
check "drill: Apache stapled holdfast's responses from ocsp_listen through the outage (${vs:-?} of ${hs:-?})" \
	test "${vs:-0}" -gt 0

# --plot: the picture holds what the verdict counted. An independent reading
# of the SVG (XML parse): one handshake tick per handshake attempted, each
# coloured as the verdict classed it, one row per site probed, the outage
# shaded, four dashed daemon lines (two starts, two stops).
plot_matches() {
	python3 - "$PLOT" "$attempted" "$valid_staple" "$(sed -n 's/^  sites probed: //p' "$OUT")" <<'PY'
import sys
import xml.etree.ElementTree as ET
path, attempted, valid_staple, sites = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
ns = "{http://www.w3.org/2000/svg}"
root = ET.parse(path).getroot()
rects = root.findall(ns + "rect")
def cls(e):
    return (e.get("class") or "").split()
hs = [r for r in rects if "hs" in cls(r)]
ok = [r for r in hs if "ok" in cls(r)]
bad = [r for r in hs if "bad" in cls(r)]
texts = [t.text for t in root.findall(ns + "text")]
want_sites = [s.strip() for s in sites.split(",") if s.strip()]
problems = []
if len(hs) != attempted:
    problems.append("%d handshake ticks, %d handshakes attempted" % (len(hs), attempted))
if len(ok) != valid_staple:
    problems.append("%d green ticks, %d handshakes with a valid staple" % (len(ok), valid_staple))
if bad:
    problems.append("%d red ticks in a PASS" % len(bad))
for s in want_sites:
    if s not in texts:
        problems.append("no row for " + s)
if not want_sites:
    problems.append("no site listed by the verdict")
if not [r for r in rects if "outage" in cls(r)]:
    problems.append("no outage shading")
lines = [l for l in root.findall(ns + "line") if "daemon" in cls(l)]
if len(lines) != 4:
    problems.append("%d daemon start/stop lines, want 4" % len(lines))
if not [r for r in rects if "staple" in cls(r)] or not [r for r in rects if "cert" in cls(r)]:
    problems.append("no certificate or staple bars")
print("; ".join(problems) or "matches")
sys.exit(1 if problems else 0)
PY
}
check "drill --plot: the SVG parses and shows every handshake, site, the outage and the restarts" \
	plot_matches
check "drill --plot: the drill says where the plot is" grep -q "^plot: $PLOT" "$OUT"
if [ "$LAB_FAILED" -gt 0 ]; then
	diag "$OUT" "  drill: "
fi
lab_finish
