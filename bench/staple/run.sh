#!/usr/bin/env bash
# bench/staple/run.sh [N] — `holdfast staple` against cron-style `openssl ocsp`.
#
# Builds a throw-away PKI (EC P-256 root, RSA-2048 intermediate, N leaves
# sharing one key, each leaf with its own OCSP URI), pre-signs one OCSP
# response per leaf and serves them from nginx on 127.0.0.1 as a CDN would
# (RFC 5019). Then fetches a staple for every leaf with each client and
# times them:
#
#   baseline  one `openssl ocsp` process per certificate, in sequence, each
#             response checked for "Response verify OK" and "good";
#   holdfast  one `holdfast staple --out-dir DIR --parallel P` for all N.
#
# Prints a table and a last line `ratio=X goal=40 PASS|FAIL`. Exits 0 when
# every step worked, whatever the ratio; non-zero when something broke
# (a staple not fetched, holdfast exiting non-zero, nginx not starting...).
#
# Environment (all optional):
#   HOLDFAST=path         binary under test (default: <repo>/build/holdfast)
#   PARALLEL=16           --parallel of the headline holdfast run
#   EXTRA_PARALLEL="1 64" further --parallel values to report ("" for none)
#   NGINX_WORKERS=1       nginx worker_processes
#   RESP_CERTS=1          0: responses carry no signer certificate (-resp_no_certs)
#   BASELINE_TRUST=both   "both": time the baseline twice, with the system trust
#                         store (+ bench root; what a cron job for a public CA
#                         loads each run) and with only the bench root; "root":
#                         only the latter
#   PORT=n                responder port (default: a free one)
#   BASELINE_ONLY=1       stop after the baseline (no holdfast needed)
#   KEEP=1                keep the work directory (its path is printed)
#   TMPDIR                where the work directory is created
set -euo pipefail

readonly GOAL=40
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
N=${1:-2000}
HOLDFAST=${HOLDFAST:-$REPO/build/holdfast}
PARALLEL=${PARALLEL:-16}
EXTRA_PARALLEL=${EXTRA_PARALLEL-1 64}
NGINX_WORKERS=${NGINX_WORKERS:-1}
BASELINE_ONLY=${BASELINE_ONLY:-0}
export RESP_CERTS=${RESP_CERTS:-1}
BASELINE_TRUST=${BASELINE_TRUST:-both}
JOBS=$(nproc)

die() {
	echo "run.sh: error: $*" >&2
	exit 1
}
note() { echo "run.sh: $*" >&2; }
now() { date +%s.%N; }
# seconds between two `now` readings, 3 decimals
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
# certificates per second
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.1f", (s > 0 ? n / s : 0) }'; }

[[ $N =~ ^[1-9][0-9]*$ ]] || die "usage: $0 [N]  (N = number of certificates, default 2000)"
[[ $BASELINE_TRUST == root || $BASELINE_TRUST == both ]] ||
	die "BASELINE_TRUST must be both or root"
for tool in openssl nginx curl python3 awk xargs /usr/bin/time; do
	command -v "$tool" >/dev/null || die "$tool not found"
done
if [[ $BASELINE_ONLY != 1 && ! -x $HOLDFAST ]]; then
	die "$HOLDFAST not built (cd $REPO && meson setup build; ninja -C build), or set BASELINE_ONLY=1"
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/holdfast-bench.XXXXXX")
NGINX_PID=
GEN_PID=
cleanup() {
	if [[ -n $GEN_PID ]]; then
		# xargs and the gen-leaves.sh it started; those finish their current
		# openssl call first, so wait for them before removing their files.
		local kids=() pid _
		mapfile -t kids < <(pgrep -P "$GEN_PID" || true)
		kill -TERM "$GEN_PID" "${kids[@]}" 2>/dev/null || true
		wait "$GEN_PID" 2>/dev/null || true
		for pid in "${kids[@]}"; do
			for _ in $(seq 100); do
				kill -0 "$pid" 2>/dev/null || break
				sleep 0.05
			done
		done
	fi
	if [[ -n $NGINX_PID ]]; then
		kill -TERM "$NGINX_PID" 2>/dev/null || true
		wait "$NGINX_PID" 2>/dev/null || true
	fi
	if [[ ${KEEP:-0} == 1 ]]; then
		note "kept $WORK"
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [[ -z ${PORT:-} ]]; then
	PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
fi
CA=$WORK/ca
mkdir -p "$CA" "$WORK/certs" "$WORK/resp" "$WORK/tmp" "$WORK/nginx/tmp" "$WORK/baseline"

# ---------------------------------------------------------------- 1. the PKI
make_ca() {
	cat >"$CA/ca.cnf" <<'EOF'
[v3_root]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[v3_int]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$CA/root.key"
	openssl req -new -x509 -key "$CA/root.key" -subj "/CN=holdfast bench root" \
		-days 30 -sha256 -config "$CA/ca.cnf" -extensions v3_root -out "$CA/root.pem"
	# RSA-2048: the intermediate signs the responses, so clients verify RSA.
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$CA/int.key" 2>/dev/null
	openssl req -new -key "$CA/int.key" -subj "/CN=holdfast bench intermediate" -out "$CA/int.csr"
	openssl x509 -req -in "$CA/int.csr" -CA "$CA/root.pem" -CAkey "$CA/root.key" \
		-set_serial 0x01 -days 30 -sha256 -extfile "$CA/ca.cnf" -extensions v3_int \
		-out "$CA/int.pem" 2>/dev/null
	# One key for all leaves: key generation is not what is measured.
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$CA/leaf.key"
	# gen-leaves.sh gives every extension with -addext; this keeps the system
	# openssl.cnf (and its x509_extensions) out of the leaves.
	printf '[req]\ndistinguished_name = req_dn\nprompt = no\n[req_dn]\n' >"$CA/leaf.cnf"
}

# Serials 10000000, 10000001, ... (hex): even length and high bit clear, so
# they print the same in certificates, index.txt and URLs.
awk -v n="$N" 'BEGIN { for (i = 0; i < n; i++) printf "%08X\n", 268435456 + i }' >"$WORK/serials"

t0=$(now)
make_ca
expiry=$(date -u -d '+30 days' +%y%m%d%H%M%SZ)
awk -v e="$expiry" -F '\n' '{ printf "V\t%s\t\t%s\tunknown\t/CN=leaf%s.bench.test\n", e, $1, $1 }' \
	"$WORK/serials" >"$CA/index.txt"
printf 'unique_subject = no\n' >"$CA/index.txt.attr"
# In the background so that a signal interrupts `wait` at once.
xargs -P "$JOBS" -n 50 "$HERE/gen-leaves.sh" "$WORK" "$PORT" <"$WORK/serials" &
GEN_PID=$!
wait "$GEN_PID" || die "generating leaves / responses failed"
GEN_PID=
t1=$(now)
GEN_S=$(elapsed "$t0" "$t1")
n_pem=$(find "$WORK/certs" -name 'leaf*.pem' | wc -l)
n_der=$(find "$WORK/resp" -name '*.der' -size +0 | wc -l)
[[ $n_pem == "$N" && $n_der == "$N" ]] || die "expected $N leaves and responses, got $n_pem and $n_der"
note "generated CA, $N leaves and $N pre-signed responses in ${GEN_S}s ($JOBS jobs)"

# ---------------------------------------------------------- 2. the responder
user_line=
[[ $EUID == 0 ]] && user_line='user root;'  # workers must read the 0700 work dir
sed -e "s|@USER@|$user_line|" -e "s|@WORKERS@|$NGINX_WORKERS|" -e "s|@PREFIX@|$WORK/nginx|g" \
	-e "s|@PORT@|$PORT|" -e "s|@WORK@|$WORK|" "$HERE/nginx.conf.in" >"$WORK/nginx/nginx.conf"
nginx -t -q -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" || die "nginx rejects its config"
nginx -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" &
NGINX_PID=$!

BASE_URL=http://127.0.0.1:$PORT/r
up=0
for _ in $(seq 100); do
	if curl -s -o /dev/null "$BASE_URL/10000000"; then
		up=1
		break
	fi
	kill -0 "$NGINX_PID" 2>/dev/null || break
	sleep 0.05
done
((up)) || { cat "$WORK/nginx/error.log" >&2 || true; die "nginx did not start on 127.0.0.1:$PORT"; }

# Check one serial the way both clients will ask: GET with the request in the
# path, POST with it in the body, on one kept-alive connection; and a 404.
check_responder() {
	local serial=$1 req=$WORK/tmp/req.der got=$WORK/tmp/got.der enc out
	openssl ocsp -no_nonce -issuer "$CA/int.pem" -cert "$WORK/certs/leaf$serial.crt" \
		-reqout "$req" >/dev/null 2>&1 || die "building an OCSP request failed"
	enc=$(python3 -c 'import base64, sys, urllib.parse
print(urllib.parse.quote(base64.b64encode(open(sys.argv[1], "rb").read()).decode(), safe=""))' "$req")
	for how in get get-xyz post; do
		case $how in
		get) out=$(curl -sS -o "$got" -w '%{http_code} %{content_type}' "$BASE_URL/$serial/$enc") ;;
		get-xyz) out=$(curl -sS -o "$got" -w '%{http_code} %{content_type}' "$BASE_URL/$serial/xyz") ;;
		post) out=$(curl -sS -o "$got" -w '%{http_code} %{content_type}' \
			-H 'Content-Type: application/ocsp-request' --data-binary "@$req" "$BASE_URL/$serial") ;;
		esac
		[[ $out == "200 application/ocsp-response" ]] || die "responder $how $serial: got '$out'"
		cmp -s "$got" "$WORK/resp/$serial.der" || die "responder $how $serial: wrong body"
	done
	# POST then GET on one connection: the second transfer must not reconnect.
	out=$(curl -sS -o /dev/null -w '%{num_connects}.' \
		-H 'Content-Type: application/ocsp-request' --data-binary "@$req" "$BASE_URL/$serial" \
		--next -o /dev/null -w '%{num_connects}.' "$BASE_URL/$serial/$enc")
	[[ $out == "1.0." ]] || die "responder $serial: keep-alive after POST broken (connects: $out)"
	out=$(curl -s -o /dev/null -w '%{http_code}' "$BASE_URL/FFFFFFFF/x")
	[[ $out == 404 ]] || die "responder: unknown serial gave $out, not 404"
}
check_responder 10000000
check_responder "$(tail -n 1 "$WORK/serials")"
note "nginx ($NGINX_WORKERS worker) serves GET and POST at $BASE_URL/<serial>"

# ------------------------------------------------------------ 3. baseline
# What a cron job does today: one openssl process per certificate.  Two trust
# settings, both over all N certificates:
#  - "system": the system trust store plus the lab root, which is what such a
#    job verifies against for a public CA (LAB-NOTES' ~20 ms per process);
#  - "root": only the lab root, the cheapest openssl run possible.
cat "$CA/root.pem" /etc/ssl/certs/ca-certificates.crt >"$CA/root+system.pem" 2>/dev/null ||
	cp "$CA/root.pem" "$CA/root+system.pem"
# run_baseline CAFILE: sets BASE_S, BASE_RATE and BASE_RSS.
run_baseline() {
	local cafile=$1 t0 t1 out serial
	cd "$WORK/certs"
	t0=$(now)
	while read -r serial; do
		if ! out=$(openssl ocsp -no_nonce -issuer "$CA/int.pem" -cert "leaf$serial.crt" \
			-url "$BASE_URL/$serial" -CAfile "$cafile" \
			-respout "$WORK/baseline/$serial.der" 2>&1); then
			die "openssl ocsp leaf$serial.crt failed: $out"
		fi
		# openssl prints "good" even after a verify failure: check both lines.
		[[ $out == *"Response verify OK"* && $out == *"leaf$serial.crt: good"* ]] ||
			die "openssl ocsp leaf$serial.crt: $out"
	done <"$WORK/serials"
	t1=$(now)
	BASE_S=$(elapsed "$t0" "$t1")
	BASE_RATE=$(rate "$N" "$BASE_S")
	# Peak RSS of one such process (untimed); they run one after another.
	serial=$(head -n 1 "$WORK/serials")
	/usr/bin/time -f %M -o "$WORK/tmp/baseline.rss" openssl ocsp -no_nonce -issuer "$CA/int.pem" \
		-cert "leaf$serial.crt" -url "$BASE_URL/$serial" -CAfile "$cafile" >/dev/null 2>&1 ||
		die "openssl ocsp leaf$serial.crt failed under /usr/bin/time"
	BASE_RSS=$(awk '{ printf "%.1f MiB", $1 / 1024 }' "$WORK/tmp/baseline.rss")
}
note "baseline: $N x openssl ocsp with the system trust store, sequential ..."
if [[ $BASELINE_TRUST == root ]]; then
	SYS_S="" SYS_RATE="" SYS_RSS=""
else
	run_baseline "$CA/root+system.pem"
	SYS_S=$BASE_S SYS_RATE=$BASE_RATE SYS_RSS=$BASE_RSS
fi
note "baseline: $N x openssl ocsp with only the lab root, sequential ..."
run_baseline "$CA/root.pem"

row() { printf '%-30s %10s %10s %12s\n' "$@"; }
print_head() {
	printf '\nholdfast staple bench: N=%s cores=%s nginx_workers=%s resp_certs=%s baseline_trust=%s\n' \
		"$N" "$JOBS" "$NGINX_WORKERS" "$RESP_CERTS" "$BASELINE_TRUST"
	printf 'responder: %s/<serial> (nginx, pre-signed responses)\n' "$BASE_URL"
	# Staples are written (and fsync'ed by holdfast) here: disk or tmpfs matters.
	printf 'staples written under: %s (%s)\n' "${TMPDIR:-/tmp}" "$(stat -f -c %T "$WORK")"
	printf 'setup (CA, %s leaves, %s responses): %ss\n\n' "$N" "$N" "$GEN_S"
	row client seconds certs/s peak_rss
	[[ -n $SYS_S ]] && row "openssl ocsp, system trust" "$SYS_S" "$SYS_RATE" "$SYS_RSS"
	row "openssl ocsp, lab root only" "$BASE_S" "$BASE_RATE" "$BASE_RSS"
}

if [[ $BASELINE_ONLY == 1 ]]; then
	print_head
	note "BASELINE_ONLY=1: holdfast not run"
	exit 0
fi

# ------------------------------------------------------------ 4. holdfast
# run_holdfast P: one holdfast invocation for all N leaves into a fresh
# directory; checks it fully succeeded; sets HF_S, HF_RATE and HF_RSS.
run_holdfast() {
	local p=$1 out=$WORK/out-p$1 log=$WORK/holdfast-p$1 rc=0 t_start t_end n_ok n_files bad=0 serial
	mkdir -p "$out"
	note "holdfast staple --parallel $p, $N certificates ..."
	t_start=$(now)
	/usr/bin/time -v -o "$log.time" "$HOLDFAST" staple --out-dir "$out" --parallel "$p" leaf*.pem \
		>"$log.out" 2>"$log.err" || rc=$?
	t_end=$(now)
	HF_S=$(elapsed "$t_start" "$t_end")
	HF_RATE=$(rate "$N" "$HF_S")
	HF_RSS=$(awk -F': ' '/Maximum resident set size/ { printf "%.1f MiB", $2 / 1024 }' "$log.time")
	n_ok=$(grep -c '^OK ' "$log.out" || true)
	n_files=$(find "$out" -name 'leaf*.pem.ocsp' | wc -l)
	if ((rc != 0 || n_ok != N || n_files != N)); then
		{
			echo "holdfast --parallel $p: exit $rc, $n_ok OK lines, $n_files files (want 0, $N, $N)"
			echo "--- stdout (first 20 lines not starting with OK):"
			grep -v '^OK ' "$log.out" | head -n 20 || true
			echo "--- stderr (first 20 lines):"
			head -n 20 "$log.err" || true
		} >&2
		die "holdfast --parallel $p did not staple every certificate"
	fi
	# The staple must be the response nginx served (or at least a valid one).
	while read -r serial; do
		cmp -s "$out/leaf$serial.pem.ocsp" "$WORK/resp/$serial.der" && continue
		bad=$((bad + 1))
		local v
		v=$(openssl ocsp -no_nonce -respin "$out/leaf$serial.pem.ocsp" -issuer "$CA/int.pem" \
			-cert "leaf$serial.crt" -CAfile "$CA/root.pem" 2>&1) || true
		[[ $v == *"Response verify OK"* && $v == *": good"* ]] ||
			die "holdfast --parallel $p wrote an invalid staple for leaf$serial.pem: $v"
	done <"$WORK/serials"
	((bad == 0)) || note "holdfast --parallel $p: $bad staples valid but not byte-identical to the served response"
}

run_holdfast "$PARALLEL"
MAIN_S=$HF_S
RATIO=$(awk -v b="$BASE_S" -v h="$MAIN_S" 'BEGIN { printf "%.1f", (h > 0 ? b / h : 0) }')
rows=("holdfast --parallel $PARALLEL|$HF_S|$HF_RATE|$HF_RSS")
for p in $EXTRA_PARALLEL; do
	[[ $p == "$PARALLEL" ]] && continue
	run_holdfast "$p"
	rows+=("holdfast --parallel $p|$HF_S|$HF_RATE|$HF_RSS")
done

print_head
for line in "${rows[@]}"; do
	IFS='|' read -r name s r rss <<<"$line"
	row "$name" "$s" "$r" "$rss"
done
echo
verdict=$(awk -v r="$RATIO" -v g="$GOAL" 'BEGIN { print (r >= g) ? "PASS" : "FAIL" }')
if [[ -n $SYS_S ]]; then
	SYS_RATIO=$(awk -v b="$SYS_S" -v h="$MAIN_S" 'BEGIN { printf "%.1f", (h > 0 ? b / h : 0) }')
	sys_verdict=$(awk -v r="$SYS_RATIO" -v g="$GOAL" 'BEGIN { print (r >= g) ? "PASS" : "FAIL" }')
	echo "ratio_system_trust=$SYS_RATIO goal=$GOAL $sys_verdict  (cron job verifying like for a public CA)"
fi
echo "ratio_root_only=$RATIO goal=$GOAL $verdict  (cheapest possible openssl run)"
