#!/usr/bin/env bash
# bench/audit/run.sh [N] -- `holdfast audit` of N domains (default 1,000)
# against the local RDAP and DNS servers of the audit lab, in a private
# network namespace:
#
#   parent   knotd on 127.0.0.2:53 serving .test, which delegates every
#            bNNNNN.test to two name servers under two providers
#   child    knotd on 127.0.0.3/.4:53 serving the N zones (and the providers')
#   resolv.  two unbound resolvers on 127.0.0.53/.54 (no cache: every lookup
#            goes to the parent and the child, the worst case for them)
#   RDAP     tests/lab/rdap_server.py on 127.0.0.1 serving one gTLD answer
#            template (tests/fixtures/rdap/gtld-locked.json) for every domain
#
# One `holdfast audit --json` run checks all N: per domain one RDAP lookup
# (at most 4 at a time to the server), A and AAAA of www.<domain> on each
# resolver, the delegation asked of the parent's server, the NS set asked of
# the child's servers; plus RDAP of the two provider domains.  Everything
# runs concurrently in one event loop.  The run must exit 0 and report
# status, delegation and resolution OK for all N domains.
#
# Prints wall time, domains per second, CPU time, the RDAP requests seen and
# peak memory (/usr/bin/time -v).  Exits 0 when every step worked, non-zero
# when something broke.
#
# Environment (all optional):
#   HOLDFAST=path   binary under test (default <repo>/build/holdfast)
#   HF_KEEP=1       keep the work directory (its path is printed)
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
# shellcheck source=SCRIPTDIR/../../tests/lab/lib.sh
. "$REPO/tests/lab/lib.sh"

N=${1:-1000}
[[ $N =~ ^[1-9][0-9]*$ ]] || {
	echo "usage: $0 [N]  (N = number of domains, default 1000)" >&2
	exit 2
}
for tool in knotd knotc kdig unbound unbound-control python3 /usr/bin/time; do
	command -v "$tool" >/dev/null || {
		echo "run.sh: $tool not found (scripts/install-deps.sh)" >&2
		exit 1
	}
done
[ -x "$HOLDFAST" ] || {
	echo "run.sh: $HOLDFAST not built (meson setup build; ninja -C build)" >&2
	exit 1
}

lab_enter_netns "$@"
lab_init
# shellcheck source=SCRIPTDIR/../../tests/lab/audit.sh
. "$REPO/tests/lab/audit.sh"
LAB_WAIT=60 # N zones take a moment to load

fail() {
	echo "run.sh: error: $*" >&2
	exit 1
}

audit_lab_world
domains=()
for i in $(seq 1 "$N"); do
	d=$(printf 'b%05d.test' "$i")
	AUDIT_DELEG[$d]="ns1.dns-a.test ns1.dns-b.lab"
	domains+=("www.$d")
done
echo "run.sh: writing $N zones and starting knot, unbound, the RDAP server" >&2
audit_dns_start || fail "DNS servers did not start (see $LAB/logs)"
audit_rdap_start || fail "RDAP server did not start"
cp "$AUDIT_FIXTURES/gtld-locked.json" "$LAB/rdap/rdap/domain/_default"
# a sample lookup through a resolver: the world works before it is timed
kdig @"$AUDIT_RESOLVER1" "www.b00001.test" A +short | grep -q 192.0.2.1 ||
	fail "www.b00001.test does not resolve through $AUDIT_RESOLVER1"

: >"$LAB/logs/rdap.log"
echo "run.sh: auditing $N domains" >&2
start=$(date +%s.%N)
/usr/bin/time -v -o "$LAB/time.txt" "$HOLDFAST" audit --json "${AUDIT_RES[@]}" \
	--rdap-bootstrap "$AUDIT_RDAP_URL/bootstrap/dns.json" --store "$LAB/store" \
	"${domains[@]}" >"$LAB/audit.json" 2>"$LAB/audit.err"
rc=$?
end=$(date +%s.%N)
[ "$rc" -eq 0 ] || {
	tail -5 "$LAB/audit.err" >&2
	grep -v '"severity":"OK"' "$LAB/audit.json" | head -5 >&2
	fail "holdfast audit exited $rc, want 0"
}
python3 - "$LAB/audit.json" "$N" <<'EOF' || fail "the report is incomplete"
import json, sys
n = int(sys.argv[2])
js = [json.loads(l) for l in open(sys.argv[1])]
def ok(check):
    return {f["domain"] for f in js if f["check"] == check and f["severity"] == "OK"}
want = {"b%05d.test" % i for i in range(1, n + 1)}
for check in ("status", "delegation", "resolve", "ns-consistency"):
    missing = want - ok(check)
    if missing:
        print("run.sh: %d domains without an OK %s finding, e.g. %s"
              % (len(missing), check, sorted(missing)[0]), file=sys.stderr)
        sys.exit(1)
EOF

wall=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')
rss=$(awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$LAB/time.txt")
cpu=$(awk -F': ' '/User time/ { u = $2 } /System time/ { s = $2 } END { printf "%.2f", u + s }' "$LAB/time.txt")
rdap=$(grep -c '^GET /rdap/domain/' "$LAB/logs/rdap.log")
maxin=$(sed -n 's/.*inflight=//p' "$LAB/logs/rdap.log" | sort -n | tail -1)
echo
echo "holdfast audit of $N domains (local RDAP + knot + 2 unbound, one netns)"
printf '  %-28s %s s\n' "wall time" "$wall"
printf '  %-28s %s\n' "domains per second" "$(awk -v n="$N" -v s="$wall" 'BEGIN { printf "%.1f", n / s }')"
printf '  %-28s %s s\n' "CPU time (user + sys)" "$cpu"
printf '  %-28s %s MiB\n' "peak memory (max RSS)" "$rss"
printf '  %-28s %s (max %s at once)\n' "RDAP requests" "$rdap" "$maxin"
printf '  %-28s %s\n' "findings" "$(wc -l <"$LAB/audit.json")"
lab_finish
