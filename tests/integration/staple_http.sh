#!/usr/bin/env bash
# staple_http.sh -- the HTTP side of fetching: the request on the wire (GET
# URL/<percent-encoded base64>, byte-identical to `openssl ocsp -no_nonce`),
# and every transport failure the contract names: garbage body, wrong
# Content-Type, oversized body, HTTP error status, unsuccessful OCSP status,
# redirects (at most 3), a responder that never answers, an unresolvable name.
# shellcheck source=SCRIPTDIR/../lab/lib.sh
. "$(dirname "$0")/../lab/lib.sh"
lab_enter_netns "$@"
lab_init
lab_require_holdfast
lab_setup_ca

# The leaf has no AIA: each case names its responder with --url. Its serial
# is drawn until the base64 of its OCSP request holds a '+' or '/', so that
# the percent-encoding of the GET path is really exercised (~30% per draw).
for ((i = 0; i < 40; i++)); do
	lab_make_leaf "$CA" h
	openssl ocsp -no_nonce -issuer "$CA/int.pem" -cert "$CA/h.crt" -reqout "$LAB/want.req" >/dev/null 2>&1
	[[ $(base64 -w0 "$LAB/want.req") == *[+/]* ]] && break
	lab_forget "$CA" h
done
echo "# request base64: $(base64 -w0 "$LAB/want.req")"
lab_ocsp_responder "$CA" 8080 || not_ok "lab: responder" "did not start"

B=$LAB/bodies
mkdir -p "$B"
lab_presign "$CA" h "$B/valid.der"
head -c 300 /dev/urandom >"$B/garbage.der"
: >"$B/empty.der"
head -c 70000 /dev/urandom >"$B/big.der" # over the 64 KiB cap
lab_write_trylater "$B/trylater.der"
printf '\x30\x03\x0a\x01\x06' >"$B/unauthorized.der" # responseStatus unauthorized
CT=application/ocsp-response

# Redirect chains: /rN/<b64> answers 302 to /r(N-1)/<b64>, /r1/ to the real
# responder; /loop/ redirects to itself. $request_uri keeps the encoding.
# shellcheck disable=SC2016 # nginx variables, not shell ones
redirects='
        location ^~ /r1/ { if ($request_uri ~ ^/r1/(.*)$) { return 302 http://127.0.0.1:8080/$1; } }
        location ^~ /r2/ { if ($request_uri ~ ^/r2/(.*)$) { return 302 http://127.0.0.1:8090/r1/$1; } }
        location ^~ /r3/ { if ($request_uri ~ ^/r3/(.*)$) { return 302 http://127.0.0.1:8090/r2/$1; } }
        location ^~ /r4/ { if ($request_uri ~ ^/r4/(.*)$) { return 302 http://127.0.0.1:8090/r3/$1; } }
        location ^~ /loop/ { return 302 http://127.0.0.1:8090$request_uri; }
        location ^~ /err500/ { return 500; }'
lab_nginx_static 8090 "/cap=$B/valid.der=$CT" "/garbage=$B/garbage.der=$CT" \
	"/empty=$B/empty.der=$CT" "/html=$B/valid.der=text/html" \
	"/big=$B/big.der=$CT" "/trylater=$B/trylater.der=$CT" \
	"/unauthorized=$B/unauthorized.der=$CT" -- "$redirects" ||
	not_ok "lab: nginx" "did not start"
lab_blackhole 8099 || not_ok "lab: black hole" "did not start"

# --- the request on the wire.
hf_expect "request capture: exit 0" 0 staple --url http://127.0.0.1:8090/cap "$CA/h.pem"
line=$(grep ' /cap' "$LAB/nginx-8090/access.log" | tail -n1)
echo "# request line: $line"
check "request: one GET to URL/<something>" grep -Eq '^GET /cap/[^ ]+ HTTP/1\.[01] 200$' <<<"$line"
seg=$(sed -E 's|^GET /cap/([^ ]+) .*|\1|' <<<"$line")
check "request: base64 is percent-encoded (no raw + / =, some %XX)" \
	grep -Eq '^[A-Za-z0-9%]*%(2B|2F|2b|2f)[A-Za-z0-9%]*$' <<<"$seg"
python3 -c 'import sys, urllib.parse, base64
sys.stdout.buffer.write(base64.b64decode(urllib.parse.unquote(sys.argv[1]), validate=True))' \
	"$seg" >"$LAB/got.req" 2>"$LAB/decode.err"
check "request: byte-identical to openssl ocsp -no_nonce -reqout" cmp "$LAB/want.req" "$LAB/got.req"

# The lab's fixed routes answer whatever the request's base64 is -- also when
# it ends in '/' (%2F), which one serial in 64 gives: nginx once answered 500
# to every route then, and each case below failed with http-status.
check "lab: /cap serves its file for a GET path ending in %2F" \
	lab_route_serves GET "http://127.0.0.1:8090/cap/MEkw%2F" "$B/valid.der"
check "lab: /cap serves its file for a POST to a path ending in /" \
	lab_route_serves POST "http://127.0.0.1:8090/cap/" "$B/valid.der"

# refused NAME URL ERROR [holdfast options...]: exit 2, the one error listed
# for URL is ERROR.
refused() {
	local name=$1 url=$2 want=$3
	shift 3
	WANT_URL=$url WANT_ERROR=$want
	export WANT_URL WANT_ERROR
	hf_expect "$name: exit 2" 2 staple --json "$@" --url "$url" "$CA/h.pem"
	json_check "$name: error=$want" \
		'[(u.rstrip("/"), e) for u, e in errs(j)] == [(E["WANT_URL"], E["WANT_ERROR"])]'
}

refused "garbage body" http://127.0.0.1:8090/garbage malformed
refused "empty body" http://127.0.0.1:8090/empty malformed
refused "Content-Type text/html" http://127.0.0.1:8090/html content-type
refused "body over 64 KiB" http://127.0.0.1:8090/big too-large
refused "HTTP 404" http://127.0.0.1:8090/nothing-here http-status
refused "HTTP 500" http://127.0.0.1:8090/err500 http-status
refused "responseStatus tryLater" http://127.0.0.1:8090/trylater status-not-successful
refused "responseStatus unauthorized" http://127.0.0.1:8090/unauthorized status-not-successful
refused "redirect loop" http://127.0.0.1:8090/loop too-many-redirects
refused "4 redirects" http://127.0.0.1:8090/r4 too-many-redirects
refused "unresolvable host" http://ocsp.invalid resolve
HF_RUN_TIMEOUT=20 refused "responder that never answers" http://127.0.0.1:8099 timeout \
	--timeout 2 --connect-timeout 1

hf_expect "3 redirects: exit 0" 0 staple --json --url http://127.0.0.1:8090/r3 "$CA/h.pem"
json_check "3 redirects: good, no errors" 'j["status"] == "good" and not errs(j)'

# A hung responder must not stop failover to the next one.
HF_RUN_TIMEOUT=20 hf_expect "hung responder then a good one: exit 0" 0 \
	staple --json --timeout 2 --connect-timeout 1 \
	--url http://127.0.0.1:8099 --url http://127.0.0.1:8080 "$CA/h.pem"
json_check "hung responder then a good one: timeout listed, second answered" \
	'errs(j) == [("http://127.0.0.1:8099", "timeout")] and j["responder"].rstrip("/") == "http://127.0.0.1:8080"'

lab_finish
