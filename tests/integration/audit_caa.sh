#!/usr/bin/env bash
# audit_caa.sh -- the audit's "caa" check (RFC 8659, RFC 8657) against real
# DNS: knot serving CAA records in the lab's zones, two unbound resolvers
# recursing to them, and a resolver that never answers.  Each case is one
# certificate in its own configuration, with its exit code and finding
# asserted: no CAA (OK), issue naming only the first CA (WARNING for the
# backup, with the record) and only the backup (CRITICAL), issuewild for a
# wildcard, an unknown tag with the critical flag, accounturi against the
# account URL in the store (equal, different, none), validationmethods
# against the challenge type, a CNAME into another zone (the target's
# records, and a target without records falling back to the alias's
# parent), records at a parent label, a CA without identities whose
# directory cannot be read, a resolver that times out and a zone whose
# server stopped serving it (SERVFAIL: UNKNOWN, never "no CAA"), and a CA
# whose identities come from its live directory's meta.caaIdentities.
# Registration data is clean for every domain, so only CAA (and, for the
# dropped zone, resolution) decides.
# shellcheck source=SCRIPTDIR/../lab/lib.sh
. "$(dirname "$0")/../lab/lib.sh"
lab_enter_netns "$@"
lab_init
lab_require_holdfast
# shellcheck source=SCRIPTDIR/../lab/audit.sh
. "$(dirname "$0")/../lab/audit.sh"

audit_lab_world
for d in plain.test issue.test wild.test crit.test acct.test vm.test alias.test parent.test \
	sf.test; do
	AUDIT_DELEG[$d]="ns1.dns-a.test ns1.dns-b.lab"
done
AUDIT_DELEG[cdn.lab]="ns1.dns-a.test ns1.dns-b.lab"
AUDIT_CHILD_EXTRA[issue.test]='@ CAA 0 issue "ca-one.example"'
AUDIT_CHILD_EXTRA[wild.test]='@ CAA 0 issue "ca-one.example"
@ CAA 0 issuewild "ca-two.example"'
AUDIT_CHILD_EXTRA[crit.test]='@ CAA 0 issue "ca-one.example"
@ CAA 128 tbs "Unknown"'
AUDIT_CHILD_EXTRA[acct.test]='@ CAA 0 issue "ca-one.example; accounturi=https://ca-one.example/acct/1"'
AUDIT_CHILD_EXTRA[vm.test]='@ CAA 0 issue "ca-one.example; validationmethods=dns-01"'
AUDIT_CHILD_EXTRA[alias.test]='@ CAA 0 issue "ca-one.example"
shop CNAME edge.cdn.lab.
plain CNAME bare.cdn.lab.'
AUDIT_CHILD_EXTRA[cdn.lab]='edge A 192.0.2.5
edge CAA 0 issue "ca-two.example.net"
bare A 192.0.2.6'
AUDIT_CHILD_EXTRA[parent.test]='@ CAA 0 issue "ca-two.example"
www.deep A 192.0.2.7'
AUDIT_CHILD_EXTRA[sf.test]='@ CAA 0 issue "ca-one.example"'
audit_dns_start || { not_ok "lab: DNS" "knot/unbound did not start"; lab_finish; }
audit_rdap_start || { not_ok "lab: RDAP server" "did not start"; lab_finish; }
for d in "${!AUDIT_DELEG[@]}"; do
	audit_rdap_fixture "$d" gtld-locked
done

# The lab's knot serves what the cases need (checked with kdig, not assumed).
check "lab: knot serves CAA" sh -c \
	"kdig @$AUDIT_RESOLVER1 issue.test CAA +short | grep -q 'issue \"ca-one.example\"'"

STORE=$LAB/store
CONF=$LAB/holdfast.conf
mkdir -p "$STORE" "$LAB/www"
# write_conf NAMES CAS [CERTIFICATE LINES]: one certificate, three CAs:
# one and two with caa_identities (their directories are never fetched:
# caa_identities wins), dironly with a directory that cannot be read.
write_conf() {
	cat >"$CONF" <<-EOF
		store = $STORE
		rdap_bootstrap = $AUDIT_RDAP_URL/bootstrap/dns.json

		[ca one]
		directory = http://127.0.0.1:9/one
		caa_identities = ca-one.example
		[ca two]
		directory = http://127.0.0.1:9/two
		caa_identities = ca-two.example ca-two.example.net
		[ca dironly]
		directory = http://127.0.0.1:9/dironly

		[certificate c]
		names = $1
		cas = $2
		${3:-webroot = $LAB/www}
	EOF
}
DNS01="challenge = dns-01
dns_hook = /bin/true"
caa_run() { # caa_run WANT NAME [--resolver ...]
	local want=$1 name=$2
	shift 2
	[ $# -gt 0 ] || set -- "${AUDIT_RES[@]}"
	hf_expect "$name: exit $want" "$want" audit -c "$CONF" --json "$@"
}
# (audit_finding puts the regex in a Python r"..." string: write a double
# quote in a regex as \x22.)
finding() { json_check "$1" "$(audit_finding caa "${@:2}")"; }
no_caa_severity() { # no_caa_severity NAME SEVERITY: no caa finding of that severity
	json_check "$1" "not any(f[\"check\"] == \"caa\" and f[\"severity\"] == \"$2\" for f in js)"
}
account() { # account CA KID: the account URL the store holds for CA
	mkdir -p "$STORE/accounts/$1"
	printf '{"directory": "http://127.0.0.1:9/%s", "kid": "%s"}\n' "$1" "$2" \
		>"$STORE/accounts/$1/account.json"
}

# --- no CAA anywhere up to the TLD: anyone may issue.
write_conf "www.plain.test plain.test" "one two dironly"
caa_run 0 "no CAA"
finding "no CAA: OK, every CA listed" OK "certificate c" \
	"may issue: ca one, ca two, ca dironly \\(no CAA records\\)"
json_check "no CAA: the finding names the resolvers" \
	'any(f["check"] == "caa" and f["source"] == "127.0.0.53:53 127.0.0.54:53" for f in js)'

# --- issue naming the first CA only: the backup would be refused.
write_conf "www.issue.test" "one two"
caa_run 1 "issue for the first CA"
finding "backup refused: WARNING naming the CA and the record" WARNING "certificate c" \
	'^failover to backup ca two would be refused by CAA: 0 issue \x22ca-one.example\x22 \(the records name other CAs: at issue.test, for www.issue.test'
finding "first CA allowed: OK lists it" OK "certificate c" "may issue: ca one \\(CAA records at issue.test\\)"
no_caa_severity "issue for the first CA: not CRITICAL" CRITICAL

# --- the same records with the order of the CAs reversed: issuance will fail.
write_conf "www.issue.test" "two one"
caa_run 2 "issue for the backup only"
finding "first CA refused: CRITICAL" CRITICAL "certificate c" \
	'^ca two may not issue: CAA 0 issue \x22ca-one.example\x22 .*issuance will fail'

# --- issuewild governs the wildcard; issue the plain name.
write_conf "*.wild.test" "two one" "$DNS01"
caa_run 1 "wildcard with issuewild"
finding "issuewild: the wildcard's backup (issue's CA) refused" WARNING "certificate c" \
	'backup ca one would be refused by CAA: 0 issuewild \x22ca-two.example\x22'
finding "issuewild: its CA may issue the wildcard" OK "certificate c" "may issue: ca two "
write_conf "wild.test" "two" "$DNS01"
caa_run 2 "issuewild does not cover the plain name"
finding "plain name: issue decides, issuewild's CA refused" CRITICAL "certificate c" \
	'ca two may not issue: CAA 0 issue \x22ca-one.example\x22'

# --- an unknown tag with the critical flag forbids every CA.
write_conf "www.crit.test" "one"
caa_run 2 "critical unknown tag"
finding "critical unknown tag: CRITICAL even for the CA named by issue" CRITICAL \
	"certificate c" '128 tbs \x22Unknown\x22 \(an unknown tag marked critical forbids every CA'

# --- accounturi: the account URL in the store decides.
write_conf "www.acct.test" "one"
caa_run 2 "accounturi, no account held"
finding "accounturi without an account: CRITICAL" CRITICAL "certificate c" \
	"accounturi is not holdfast's account"
account one "https://ca-one.example/acct/2"
caa_run 2 "accounturi, another account"
finding "accounturi for another account: CRITICAL" CRITICAL "certificate c" \
	'accounturi=https://ca-one.example/acct/1\x22 \(accounturi is not holdfast'
account one "https://ca-one.example/acct/1"
caa_run 0 "accounturi, our account"
finding "accounturi equal to the stored account: OK" OK "certificate c" "may issue: ca one"
rm -rf "$STORE/accounts"

# --- validationmethods against the challenge type.
write_conf "www.vm.test" "one"
caa_run 2 "validationmethods=dns-01 with http-01"
finding "validationmethods excludes http-01: CRITICAL" CRITICAL "certificate c" \
	"validationmethods does not list the challenge type"
write_conf "www.vm.test" "one" "$DNS01"
caa_run 0 "validationmethods=dns-01 with dns-01"
finding "validationmethods lists dns-01: OK" OK "certificate c" "may issue: ca one"

# --- a CNAME into another zone: the target's records are the relevant set.
write_conf "shop.alias.test" "two one"
caa_run 1 "CNAME to a name with CAA"
finding "CNAME: the target's record decides (the alias's parent is not looked at)" WARNING \
	"certificate c" 'backup ca one would be refused by CAA: 0 issue \x22ca-two.example.net\x22 .*at shop.alias.test via CNAME edge.cdn.lab'
finding "CNAME: the CA named at the target may issue" OK "certificate c" "may issue: ca two "
write_conf "plain.alias.test" "one two"
caa_run 1 "CNAME to a name without CAA"
finding "CNAME target without CAA: the climb goes on at the alias's parent" WARNING \
	"certificate c" 'backup ca two would be refused by CAA: 0 issue \x22ca-one.example\x22 .*at alias.test,'

# --- records at a parent label, two levels up.
write_conf "www.deep.parent.test" "one"
caa_run 2 "records at a parent label"
finding "parent label: its record decides" CRITICAL "certificate c" \
	'ca one may not issue: CAA 0 issue \x22ca-two.example\x22 .*at parent.test, for www.deep.parent.test'

# --- a CA without identities: its directory is read only when records exist.
write_conf "www.issue.test" "one dironly"
caa_run 3 "a CA whose identities cannot be had"
finding "no identities with records present: UNKNOWN, saying why" UNKNOWN "certificate c" \
	"cannot tell whether ca dironly may issue: its directory could not be read .*set caa_identities"

# --- a resolver that never answers: UNKNOWN, not "no CAA".
write_conf "www.plain.test" "one"
caa_run 3 "a resolver times out" "${AUDIT_RES[@]}" --resolver "$AUDIT_BLACKHOLE:53"
finding "timeout: UNKNOWN naming the resolver" UNKNOWN "certificate c" \
	"CAA lookup failed \\(not the same as no CAA\\): www.plain.test on $AUDIT_BLACKHOLE:53: timeout"
no_caa_severity "timeout: no OK claiming anyone may issue" OK

# --- the zone's server stops serving it: the resolvers answer SERVFAIL.
write_conf "www.sf.test" "one"
caa_run 0 "sf.test served"
audit_child_drop sf.test || not_ok "lab: drop sf.test" "still served"
# Resolution fails everywhere too (CRITICAL, so exit 2); the caa check must
# say UNKNOWN and never OK.
caa_run 2 "sf.test dropped"
finding "SERVFAIL: UNKNOWN" UNKNOWN "certificate c" "www.sf.test on 127.0.0.53:53: servfail"
no_caa_severity "SERVFAIL: no OK" OK

# --- identities from a live directory's meta.caaIdentities (no
# caa_identities): Pebble 2.4 publishes none, so the lab's ACME proxy in
# front of it adds them (the one stand-in: a field, not a peer).
# shellcheck source=SCRIPTDIR/../lab/acme.sh
. "$(dirname "$0")/../lab/acme.sh"
if lab_pebble caa 14000 15000 && lab_acme_proxy caameta 14100 "$(lab_pebble_url caa)" --meta; then
	cat >"$CONF" <<-EOF
		store = $STORE
		rdap_bootstrap = $AUDIT_RDAP_URL/bootstrap/dns.json

		[ca live]
		directory = $(lab_acme_proxy_url caameta)
		ca_bundle = $LAB_ACME_BUNDLE

		[certificate c]
		names = www.issue.test
		cas = live
		webroot = $LAB/www
	EOF
	lab_acme_proxy_meta caameta '{"caaIdentities": ["ca-one.example"]}'
	caa_run 0 "meta.caaIdentities names the CAA record's issuer"
	finding "meta.caaIdentities: OK from the directory" OK "certificate c" "may issue: ca live"
	lab_acme_proxy_meta caameta '{"caaIdentities": ["ca-elsewhere.example"]}'
	caa_run 2 "meta.caaIdentities names another issuer"
	finding "meta.caaIdentities: another issuer is CRITICAL" CRITICAL "certificate c" \
		'ca live may not issue: CAA 0 issue \x22ca-one.example\x22'
	lab_acme_proxy_meta caameta '{}'
	caa_run 3 "a live directory without meta.caaIdentities"
	finding "no meta.caaIdentities: UNKNOWN, saying so" UNKNOWN "certificate c" \
		"its directory lists no meta.caaIdentities; set caa_identities"
else
	not_ok "lab: Pebble and the ACME proxy" "did not start"
fi

lab_finish
