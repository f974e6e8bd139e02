#!/usr/bin/env bash
# audit_config.sh -- `holdfast audit -c FILE` with no DOMAIN audits the
# configuration's dependency map: every certificate's names, every [ca]
# directory host, and the OCSP, CA-issuers and CRL hosts of the stored
# certificates (an IP-literal responder is skipped); the registry lock
# matters more on a critical site; redundancy across a certificate's CAs
# (same registrar and TLD WARNING, different OK) and across an OCSP
# responder and its backup; the state is stored; DOMAIN arguments narrow the
# audit; usage errors exit 3.
# shellcheck source=SCRIPTDIR/../lab/lib.sh
. "$(dirname "$0")/../lab/lib.sh"
lab_enter_netns "$@"
lab_init
lab_require_holdfast
# shellcheck source=SCRIPTDIR/../lab/audit.sh
. "$(dirname "$0")/../lab/audit.sh"

audit_lab_world
AUDIT_NS_ADDR[ns1.dns-d.lab]=127.0.0.4
AUDIT_NS_ADDR[ns1.dns-e.test]=127.0.0.3
AUDIT_DELEG[dns-d.lab]="ns1.dns-d.lab ns1.dns-e.test"
AUDIT_DELEG[dns-e.test]="ns1.dns-e.test ns1.dns-d.lab"
AUDIT_DELEG[site.test]="ns1.dns-a.test ns1.dns-b.lab"
AUDIT_DELEG[other.test]="ns1.dns-a.test ns1.dns-b.lab"
AUDIT_DELEG[ca-one.test]="ns1.dns-a.test ns1.dns-b.lab"
AUDIT_DELEG[ca-three.test]="ns1.dns-a.test ns1.dns-b.lab"
AUDIT_DELEG[ca-two.lab]="ns1.dns-d.lab ns1.dns-e.test"
AUDIT_DELEG[backup.lab]="ns1.dns-d.lab ns1.dns-e.test"
AUDIT_CHILD_EXTRA[site.test]="api A 192.0.2.20"
AUDIT_CHILD_EXTRA[other.test]="blog A 192.0.2.21"
AUDIT_CHILD_EXTRA[ca-one.test]="crt A 192.0.2.22
crl A 192.0.2.23"
audit_dns_start || { not_ok "lab: DNS" "knot/unbound did not start"; lab_finish; }
audit_rdap_start || { not_ok "lab: RDAP server" "did not start"; lab_finish; }
for d in dns-a.test dns-b.lab dns-d.lab dns-e.test ca-one.test ca-three.test; do
	audit_rdap_fixture "$d" gtld-locked
done
audit_rdap_fixture site.test gtld-registrar-locked # client locks only
audit_rdap_fixture other.test gtld-unlocked
audit_rdap_fixture ca-two.lab cctld
audit_rdap_fixture backup.lab registrar-full

STORE=$LAB/store
mkdir -p "$STORE/certificates/www" "$STORE/certificates/api" "$STORE/certificates/.versions"
mkcert() { # mkcert NAME CN AIA [CRL]
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
		-keyout "$LAB/$1.key" -out "$STORE/certificates/$1/cert.pem" -subj "/CN=$2" \
		-addext "authorityInfoAccess=$3" ${4:+-addext "crlDistributionPoints=$4"} \
		>>"$LAB/logs/openssl.log" 2>&1 || not_ok "lab: stored certificate $1" "openssl failed"
}
mkcert www www.site.test "OCSP;URI:http://ocsp.ca-one.test/,caIssuers;URI:http://crt.ca-one.test/ca.der" \
	"URI:http://crl.ca-one.test/ca.crl"
mkcert api api.site.test "OCSP;URI:http://127.0.0.1:8080/"
cat >"$LAB/holdfast.conf" <<EOF
store = $STORE
resolvers = $AUDIT_RESOLVER1 $AUDIT_RESOLVER2
rdap_bootstrap = $AUDIT_RDAP_URL/bootstrap/dns.json

[ca one]
directory = https://acme.ca-one.test/directory
[ca two]
directory = https://acme.ca-two.lab/directory
[ca three]
directory = https://acme.ca-three.test/directory

[certificate www]
names = www.site.test site.test
cas = one two
critical = yes
webroot = $LAB/www
ocsp_backup = http://ocsp.backup.lab/

[certificate api]
names = api.site.test
cas = one three
webroot = $LAB/www

[certificate blog]
names = blog.other.test
cas = one
webroot = $LAB/www

[certificate wild]
names = *.other.test
cas = one
challenge = dns-01
dns_hook = /bin/true
EOF

hf_expect "dependency map: exit 1 (warnings only)" 1 audit -c "$LAB/holdfast.conf" --json
json_check "every domain of the map, and only those" \
	'sorted({f["domain"] for f in js if not f["domain"].startswith("certificate ")}) ==
	 ["backup.lab", "ca-one.test", "ca-three.test", "ca-two.lab", "other.test", "site.test"]'
json_check "roles: the site's certificates, the critical one marked" \
	'any(f["domain"] == "site.test" and "certificate www (critical)" in f["roles"]
	     and "certificate api" in f["roles"] for f in js)'
json_check "roles: the CA's domain holds its directory and the stored certificate's AIA/CRL hosts" \
	'any(f["domain"] == "ca-one.test" and all(r in f["roles"] for r in
	     ("directory of ca one", "ocsp of certificate www", "ca-issuers of certificate www",
	      "crl of certificate www")) for f in js)'
json_check "the stored certificate's hosts are resolved" \
	'all(any(f["check"] == "resolve" and h in f["evidence"] for f in js)
	     for h in ("ocsp.ca-one.test", "crt.ca-one.test", "crl.ca-one.test", "acme.ca-one.test",
	               "www.site.test", "api.site.test", "blog.other.test"))'
json_check "a bare domain from a certificate must resolve too" \
	'any(f["check"] == "resolve" and f["domain"] == "site.test" and f["evidence"].startswith("site.test resolves") for f in js)'
json_check "a wildcard name: its domain audited, no host resolved for it" \
	'any(f["domain"] == "other.test" and "certificate wild" in f["roles"] for f in js) and
	 not any("*" in f["evidence"] for f in js if f["check"] == "resolve")'
json_check "an IP-literal OCSP URL has no domain to audit" \
	'not any("127.0.0.1" == f["domain"] for f in js)'
json_check "critical site without registry lock: WARNING" \
	"$(audit_finding registry-lock WARNING site.test "critical site")"
json_check "non-critical domain without registry lock: INFO" \
	"$(audit_finding registry-lock INFO other.test)"
json_check "redundancy www (ca one vs ca two): different registrars, TLDs, providers: OK" \
	"$(audit_finding redundancy OK "certificate www" "ca one \\(ca-one.test\\) and ca two \\(ca-two.lab\\): different registrars.*different TLDs.*different nameserver providers")"
json_check "redundancy api (ca one vs ca three): same registrar and TLD: WARNING" \
	"$(audit_finding redundancy WARNING "certificate api" "same registrar Lab Registrar One, Inc. \\(IANA 292\\); same TLD .test; shared nameserver provider")"
json_check "redundancy of the OCSP responder and its backup: OK" \
	"$(audit_finding redundancy OK "certificate www ocsp" "ocsp responder 1 \\(ca-one.test\\) and backup ocsp 1 \\(backup.lab\\)")"
json_check "no redundancy finding for a certificate with one CA" \
	'not any(f["domain"] == "certificate blog" and f["check"] == "redundancy" for f in js)'
check "state stored for every audited domain" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))["domains"]
sys.exit(0 if {"site.test", "other.test", "ca-one.test", "ca-two.lab", "ca-three.test", "backup.lab"} <= set(d) else 1)
' "$STORE/audit/state.json"

hf_expect "human: exit 1" 1 audit -c "$LAB/holdfast.conf"
out_check "human: a group per certificate for redundancy" "^WARNING +certificate api"
out_check "human: summary" "^WARNING: [0-9]+ domains; 0 critical, 0 unknown, "

# --- DOMAIN arguments narrow the audit; resolvers still from the config.
hf_expect "one DOMAIN with -c: exit 0" 0 audit -c "$LAB/holdfast.conf" --json ca-one.test
json_check "only that domain" '{f["domain"] for f in js} == {"ca-one.test"}'
json_check "the configured resolvers were used" \
	'any(f["check"] == "resolve" and f["source"] == "127.0.0.53:53 127.0.0.54:53" for f in js)'
json_check "a bare domain without address would be fine; this one resolves" \
	"$(audit_finding resolve OK ca-one.test "ca-one.test resolves")"

# --- one resolver only: audited, with a warning that one is not enough.
hf_expect "one resolver: exit 0" 0 audit -c "$LAB/holdfast.conf" --resolver "$AUDIT_RESOLVER1" \
	--json ca-one.test
err_kv "one resolver: logged" event=audit_one_resolver resolver=127.0.0.53:53
json_check "one resolver: the --resolver option wins over the configuration" \
	'all(f["source"] == "127.0.0.53:53" for f in js if f["check"] == "resolve")'

# --- usage and local errors: exit 3, nothing audited.
hf_expect "--help: exit 0" 0 audit --help
out_check "--help: usage" "^usage: holdfast audit "
hf_expect "unknown option: exit 3" 3 audit --no-such-option x.test
hf_expect "bad --resolver: exit 3" 3 audit --resolver resolver.example --store "$STORE" x.test
err_check "bad --resolver: says why" "expected IP\\[:PORT\\]"
hf_expect "missing config: exit 3" 3 audit -c "$LAB/nope.conf"
err_check "missing config: names the file" "nope.conf"
hf_expect "not a domain name: exit 3" 3 audit -c "$LAB/holdfast.conf" "bad name!"
printf 'store = %s\nresolvers = not-an-address\n' "$STORE" >"$LAB/bad.conf"
hf_expect "config with a bad resolver: exit 3" 3 audit -c "$LAB/bad.conf" x.test
printf 'store = %s\nrdap_bootstrap = %s\n' "$LAB/store-empty" "$LAB/rdap/bootstrap/dns.json" \
	>"$LAB/empty.conf"
hf_expect "config without certificates and no DOMAIN: exit 3" 3 audit -c "$LAB/empty.conf" \
	--resolver "$AUDIT_RESOLVER1"
err_check "nothing to audit: says so" "nothing to audit"

lab_finish
