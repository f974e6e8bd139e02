#!/usr/bin/env bash
# audit_2018.sh -- the 2018 scenario: the CA's domain is put on clientHold
# at its registrar.  The registry's RDAP shows "client hold" and the TLD
# zone no longer delegates the domain, so the CA's ACME directory, OCSP
# responder, CA-issuers and CRL hosts stop resolving everywhere.
#
# The lab deployment: holdfast.conf with one CA (its directory on
# acme-v02.api.ca-lab.test) and one critical certificate (www.site.test),
# and a stored certificate whose AIA and CRL distribution point name
# ocsp./crt./crl.ca-lab.test.  `holdfast audit -c` with no DOMAIN audits that
# dependency map: clean before the hold (exit 0); after it, exit 2 with the
# CA's domain named first, its status, the missing delegation and every CA
# endpoint failing to resolve.
# shellcheck source=SCRIPTDIR/../lab/lib.sh
. "$(dirname "$0")/../lab/lib.sh"
lab_enter_netns "$@"
lab_init
lab_require_holdfast
# shellcheck source=SCRIPTDIR/../lab/audit.sh
. "$(dirname "$0")/../lab/audit.sh"

audit_lab_world
AUDIT_DELEG[site.test]="ns1.dns-a.test ns1.dns-b.lab"
AUDIT_DELEG[ca-lab.test]="ns1.dns-a.test ns1.dns-b.lab"
AUDIT_CHILD_EXTRA[ca-lab.test]="acme-v02.api A 192.0.2.10
crt A 192.0.2.11
crl A 192.0.2.12"
audit_dns_start || { not_ok "lab: DNS" "knot/unbound did not start"; lab_finish; }
audit_rdap_start || { not_ok "lab: RDAP server" "did not start"; lab_finish; }
for d in "${!AUDIT_DELEG[@]}"; do
	audit_rdap_fixture "$d" gtld-locked
done

STORE=$LAB/store
mkdir -p "$STORE/certificates/www"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
	-keyout "$LAB/www.key" -out "$STORE/certificates/www/cert.pem" -subj "/CN=www.site.test" \
	-addext "subjectAltName=DNS:www.site.test" \
	-addext "authorityInfoAccess=OCSP;URI:http://ocsp.ca-lab.test,caIssuers;URI:http://crt.ca-lab.test/int.der" \
	-addext "crlDistributionPoints=URI:http://crl.ca-lab.test/int.crl" >"$LAB/logs/openssl.log" 2>&1 ||
	not_ok "lab: stored certificate" "openssl failed"
cat >"$LAB/holdfast.conf" <<EOF
store = $STORE
resolvers = $AUDIT_RESOLVER1 $AUDIT_RESOLVER2
rdap_bootstrap = $AUDIT_RDAP_URL/bootstrap/dns.json

[ca lab]
directory = https://acme-v02.api.ca-lab.test/directory

[certificate www]
names = www.site.test
cas = lab
critical = yes
webroot = $LAB/www
EOF

# --- before: everything the deployment depends on is fine.
hf_expect "before the hold: exit 0" 0 audit -c "$LAB/holdfast.conf" --json
json_check "the dependency map: the site and the CA's domain" \
	'sorted({f["domain"] for f in js if not f["domain"].startswith("certificate ")}) == ["ca-lab.test", "site.test"]'
json_check "the certificate's own findings: CAA lets its CA issue" \
	'[(f["check"], f["severity"]) for f in js if f["domain"] == "certificate www"] == [("caa", "OK")]'
json_check "the CA's domain holds the directory and the certificate's AIA and CRL hosts" \
	'all(r in js[0]["roles"] or any(r in f["roles"] for f in js) for r in
	     ("directory of ca lab", "ocsp of certificate www", "ca-issuers of certificate www", "crl of certificate www"))'
json_check "every CA endpoint host resolves" \
	'all(any(f["check"] == "resolve" and f["severity"] == "OK" and h in f["evidence"] for f in js)
	     for h in ("acme-v02.api.ca-lab.test", "ocsp.ca-lab.test", "crt.ca-lab.test", "crl.ca-lab.test"))'
json_check "the site is critical: a registry lock is checked as WARNING-worthy" \
	'any(f["domain"] == "site.test" and f["check"] == "registry-lock" and f["severity"] == "OK" for f in js)'

# --- 2018-07-30: the registrar puts the CA's domain on clientHold.
audit_rdap_fixture ca-lab.test client-hold
unset 'AUDIT_DELEG[ca-lab.test]'
check "lab: the TLD zone no longer delegates ca-lab.test" audit_parent_reload test

hf_expect "during the hold: exit 2" 2 audit -c "$LAB/holdfast.conf" --json
json_check "client hold CRITICAL on the CA's domain" \
	"$(audit_finding status CRITICAL ca-lab.test "client hold")"
json_check "the TLD's servers no longer delegate it (asked directly)" \
	"$(audit_finding delegation CRITICAL ca-lab.test "no longer delegates ca-lab.test")"
json_check "every CA endpoint fails to resolve: NXDOMAIN on both resolvers" \
	'all(any(f["check"] == "resolve" and f["severity"] == "CRITICAL" and h in f["evidence"]
	         and "127.0.0.53:53 nxdomain, 127.0.0.54:53 nxdomain" in f["evidence"] for f in js)
	     for h in ("acme-v02.api.ca-lab.test", "ocsp.ca-lab.test", "crt.ca-lab.test", "crl.ca-lab.test"))'
json_check "the lost registry lock is reported as a change since the last audit" \
	"$(audit_finding changed WARNING ca-lab.test "lock flags changed")"
json_check "the site itself is unaffected" \
	'not any(f["domain"] == "site.test" and f["severity"] in ("CRITICAL", "UNKNOWN") for f in js)'
json_check "the CA's domain comes first (worst first)" 'js[0]["domain"] == "ca-lab.test"'

hf_expect "during the hold, human: exit 2" 2 audit -c "$LAB/holdfast.conf"
out_check "human: the first line names the CA's domain as CRITICAL" \
	"^CRITICAL +ca-lab\\.test +\\(.*directory of ca lab"
check "human: the very first line is that one" \
	grep -qE "^CRITICAL +ca-lab\\.test" <(head -n1 "$HF_OUT")
out_check "human: client hold named" "^  CRITICAL status +client hold"
# Two domains and the certificate's group (its caa finding).
out_check "human: summary says CRITICAL" "^CRITICAL: 3 domains; "

lab_finish
