#!/usr/bin/env bash
# revocation_crl.sh -- `holdfast revocation` against CRLs made by
# `openssl ca -gencrl` and served by the lab nginx, and against a real
# `openssl ocsp` responder for the OCSP-first path: not listed (0), listed
# (2, reason and time), signed by another key, stale nextUpdate (1), a shard
# whose Issuing Distribution Point names another URL, over crl_max_size,
# garbage, a certificate served as a CRL; the store cache (-c): conditional
# GET answered 304 by nginx, and a broken answer never replacing the cached
# CRL; OCSP used first when it answers, the CRL when it does not; the issuer
# from AIA caIssuers; an indirect CRL (RFC 5280 5.2.5) signed by a CRL issuer
# the intermediate certified, its certificate fetched from the CRL's own
# caIssuers: an entry with the certificate's serial but no certificateIssuer
# is the CRL issuer's own, a CRL issuer the CA did not certify is refused,
# and a certificate whose DP names no cRLIssuer does not take it.
# shellcheck source=SCRIPTDIR/../lab/lib.sh
. "$(dirname "$0")/../lab/lib.sh"
# shellcheck source=SCRIPTDIR/../lab/crl.sh
. "$(dirname "$0")/../lab/crl.sh"
lab_enter_netns "$@"
lab_init
lab_require_holdfast
lab_setup_ca

PORT=8081
BASE=http://127.0.0.1:$PORT
OCSP_PORT=8082
WWW=$LAB/www
mkdir -p "$WWW"
export BASE

# --- openssl ca over the lab's intermediate and its index.txt (lab/crl.sh).
lab_crl_setup "[idp_other]
issuingDistributionPoint = critical, @idp_other_name
[idp_other_name]
fullname = URI:$BASE/other-shard.crl
[idp_own]
issuingDistributionPoint = critical, @idp_own_name
[idp_own_name]
fullname = URI:$BASE/shard-own.crl
[crl_indirect]
authorityKeyIdentifier = keyid
issuingDistributionPoint = critical, @idp_indirect
authorityInfoAccess = caIssuers;URI:$BASE/crlsigner.der
[idp_indirect]
fullname = URI:$BASE/indirect.crl
indirectCRL = TRUE
[crl_indirect_rogue]
authorityKeyIdentifier = keyid
issuingDistributionPoint = critical, @idp_indirect_rogue
authorityInfoAccess = caIssuers;URI:$BASE/rogue-crlsigner.der
[idp_indirect_rogue]
fullname = URI:$BASE/indirect-rogue.crl
indirectCRL = TRUE"

dp() { echo "crlDistributionPoints = URI:$BASE/$1"; }

lab_crl_leaf good "$(dp ca.crl)"
lab_crl_leaf rev "$(dp ca.crl)"
lab_crl_leaf rogue "$(dp rogue.crl)"
lab_crl_leaf stale "$(dp stale.crl)"
lab_crl_leaf shard "$(dp shard.crl)"
lab_crl_leaf shardok "$(dp shard-own.crl)"
lab_crl_leaf garbage "$(dp garbage.crl)"
lab_crl_leaf wrongtype "$(dp wrongtype.crl)"
lab_crl_leaf huge "$(dp huge.crl)"
lab_crl_leaf swap "$(dp swap.crl)"
lab_crl_leaf ocsp "authorityInfoAccess = OCSP;URI:http://127.0.0.1:$OCSP_PORT" "$(dp ca.crl)"
lab_crl_leaf ocspdown "authorityInfoAccess = OCSP;URI:http://127.0.0.1:9" "$(dp ca.crl)"
lab_crl_leaf aia "authorityInfoAccess = caIssuers;URI:$BASE/int.der" "$(dp ca.crl)"
lab_crl_leaf nothing
# The indirect CRL's issuer, certified by the intermediate (cRLSign only),
# and one with the same name that the rogue CA certified.
printf '%s\n' "[crlsigner]" "basicConstraints = critical, CA:false" "keyUsage = critical, cRLSign" \
	"subjectKeyIdentifier = hash" "authorityKeyIdentifier = keyid" >"$CA/crlsigner.ext"
(
	set -e
	cd "$CA"
	lab_ec_csr crlsigner "/O=holdfast lab/CN=Lab CRL Issuer"
	openssl x509 -req -in crlsigner.csr -CA int.pem -CAkey int.key -set_serial "0x$(lab_serial)" \
		-days 30 -extfile crlsigner.ext -extensions crlsigner -out crlsigner.pem
	openssl x509 -req -in crlsigner.csr -CA rogue.pem -CAkey rogue.key -set_serial "0x$(lab_serial)" \
		-days 30 -extfile crlsigner.ext -extensions crlsigner -out rogue-crlsigner.pem
) >>"$LAB/logs/gencrl.log" 2>&1 || not_ok "lab: CRL issuer" "openssl failed"
# crl_issuer_dp URL: a distribution point at URL whose cRLIssuer is that CRL issuer.
crl_issuer_dp() {
	printf '%s\n' "crlDistributionPoints = dp" "[dp]" "fullname = URI:$1" \
		"CRLissuer = dirName:dp_issuer" "[dp_issuer]" "O = holdfast lab" "CN = Lab CRL Issuer"
}
mapfile -t dp_lines < <(crl_issuer_dp "$BASE/indirect.crl")
lab_crl_leaf indirect "${dp_lines[@]}"
mapfile -t dp_lines < <(crl_issuer_dp "$BASE/indirect-rogue.crl")
lab_crl_leaf indirectrogue "${dp_lines[@]}"
lab_crl_leaf indirectplain "$(dp indirect.crl)"
lab_revoke "$CA" rev

# --- the CRLs.
lab_gencrl "$WWW/ca.crl" # PEM
openssl crl -in "$WWW/ca.crl" -outform DER -out "$WWW/ca.der"
# Signed by another key under the intermediate's very name.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$CA/impostor.key" -out "$CA/impostor.pem" -days 30 \
	-subj "/O=holdfast lab/CN=Lab Intermediate" \
	-addext "keyUsage=critical,keyCertSign,cRLSign" >>"$LAB/logs/gencrl.log" 2>&1
lab_gencrl "$WWW/rogue.crl" -keyfile "$CA/impostor.key" -cert "$CA/impostor.pem"
lab_gencrl "$WWW/stale.crl" -crl_lastupdate "$(date -u -d '-3 days' +%Y%m%d%H%M%SZ)" \
	-crl_nextupdate "$(date -u -d '-1 day' +%Y%m%d%H%M%SZ)"
lab_gencrl "$WWW/shard.crl" -crlexts idp_other
lab_gencrl "$WWW/shard-own.crl" -crlexts idp_own
# The indirect CRLs, from the intermediate's index.txt (each entry is then
# the CRL issuer's own: none has a certificateIssuer).
lab_gencrl "$WWW/indirect.crl" -keyfile "$CA/crlsigner.key" -cert "$CA/crlsigner.pem" -crlexts crl_indirect
lab_gencrl "$WWW/indirect-rogue.crl" -keyfile "$CA/crlsigner.key" -cert "$CA/rogue-crlsigner.pem" \
	-crlexts crl_indirect_rogue
openssl x509 -in "$CA/crlsigner.pem" -outform DER -out "$WWW/crlsigner.der"
openssl x509 -in "$CA/rogue-crlsigner.pem" -outform DER -out "$WWW/rogue-crlsigner.der"
head -c 3000 /dev/urandom >"$WWW/garbage.crl"
cp "$CA/int.pem" "$WWW/wrongtype.crl"
openssl x509 -in "$CA/int.pem" -outform DER -out "$WWW/int.der"
# Over the 64 KiB crl_max_size of the -c configuration below: a real CRL
# with 4000 entries, from an index of its own.
awk -v OFS='\t' 'BEGIN { for (i = 0; i < 4000; i++)
	printf "R\t301231235959Z\t240101000000Z,keyCompromise\t%X\tunknown\t/CN=x%d\n", 268435456 + i, i }' \
	>"$CA/huge-index.txt"
sed "s|^database = .*|database = $CA/huge-index.txt|" "$CA/ca.cnf" >"$CA/huge.cnf"
openssl ca -gencrl -config "$CA/huge.cnf" -keyfile "$CA/int.key" -cert "$CA/int.pem" \
	-out "$WWW/huge.crl" >>"$LAB/logs/gencrl.log" 2>&1
cp "$WWW/ca.der" "$WWW/swap.crl"
for f in ca.crl rogue.crl stale.crl shard.crl shard-own.crl huge.crl; do
	[ -s "$WWW/$f" ] || {
		not_ok "lab: CRL $f" "openssl ca -gencrl failed"
		diag "$LAB/logs/gencrl.log" "  "
		lab_finish
	}
done
check "lab: the huge CRL is over 64 KiB" test "$(stat -c %s "$WWW/huge.crl")" -gt 65536
check "lab: ca.crl lists rev" grep -q "$(lab_cert_serial "$CA/rev.crt")" \
	<(openssl crl -in "$WWW/ca.crl" -noout -text)

routes=()
for f in ca.crl rogue.crl stale.crl shard.crl shard-own.crl garbage.crl wrongtype.crl huge.crl swap.crl \
	indirect.crl indirect-rogue.crl; do
	routes+=("/$f=$WWW/$f=application/pkix-crl")
done
routes+=("/int.der=$WWW/int.der=application/pkix-cert")
routes+=("/crlsigner.der=$WWW/crlsigner.der=application/pkix-cert")
routes+=("/rogue-crlsigner.der=$WWW/rogue-crlsigner.der=application/pkix-cert")
lab_nginx_static "$PORT" "${routes[@]}" || not_ok "lab: nginx" "did not start"
ACCESS=$LAB/nginx-$PORT/access.log
lab_ocsp_responder "$CA" "$OCSP_PORT" || not_ok "lab: responder" "did not start"

# --- not listed, listed.
hf_expect "not listed: exit 0" 0 revocation --json "$CA/good.pem"
json_check "not listed: good, by CRL, fetched from the DP" \
	'j["status"] == "good" and j["method"] == "crl" and j["source"] == "fetched" and j["url"] == E["BASE"] + "/ca.crl" and j["stale"] is False'
hf_expect "listed: exit 2" 2 revocation "$CA/rev.pem"
out_check "listed: REVOKED with reason and time" \
	"^CRITICAL $CA/rev.pem: REVOKED serial=[0-9A-F]+ reason=keyCompromise revocation_time=[0-9]{4}-[0-9-]+T[0-9:]+Z method=crl"
hf_expect "listed, --json: exit 2" 2 revocation --json "$CA/rev.pem"
json_check "listed, --json: revoked, reason, time" \
	'j["status"] == "revoked" and j["revocation_reason"] == "keyCompromise" and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", j["revocation_time"])'
hf_expect "--issuer with a leaf-only file: exit 0" 0 \
	revocation --issuer "$CA/int.pem" "$CA/good.crt"
hf_expect "two certificates: the worst (revoked) wins" 2 \
	revocation "$CA/good.pem" "$CA/rev.pem"

# --- refused CRLs.
hf_expect "signed by another key: exit 3" 3 revocation --json "$CA/rogue.pem"
json_check "signed by another key: bad-signature" \
	'("crl", "bad-signature") in [(e["method"], e["error"]) for e in j["errors"]] and j["status"] == "none"'
hf_expect "stale nextUpdate: exit 1" 1 revocation --json "$CA/stale.pem"
json_check "stale nextUpdate: not listed, stale" 'j["stale"] is True and j["status"] == "good"'
hf_expect "shard whose IDP names another URL: exit 3" 3 revocation --json "$CA/shard.pem"
json_check "shard mismatch: idp-mismatch" '("crl", "idp-mismatch") in [(e["method"], e["error"]) for e in j["errors"]]'
hf_expect "shard whose IDP names its own URL: exit 0" 0 revocation "$CA/shardok.pem"
hf_expect "garbage: exit 3" 3 revocation --json "$CA/garbage.pem"
json_check "garbage: malformed" 'errs(j) == [(E["BASE"] + "/garbage.crl", "malformed")]'
hf_expect "a certificate served as the CRL: exit 3" 3 revocation --json "$CA/wrongtype.pem"
json_check "certificate as CRL: wrong-type" 'errs(j) == [(E["BASE"] + "/wrongtype.crl", "wrong-type")]'
hf_expect "no cap given: the 4000-entry CRL is accepted (exit 0)" 0 revocation "$CA/huge.pem"

# --- the store cache, with crl_max_size = 64KiB.
STORE=$LAB/store
mkdir -p "$STORE"
printf 'store = %s\ncrl_max_size = 64KiB\n' "$STORE" >"$LAB/hf.conf"
hf_expect "-c, over crl_max_size: exit 3" 3 revocation -c "$LAB/hf.conf" --json "$CA/huge.pem"
json_check "-c, over crl_max_size: too-large" 'errs(j) == [(E["BASE"] + "/huge.crl", "too-large")]'

hf_expect "-c, first run: exit 0" 0 revocation -c "$LAB/hf.conf" --json "$CA/good.pem"
json_check "-c, first run: fetched" 'j["source"] == "fetched"'
check "-c, first run: one CRL cached" test "$(find "$STORE/crls" -name '*.crl' | wc -l)" -eq 1
hf_expect "-c, second run: exit 0" 0 revocation -c "$LAB/hf.conf" --json "$CA/good.pem"
json_check "-c, second run: not-modified" 'j["source"] == "not-modified"'
check "-c, second run: nginx answered 304" \
	test "$(tail -n 1 "$ACCESS")" = "GET /ca.crl HTTP/1.1 304"
check "without -c: unconditional (200)" \
	sh -c "'$HOLDFAST' revocation '$CA/good.pem' >/dev/null 2>&1; test \"\$(tail -n 1 '$ACCESS')\" = 'GET /ca.crl HTTP/1.1 200'"

# swap.crl: a good CRL cached, then broken answers, then a valid new one.
hf_expect "swap, good CRL: exit 0" 0 revocation -c "$LAB/hf.conf" "$CA/swap.pem"
CACHED=$(grep -l . "$STORE"/crls/*.crl | while read -r f; do cmp -s "$f" "$WWW/ca.der" && echo "$f"; done | head -n 1)
check "swap: the cached copy is the CRL served" test -n "$CACHED"
cp "$CACHED" "$LAB/cached.before"
cp "$WWW/garbage.crl" "$WWW/swap.crl"
hf_expect "swap, garbage served: exit 0 from the cache" 0 \
	revocation -c "$LAB/hf.conf" --json "$CA/swap.pem"
json_check "swap, garbage: source cached, malformed reported" \
	'j["source"] == "cached" and errs(j) == [(E["BASE"] + "/swap.crl", "malformed")]'
check "swap, garbage: cached CRL unchanged" cmp "$CACHED" "$LAB/cached.before"
cp "$WWW/huge.crl" "$WWW/swap.crl"
hf_expect "swap, huge served: exit 0 from the cache" 0 \
	revocation -c "$LAB/hf.conf" --json "$CA/swap.pem"
json_check "swap, huge: too-large reported" 'errs(j) == [(E["BASE"] + "/swap.crl", "too-large")]'
check "swap, huge: cached CRL unchanged" cmp "$CACHED" "$LAB/cached.before"
cp "$WWW/rogue.crl" "$WWW/swap.crl"
hf_expect "swap, another key's CRL: exit 0 from the cache" 0 \
	revocation -c "$LAB/hf.conf" --json "$CA/swap.pem"
check "swap, another key: cached CRL unchanged" cmp "$CACHED" "$LAB/cached.before"
lab_revoke "$CA" swap
lab_next_second
lab_gencrl "$WWW/swap.crl"
hf_expect "swap, a new valid CRL listing it: exit 2" 2 \
	revocation -c "$LAB/hf.conf" --json "$CA/swap.pem"
json_check "swap, new CRL: fetched, revoked" 'j["source"] == "fetched" and j["status"] == "revoked"'
check "swap, new CRL: the cache now holds it" lab_not cmp -s "$CACHED" "$LAB/cached.before"

# --- OCSP first.
hf_expect "OCSP responder answers: exit 0" 0 revocation --json "$CA/ocsp.pem"
json_check "OCSP answers: method ocsp" \
	'j["method"] == "ocsp" and j["status"] == "good" and j["url"].startswith("http://127.0.0.1:8082")'
lab_revoke "$CA" ocsp
hf_expect "OCSP says revoked (the CRL does not list it): exit 2" 2 revocation --json "$CA/ocsp.pem"
json_check "OCSP revoked: method ocsp, reason" \
	'j["method"] == "ocsp" and j["status"] == "revoked" and j["revocation_reason"] == "keyCompromise"'
hf_expect "OCSP responder down: the CRL answers, exit 0" 0 revocation --json "$CA/ocspdown.pem"
json_check "OCSP down: method crl, the OCSP failure listed" \
	'j["method"] == "crl" and any(e["method"] == "ocsp" for e in j["errors"])'

# --- an indirect CRL.
hf_expect "indirect CRL: exit 0" 0 revocation --json "$CA/indirect.pem"
json_check "indirect CRL: good, by CRL, from its DP" \
	'j["status"] == "good" and j["method"] == "crl" and j["url"] == E["BASE"] + "/indirect.crl"'
check "indirect CRL: the CRL issuer's certificate came from the CRL's caIssuers" \
	grep -q "^GET /crlsigner.der HTTP/1.1 200" "$ACCESS"
lab_revoke "$CA" indirect
lab_next_second
lab_gencrl "$WWW/indirect.crl" -keyfile "$CA/crlsigner.key" -cert "$CA/crlsigner.pem" -crlexts crl_indirect
check "lab: the indirect CRL lists the serial (as the CRL issuer's own entry)" \
	grep -q "$(lab_cert_serial "$CA/indirect.crt")" <(openssl crl -in "$WWW/indirect.crl" -noout -text)
hf_expect "indirect CRL, the same serial without certificateIssuer: not this certificate's, exit 0" 0 \
	revocation --json "$CA/indirect.pem"
json_check "indirect CRL, the CRL issuer's own entry: good" 'j["status"] == "good" and j["method"] == "crl"'
hf_expect "indirect CRL whose issuer the CA did not certify: exit 3" 3 revocation --json "$CA/indirectrogue.pem"
json_check "indirect CRL, foreign CRL issuer: signer-not-authorized" \
	'errs(j) == [(E["BASE"] + "/indirect-rogue.crl", "signer-not-authorized")]'
hf_expect "indirect CRL for a certificate whose DP names no cRLIssuer: exit 3" 3 \
	revocation --json "$CA/indirectplain.pem"
json_check "indirect CRL, no cRLIssuer in the DP: crl-issuer-not-named" \
	'errs(j) == [(E["BASE"] + "/indirect.crl", "crl-issuer-not-named")]'

# --- the issuer.
hf_expect "issuer from AIA caIssuers: exit 0" 0 revocation --json "$CA/aia.crt"
json_check "caIssuers: checked by CRL" 'j["method"] == "crl" and j["status"] == "good"'
hf_expect "no issuer anywhere: exit 3" 3 revocation "$CA/good.crt"
out_check "no issuer: says so" "^UNKNOWN $CA/good.crt: no issuer"
hf_expect "no OCSP, no CRL DP: exit 3" 3 revocation "$CA/nothing.pem"
hf_expect "no certificate: exit 3" 3 revocation
hf_expect "--help: exit 0" 0 revocation --help

lab_finish
