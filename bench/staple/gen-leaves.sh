#!/usr/bin/env bash
# gen-leaves.sh WORK PORT SERIAL...
#
# Helper of run.sh, run by `xargs -P` in batches: for each SERIAL (upper-case
# hex, even length, high bit clear) issue one leaf certificate from the bench
# intermediate and pre-sign its OCSP response, the way a CA pre-signs
# responses and serves them from a CDN (RFC 5019). The OCSP URI in the leaf's
# AIA is per certificate, http://127.0.0.1:PORT/r/SERIAL, so nginx can map
# both a GET (/r/SERIAL/<base64 request>) and a POST (/r/SERIAL) to one static
# file, WORK/resp/SERIAL.der.
#
# Writes WORK/certs/leafSERIAL.crt (leaf only, what `openssl ocsp -cert` takes),
# WORK/certs/leafSERIAL.pem (leaf + intermediate, what holdfast takes) and
# WORK/resp/SERIAL.der. Expects WORK/ca/{int.pem,int.key,leaf.key,leaf.cnf}
# and WORK/ca/index.txt listing every SERIAL as valid (run.sh writes them).
#
# `openssl req -x509 -CA` issues a certificate in ~6 ms here, `openssl x509
# -req` in ~20 ms; -addext also spares a per-certificate extensions file.
set -euo pipefail

work=$1
port=$2
shift 2

ca=$work/ca
# RESP_CERTS=0: leave the signer (= issuer) certificate out of the responses,
# as CAs that sign with the issuing key may; by default it is embedded.
no_certs=()
[[ ${RESP_CERTS:-1} == 0 ]] && no_certs=(-resp_no_certs)
err=$(mktemp "$work/tmp/gen.XXXXXX")
trap 'rm -f "$err"' EXIT

for serial in "$@"; do
	crt=$work/certs/leaf$serial.crt
	name=leaf$serial.bench.test
	if ! openssl req -config "$ca/leaf.cnf" -new -key "$ca/leaf.key" -subj "/CN=$name" \
		-x509 -CA "$ca/int.pem" -CAkey "$ca/int.key" -set_serial "0x$serial" \
		-days 30 -sha256 \
		-addext "basicConstraints=critical,CA:FALSE" \
		-addext "keyUsage=critical,digitalSignature" \
		-addext "extendedKeyUsage=serverAuth" \
		-addext "subjectAltName=DNS:$name" \
		-addext "authorityInfoAccess=OCSP;URI:http://127.0.0.1:$port/r/$serial" \
		-out "$crt" 2>"$err"; then
		echo "gen-leaves.sh: issuing $name failed:" >&2
		cat "$err" >&2
		exit 1
	fi
	cat "$crt" "$ca/int.pem" >"$work/certs/leaf$serial.pem"

	# -no_nonce: a pre-signed response cannot echo a client's nonce (RFC 5019 §2.1.1).
	# -noverify: the responses are checked by the clients under test.
	if ! openssl ocsp -index "$ca/index.txt" -CA "$ca/int.pem" \
		-rsigner "$ca/int.pem" -rkey "$ca/int.key" \
		-issuer "$ca/int.pem" -cert "$crt" -no_nonce -ndays 1 -noverify "${no_certs[@]}" \
		-respout "$work/resp/$serial.der" >"$err" 2>&1; then
		echo "gen-leaves.sh: signing the OCSP response for $name failed:" >&2
		cat "$err" >&2
		exit 1
	fi
done
