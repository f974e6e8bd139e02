#!/usr/bin/env bash
# audit_dns.sh -- the DNS half of `holdfast audit` against real servers: a
# parent (knot, the TLD zones), the child zones (knot), two unbound
# resolvers and a resolver that never answers.  Covers issue 4's DNS table:
# resolution per resolver (timeout on 1 of 3 WARNING; the hold -- the
# delegation removed mid-test by a zone reload -- NXDOMAIN on both
# resolvers and the parent no longer delegating, CRITICAL; the child zone
# dropped mid-test, SERVFAIL, CRITICAL; REFUSED named), fewer than 2 NS, all
# NS under one domain or one TLD (RFC 2182), parent and child NS sets
# differing, and a name server whose own domain is on hold.  Registration
# data (RDAP) is clean for every domain, so only DNS decides.
# shellcheck source=SCRIPTDIR/../lab/lib.sh
. "$(dirname "$0")/../lab/lib.sh"
lab_enter_netns "$@"
lab_init
lab_require_holdfast
# shellcheck source=SCRIPTDIR/../lab/audit.sh
. "$(dirname "$0")/../lab/audit.sh"

audit_lab_world
AUDIT_NS_ADDR[ns1.dns-c.test]=127.0.0.3
AUDIT_NS_ADDR[ns1.dns-h.lab]=127.0.0.4
AUDIT_DELEG[dns-c.test]="ns1.dns-c.test ns1.dns-b.lab"
AUDIT_DELEG[dns-h.lab]="ns1.dns-h.lab ns1.dns-a.test"
AUDIT_DELEG[good.test]="ns1.dns-a.test ns1.dns-b.lab"
AUDIT_DELEG[single.test]="ns1.dns-a.test"
AUDIT_DELEG[onedom.test]="ns1.dns-a.test ns2.dns-a.test"
AUDIT_DELEG[onetld.test]="ns1.dns-a.test ns1.dns-c.test"
AUDIT_DELEG[mismatch.test]="ns1.dns-a.test ns1.dns-b.lab"
AUDIT_CHILD_NS[mismatch.test]="ns1.dns-a.test ns2.dns-a.test"
AUDIT_DELEG[nshold.test]="ns1.dns-h.lab ns1.dns-a.test"
audit_dns_start || { not_ok "lab: DNS" "knot/unbound did not start"; lab_finish; }
audit_rdap_start || { not_ok "lab: RDAP server" "did not start"; lab_finish; }
for d in "${!AUDIT_DELEG[@]}"; do
	audit_rdap_fixture "$d" gtld-locked
done
audit_rdap_fixture dns-h.lab client-hold # on hold in RDAP, still served in DNS

BOOT=$AUDIT_RDAP_URL/bootstrap/dns.json
audit_run() { # audit_run WANT NAME ARGS...
	local want=$1 name=$2
	shift 2
	hf_expect "$name: exit $want" "$want" audit --json --rdap-bootstrap "$BOOT" \
		--store "$LAB/store" "$@"
}
finding() { json_check "$1" "$(audit_finding "${@:2}")"; }

# --- a healthy domain.
audit_run 0 "healthy domain" "${AUDIT_RES[@]}" www.good.test
finding "healthy: resolves on both resolvers" resolve OK good.test "every resolver \\(2\\)"
finding "healthy: delegated by the parent's servers (asked directly)" delegation OK good.test "test zone"
finding "healthy: 2 NS" ns-count OK good.test
finding "healthy: NS under two domains and two TLDs" ns-diversity OK good.test
finding "healthy: parent and child NS agree" ns-consistency OK good.test
finding "healthy: NS domains not on hold" ns-domain-status OK good.test "dns-a.test, dns-b.lab"
json_check "healthy: the resolve finding names the resolvers as source" \
	'any(f["check"] == "resolve" and f["source"] == "127.0.0.53:53 127.0.0.54:53" for f in js)'

# --- a resolver that never answers: 1 of 3 fails, by timeout.
audit_run 1 "one resolver times out" "${AUDIT_RES[@]}" --resolver "$AUDIT_BLACKHOLE:53" www.good.test
finding "timeout on 1 of 3 WARNING, named" resolve WARNING good.test "fails on 1 of 3.*127.0.0.59:53 timeout"

# --- NS set rules.
audit_run 1 "single NS" "${AUDIT_RES[@]}" single.test
finding "fewer than 2 NS WARNING" ns-count WARNING single.test "1 name server"
audit_run 1 "all NS under one domain" "${AUDIT_RES[@]}" onedom.test
finding "all NS under one registrable domain WARNING" ns-diversity WARNING onedom.test "one domain \\(dns-a.test\\)"
audit_run 1 "all NS under one TLD" "${AUDIT_RES[@]}" onetld.test
finding "all NS under one TLD WARNING" ns-diversity WARNING onetld.test "one TLD \\(.test\\)"
json_check "one TLD: not reported as one domain" \
	'not any(f["check"] == "ns-diversity" and "one domain" in f["evidence"] for f in js)'
audit_run 1 "parent and child NS differ" "${AUDIT_RES[@]}" mismatch.test
finding "parent/child NS sets differ WARNING, differences named" ns-consistency WARNING mismatch.test "only in the parent: ns1.dns-b.lab; only in the child: ns2.dns-a.test"
audit_run 2 "a name server's domain on hold" "${AUDIT_RES[@]}" nshold.test
finding "NS host's registrable domain on hold CRITICAL" ns-domain-status CRITICAL nshold.test "dns-h.lab \\(domain of ns1.dns-h.lab\\) is client hold"

# --- the hold, mid-test: the parent drops the delegation (zone reload).
unset 'AUDIT_DELEG[good.test]'
check "lab: parent reloaded without good.test" audit_parent_reload test
audit_run 2 "hold: delegation removed" "${AUDIT_RES[@]}" --resolver "$AUDIT_BLACKHOLE" www.good.test
finding "hold: resolution CRITICAL with NXDOMAIN on both resolvers and the timeout named" \
	resolve CRITICAL good.test "fails on 3 of 3.*127.0.0.53:53 nxdomain, 127.0.0.54:53 nxdomain, 127.0.0.59:53 timeout"
finding "hold: the parent no longer delegates, asked directly" delegation CRITICAL good.test \
	"the test zone no longer delegates good.test: ns.nic.test\\(127.0.0.2\\) nxdomain"
hf audit "${AUDIT_RES[@]}" --rdap-bootstrap "$BOOT" --store "$LAB/store" www.good.test
out_check "hold, human: CRITICAL group for good.test" "^CRITICAL +good\\.test"

# --- and back.
AUDIT_DELEG[good.test]="ns1.dns-a.test ns1.dns-b.lab"
check "lab: parent reloaded with good.test" audit_parent_reload test
audit_run 0 "delegation restored" "${AUDIT_RES[@]}" www.good.test

# --- SERVFAIL: the child's servers stop serving the zone mid-test; one
# "resolver" is the child server itself, which REFUSES.
check "lab: child server drops good.test" audit_child_drop good.test
audit_run 2 "zone dropped by its servers" "${AUDIT_RES[@]}" --resolver 127.0.0.3 www.good.test
finding "servfail: CRITICAL, SERVFAIL and REFUSED named" resolve CRITICAL good.test \
	"127.0.0.53:53 servfail, 127.0.0.54:53 servfail, 127.0.0.3:53 refused"
finding "servfail: the parent still delegates" delegation OK good.test
finding "servfail: the child's servers do not answer for the zone" ns-consistency UNKNOWN good.test "refused"

lab_finish
