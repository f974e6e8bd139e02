# shellcheck shell=bash
# tests/lab/lib.sh -- the lab that integration tests run holdfast against.
#
# Sourced by every tests/integration/*.sh. A test script does:
#
#     . "$(dirname "$0")/../lab/lib.sh"
#     lab_enter_netns "$@"     # re-runs the script inside a fresh netns
#     lab_init                 # $LAB temp dir + cleanup trap
#     ...start peers, run holdfast, assert...
#     lab_finish               # exit 1 if any "not ok" was printed
#
# Design:
# - Isolation: each script runs in its own network namespace with only `lo`.
#   Every server binds 127.0.0.1 (or, for `openssl ocsp -port`, all addresses
#   of that namespace), so fixed port numbers are safe, nothing can reach an
#   outside address, and scripts may run in parallel.
# - Real peers: `openssl ocsp` as the responder, nginx to serve fixed bodies
#   and to staple, HAProxy to staple. The only stand-ins are a python3
#   "black hole" that accepts and never answers (for timeouts) and
#   ocsp_craft.py, which signs responses with chosen timestamps (an expired
#   response cannot be produced deterministically by `openssl ocsp`).
# - No sleeps for readiness: wait_for_port / wait_for_log poll with a bound.
# - Results are TAP-like lines, exactly `ok - NAME` or `not ok - NAME: DETAIL`;
#   diagnostics are lines starting with `# `. A runner counts the lines.
# - Cleanup: an EXIT trap kills every process the lab started (by PID) and
#   removes $LAB (kept with HF_KEEP=1, for post-mortems).

set -u

LAB_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_REPO=$(cd "$LAB_LIB_DIR/../.." && pwd)
HOLDFAST=${HOLDFAST:-$LAB_REPO/build/holdfast}
case $HOLDFAST in /*) ;; *) HOLDFAST=$PWD/$HOLDFAST ;; esac
# Upper bound for one holdfast run, so a hang fails the case instead of the suite.
HF_RUN_TIMEOUT=${HF_RUN_TIMEOUT:-60}
# Bound for every readiness poll, in seconds.
LAB_WAIT=${LAB_WAIT:-10}

LAB_PIDS=()
LAB_RESPONDERS=() # "DIR PORT" of every `openssl ocsp` responder started
LAB_FAILED=0
LAB_PASSED=0

# ---------------------------------------------------------------- namespace

# lab_enter_netns "$@": unless already inside a lab namespace, create
# hf-<script>-<pid>, bring lo up, re-run the calling script inside it, delete
# the namespace and exit with the script's status. Returns only inside.
lab_enter_netns() {
	if [ -n "${HF_LAB_NETNS:-}" ]; then
		return 0
	fi
	local script name ns rc
	script=$(readlink -f "$0")
	name=$(basename "$script" .sh)
	ns="hf-$name-$$"
	if ! ip netns add "$ns"; then
		echo "not ok - lab: cannot create network namespace $ns (need root and iproute2)"
		exit 1
	fi
	# Whatever happens to the child, the namespace and anything left in it go.
	# Only processes of our own fresh namespace are signalled.
	trap 'lab_netns_delete "$ns"' EXIT
	ip -n "$ns" link set lo up
	# `ip netns exec` bind-mounts /etc/netns/NS/* over /etc: point the
	# resolver at the namespace's own loopback, where nothing answers, so a
	# name lookup fails fast and no DNS query can leave the lab.
	mkdir -p "/etc/netns/$ns"
	echo "nameserver 127.0.0.1" >"/etc/netns/$ns/resolv.conf"
	# In the background so that a signal to this shell is handled at once
	# and passed on (a foreground child would delay the trap until it ends).
	HF_LAB_NETNS=$ns ip netns exec "$ns" "${BASH:-bash}" "$script" "$@" &
	LAB_NETNS_CHILD=$!
	trap 'kill -TERM "$LAB_NETNS_CHILD" 2>/dev/null' INT TERM
	wait "$LAB_NETNS_CHILD"
	rc=$?
	# wait returns early when a trapped signal arrives: wait for the real end.
	while kill -0 "$LAB_NETNS_CHILD" 2>/dev/null; do
		wait "$LAB_NETNS_CHILD"
		rc=$?
	done
	exit "$rc"
}

lab_netns_delete() {
	local ns=$1 pid
	for pid in $(ip netns pids "$ns" 2>/dev/null); do
		kill "$pid" 2>/dev/null
	done
	ip netns del "$ns" 2>/dev/null
	rm -rf "/etc/netns/$ns"
}

# ---------------------------------------------------------------- lifecycle

# lab_init: make $LAB, register the cleanup trap. Call once, after
# lab_enter_netns.
lab_init() {
	LAB=$(mktemp -d "${TMPDIR:-/tmp}/hf-lab.XXXXXX") || exit 1
	mkdir -p "$LAB/logs"
	export LAB
	trap lab_cleanup EXIT
	trap 'exit 130' INT TERM
	echo "# lab: $LAB (namespace ${HF_LAB_NETNS:-none}), holdfast: $HOLDFAST"
}

lab_cleanup() {
	local pid
	[ -n "$(type -t lab_ocsp_lagging_kill)" ] && lab_ocsp_lagging_kill
	for pid in "${LAB_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	for pid in "${LAB_PIDS[@]}"; do
		wait "$pid" 2>/dev/null
	done
	if [ "${HF_KEEP:-0}" = 1 ]; then
		echo "# lab kept: $LAB"
	else
		rm -rf "$LAB"
	fi
}

# lab_track PID: kill PID at exit.
lab_track() {
	LAB_PIDS+=("$1")
}

# lab_stop PID: stop one process the lab started and reap it.
lab_stop() {
	local pid=$1
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

# lab_finish: print a summary comment; exit 1 if any case failed.
lab_finish() {
	echo "# $(basename "$0" .sh): $LAB_PASSED passed, $LAB_FAILED failed"
	[ "$LAB_FAILED" -eq 0 ] && exit 0
	exit 1
}

# ---------------------------------------------------------------- results

ok() {
	LAB_PASSED=$((LAB_PASSED + 1))
	echo "ok - $1"
}

not_ok() {
	LAB_FAILED=$((LAB_FAILED + 1))
	echo "not ok - $1: $2"
}

# diag FILE [PREFIX]: show a file as comment lines.
diag() {
	[ -s "$1" ] || return 0
	sed "s/^/# ${2:-}/" "$1"
}

# check NAME cmd...: ok when cmd succeeds; its output is shown on failure.
check() {
	local name=$1 rc
	shift
	"$@" >"$LAB/check.out" 2>&1
	rc=$?
	if [ "$rc" -eq 0 ]; then
		ok "$name"
	else
		not_ok "$name" "command failed (exit $rc): $*"
		diag "$LAB/check.out" "  "
	fi
}

# lab_not cmd...: succeeds when cmd fails (for check).
lab_not() {
	! "$@"
}

# expect_exit NAME WANT cmd...: ok when cmd exits with status WANT.
expect_exit() {
	local name=$1 want=$2 rc
	shift 2
	"$@" >"$LAB/check.out" 2>&1
	rc=$?
	if [ "$rc" -eq "$want" ]; then
		ok "$name"
	else
		not_ok "$name" "exit $rc, want $want: $*"
		diag "$LAB/check.out" "  "
	fi
}

# ---------------------------------------------------------------- waiting

# wait_for_port PORT [SECONDS]: until something listens on TCP PORT.
# Uses ss rather than a probe connection: `openssl ocsp` serves one client at
# a time and a probe would be logged as a bad request.
wait_for_port() {
	local port=$1 bound=${2:-$LAB_WAIT} i
	for ((i = 0; i < bound * 20; i++)); do
		if [ -n "$(ss -Hltn "sport = :$port" 2>/dev/null)" ]; then
			return 0
		fi
		sleep 0.05
	done
	echo "# wait_for_port: nothing listens on $port after ${bound}s"
	return 1
}

# wait_for_log FILE REGEX [SECONDS]: until FILE has a line matching REGEX (ERE).
wait_for_log() {
	local file=$1 re=$2 bound=${3:-$LAB_WAIT} i
	for ((i = 0; i < bound * 20; i++)); do
		if grep -Eq -- "$re" "$file" 2>/dev/null; then
			return 0
		fi
		sleep 0.05
	done
	echo "# wait_for_log: no /$re/ in $file after ${bound}s"
	return 1
}

# wait_for_log_count FILE REGEX N [SECONDS]: until FILE has N lines matching REGEX.
wait_for_log_count() {
	local file=$1 re=$2 n=$3 bound=${4:-$LAB_WAIT} i
	for ((i = 0; i < bound * 20; i++)); do
		if [ "$(grep -Ec -- "$re" "$file" 2>/dev/null)" -ge "$n" ]; then
			return 0
		fi
		sleep 0.05
	done
	echo "# wait_for_log_count: fewer than $n /$re/ in $file after ${bound}s"
	return 1
}

# lab_next_second: return once the wall clock shows a later second than at
# the call, so that the next signed response gets a later thisUpdate (OCSP
# times have one-second resolution). At most ~1 s.
lab_next_second() {
	local start
	start=$(date +%s)
	while [ "$(date +%s)" = "$start" ]; do
		sleep 0.02
	done
}

# ---------------------------------------------------------------- PKI

# lab_setup_ca: CA=$LAB/ca made by lab_make_ca; the script stops (one
# not-ok line) when that fails.
lab_setup_ca() {
	CA=$LAB/ca
	export CA
	lab_make_ca "$CA" || {
		not_ok "lab: make CA" "openssl failed (see above)"
		lab_finish
	}
}

# lab_make_ca DIR: root CA, intermediate CA, delegated responders, rogue CA.
#   DIR/root.{pem,key}        self-signed root (RSA 2048)
#   DIR/int.{pem,key}         intermediate issued by root (EC P-256); issues
#                             every leaf and is the default OCSP signer
#   DIR/resp.{pem,key}        delegated responder issued by int, EKU OCSPSigning
#   DIR/resp-noeku.{pem,key}  same without the EKU (must be refused)
#   DIR/rogue.{pem,key}       unrelated self-signed CA
#   DIR/index.txt(.attr)      `openssl ocsp -index` database, initially empty
lab_make_ca() {
	local d=$1
	mkdir -p "$d"
	cat >"$d/ext.cnf" <<-'EOF'
		[ca]
		basicConstraints = critical, CA:true
		keyUsage = critical, keyCertSign, cRLSign
		subjectKeyIdentifier = hash
		authorityKeyIdentifier = keyid
		[resp]
		basicConstraints = critical, CA:false
		keyUsage = critical, digitalSignature
		extendedKeyUsage = OCSPSigning
		# id-pkix-ocsp-nocheck (RFC 6960 4.2.2.2.1)
		1.3.6.1.5.5.7.48.1.5 = ASN1:NULL
		subjectKeyIdentifier = hash
		authorityKeyIdentifier = keyid
		[resp_noeku]
		basicConstraints = critical, CA:false
		keyUsage = critical, digitalSignature
		subjectKeyIdentifier = hash
		authorityKeyIdentifier = keyid
	EOF
	(
		set -e
		cd "$d"
		openssl req -x509 -newkey rsa:2048 -nodes -keyout root.key -out root.pem \
			-days 365 -subj "/O=holdfast lab/CN=Lab Root" \
			-addext "keyUsage=critical,keyCertSign,cRLSign"
		lab_ec_csr int "/O=holdfast lab/CN=Lab Intermediate"
		lab_sign int root ca 180
		lab_ec_csr resp "/O=holdfast lab/CN=Lab OCSP Responder"
		lab_sign resp int resp 90
		lab_ec_csr resp-noeku "/O=holdfast lab/CN=Lab OCSP Responder without EKU"
		lab_sign resp-noeku int resp_noeku 90
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout rogue.key -out rogue.pem -days 365 \
			-subj "/O=somebody else/CN=Rogue CA"
		: >index.txt
		echo "unique_subject = no" >index.txt.attr
	) >"$d/make_ca.log" 2>&1 || {
		echo "# lab_make_ca failed:"
		diag "$d/make_ca.log" "  "
		return 1
	}
}

# lab_ec_csr NAME SUBJ: (in the CA dir) P-256 key NAME.key and NAME.csr.
lab_ec_csr() {
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$1.key" -out "$1.csr" -subj "$2"
}

# lab_serial: a random positive serial in upper-case hex, first byte in
# 0x10..0x7f so that `openssl x509 -serial`, BN_bn2hex (what `openssl ocsp`
# looks up in index.txt) and DER all agree on the digits.
lab_serial() {
	printf '%02X%s\n' $((RANDOM % 0x70 + 0x10)) "$(openssl rand -hex 7 | tr a-f A-F)"
}

# lab_sign NAME ISSUER SECTION DAYS: (in the CA dir) NAME.csr -> NAME.pem.
lab_sign() {
	openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" \
		-set_serial "0x$(lab_serial)" -days "$4" \
		-extfile ext.cnf -extensions "$3" -out "$1.pem"
}

# lab_index_date PEM: the certificate's notAfter as index.txt wants it.
lab_index_date() {
	date -u -d "$(openssl x509 -in "$1" -noout -enddate | cut -d= -f2)" +%y%m%d%H%M%SZ
}

# lab_make_leaf DIR NAME [URL...]: EC P-256 leaf CN=NAME issued by the
# intermediate, AIA OCSP URIs = the URLs in order (none: no AIA at all).
# Writes DIR/NAME.crt (leaf), DIR/NAME.pem (leaf + intermediate),
# DIR/NAME.key, and adds a V line to DIR/index.txt.
lab_make_leaf() {
	local d=$1 name=$2 aia="" url serial
	shift 2
	for url in "$@"; do
		aia="${aia:+$aia, }OCSP;URI:$url"
	done
	{
		echo "[leaf]"
		echo "basicConstraints = critical, CA:false"
		echo "keyUsage = critical, digitalSignature"
		echo "extendedKeyUsage = serverAuth"
		echo "subjectAltName = DNS:$name.test, IP:127.0.0.1"
		echo "subjectKeyIdentifier = hash"
		echo "authorityKeyIdentifier = keyid"
		[ -n "$aia" ] && echo "authorityInfoAccess = $aia"
	} >"$d/$name.ext"
	serial=$(lab_serial)
	(
		set -e
		cd "$d"
		lab_ec_csr "$name" "/O=holdfast lab/CN=$name"
		openssl x509 -req -in "$name.csr" -CA int.pem -CAkey int.key \
			-set_serial "0x$serial" -days 30 \
			-extfile "$name.ext" -extensions leaf -out "$name.crt"
		cat "$name.crt" int.pem >"$name.pem"
	) >"$d/$name.log" 2>&1 || {
		echo "# lab_make_leaf $name failed:"
		diag "$d/$name.log" "  "
		return 1
	}
	printf 'V\t%s\t\t%s\tunknown\t/O=holdfast lab/CN=%s\n' \
		"$(lab_index_date "$d/$name.crt")" "$serial" "$name" >>"$d/index.txt"
	lab_index_changed "$d"
}

# lab_cert_serial PEM: upper-case hex serial of the first certificate.
lab_cert_serial() {
	openssl x509 -in "$1" -noout -serial | cut -d= -f2
}

# lab_forget DIR NAME: drop NAME from index.txt, so responders (also running
# ones) answer "unknown" for it.
lab_forget() {
	local serial
	serial=$(lab_cert_serial "$1/$2.crt")
	awk -F'\t' -v s="$serial" '$4 != s' "$1/index.txt" >"$1/index.txt.new" &&
		mv "$1/index.txt.new" "$1/index.txt"
	lab_index_changed "$1"
}

# lab_revoke DIR NAME: mark NAME revoked (now, reason keyCompromise).
# Running responders of DIR answer "revoked" from their next request on.
lab_revoke() {
	local serial now
	serial=$(lab_cert_serial "$1/$2.crt")
	now=$(date -u +%y%m%d%H%M%SZ)
	awk -F'\t' -v OFS='\t' -v s="$serial" -v t="$now,keyCompromise" \
		'$4 == s { $1 = "R"; $3 = t } { print }' "$1/index.txt" >"$1/index.txt.new" &&
		mv "$1/index.txt.new" "$1/index.txt"
	lab_index_changed "$1"
}

# lab_index_changed DIR: make every running responder of DIR answer from the
# new index.txt. `openssl ocsp` checks whether the index changed only
# before it blocks in accept(), so the first request after a change is still
# answered from the old index; one throwaway request (for resp.pem, which is
# in no index) moves it past that point. Afterwards the next accept() is
# preceded by the reload, whenever the next client connects.
lab_index_changed() {
	local d=$1 entry
	for entry in "${LAB_RESPONDERS[@]}"; do
		[ "${entry% *}" = "$d" ] || continue
		timeout 5 openssl ocsp -url "http://127.0.0.1:${entry##* }" \
			-issuer "$d/int.pem" -cert "$d/resp.pem" -no_nonce -noverify \
			>/dev/null 2>&1
	done
	return 0
}

# ---------------------------------------------------------------- responses

# The DER OCSPResponse holdfast writes when it must withdraw a stale staple:
# responseStatus tryLater, no responseBytes.
LAB_TRYLATER_HEX=30030a0103

# lab_write_trylater FILE
lab_write_trylater() {
	printf '\x30\x03\x0a\x01\x03' >"$1"
}

# lab_presign DIR NAME OUT [NMIN | -ndays N] [SIGNER_CERT SIGNER_KEY]:
# sign a response for DIR/NAME.crt now, as the responder would, with
# `openssl ocsp` acting locally on the index (no nonce; default signer the
# intermediate; default validity 60 minutes). The status follows index.txt.
lab_presign() {
	local d=$1 name=$2 out=$3 validity=(-nmin 60)
	local signer=$1/int.pem skey=$1/int.key
	shift 3
	if [ $# -gt 0 ] && [ "$1" = -ndays ]; then
		validity=(-ndays "$2")
		shift 2
	elif [ $# -gt 0 ] && [[ $1 =~ ^[0-9]+$ ]]; then
		validity=(-nmin "$1")
		shift
	fi
	if [ $# -ge 2 ]; then
		signer=$1 skey=$2
	fi
	openssl ocsp -index "$d/index.txt" -rsigner "$signer" -rkey "$skey" \
		-CA "$d/int.pem" -issuer "$d/int.pem" -cert "$d/$name.crt" \
		-no_nonce -noverify "${validity[@]}" -respout "$out" \
		>"$LAB/logs/presign-$name.log" 2>&1 || {
		echo "# lab_presign $name failed:"
		diag "$LAB/logs/presign-$name.log" "  "
		return 1
	}
}

# lab_python_crypto: a python3 that has the cryptography package (the first
# python3 on PATH may be a separate install without it; Debian's has it
# through python3-cryptography).
lab_python_crypto() {
	local py
	for py in python3 /usr/bin/python3; do
		if "$py" -c 'import cryptography' 2>/dev/null; then
			echo "$py"
			return 0
		fi
	done
	echo "# lab: no python3 with the cryptography package (apt-get install python3-cryptography)" >&2
	echo python3
}

# lab_seed_store STORE CADIR NAME [CA]: the lab leaf CADIR/NAME.crt (with
# its key and CADIR/int.pem) as STORE/certificates/NAME, in the store's
# versioned layout, as an issuance by CA (default primary) that is not due.
lab_seed_store() {
	local store=$1 cadir=$2 name=$3 ca=${4:-primary}
	local v=$store/certificates/.versions/$name.1.seed
	mkdir -p "$v"
	cp "$cadir/$name.crt" "$v/cert.pem"
	cp "$cadir/int.pem" "$v/chain.pem"
	cat "$cadir/$name.crt" "$cadir/int.pem" >"$v/fullchain.pem"
	install -m 0600 "$cadir/$name.key" "$v/privkey.pem"
	printf '{"name":"%s","placeholder":false,"ca":"%s","renew_at":"2099-01-01T00:00:00Z","names":["%s.test"],"key":"ec-p256","last_error":null}\n' \
		"$name" "$ca" "$name" >"$v/meta.json"
	ln -sfn ".versions/$name.1.seed" "$store/certificates/$name"
}

# lab_craft DIR NAME OUT THIS NEXT [STATUS [SIGNER_CERT SIGNER_KEY]]:
# a response for DIR/NAME.crt with thisUpdate = now+THIS s and nextUpdate =
# now+NEXT s (NEXT may be "none"). E.g. expired: lab_craft d leaf out -7200 -3600.
lab_craft() {
	local d=$1 name=$2 out=$3 this=$4 next=$5 status=${6:-good}
	local signer=${7:-$1/int.pem} skey=${8:-$1/int.key}
	"$(lab_python_crypto)" "$LAB_LIB_DIR/ocsp_craft.py" --cert "$d/$name.crt" \
		--issuer "$d/int.pem" --signer-cert "$signer" --signer-key "$skey" \
		--this "$this" --next "$next" --status "$status" --out "$out" \
		>"$LAB/logs/craft-$name.log" 2>&1 || {
		echo "# lab_craft $name failed:"
		diag "$LAB/logs/craft-$name.log" "  "
		return 1
	}
}

# lab_resp_text FILE: the response as `openssl ocsp -resp_text` prints it.
lab_resp_text() {
	openssl ocsp -respin "$1" -resp_text -noverify 2>&1
}

# lab_resp_field FILE FIELD: e.g. lab_resp_field r.der 'This Update'.
lab_resp_field() {
	lab_resp_text "$1" | sed -n "s/^ *$2: //p" | head -n1
}

# ocsp_verify DIR NAME FILE STATUS: the file is a response for DIR/NAME.crt
# with cert status STATUS that verifies against the lab root. Both lines are
# needed: openssl prints the status even after "Response Verify Failure".
ocsp_verify() {
	local d=$1 name=$2 file=$3 want=$4 out
	out=$(openssl ocsp -respin "$file" -issuer "$d/int.pem" -cert "$d/$name.crt" \
		-CAfile "$d/root.pem" -verify_other "$d/int.pem" -no_nonce 2>&1)
	if grep -q "^Response verify OK" <<<"$out" &&
		grep -q "^$d/$name.crt: $want\$" <<<"$out"; then
		return 0
	fi
	echo "$out"
	return 1
}

# lab_iso DATE: an openssl date ("Nov 29 01:02:03 2026 GMT") as the JSON
# contract writes it (2026-11-29T01:02:03Z).
lab_iso() {
	date -u -d "$1" +%Y-%m-%dT%H:%M:%SZ
}

# lab_hex FILE: the file's bytes as lower-case hex, on one line.
lab_hex() {
	od -An -tx1 "$1" 2>/dev/null | tr -d ' \n'
}

# is_trylater FILE: FILE is exactly the 5-byte tryLater response.
is_trylater() {
	[ "$(lab_hex "$1")" = "$LAB_TRYLATER_HEX" ]
}

# no_response_stored FILE: FILE holds no OCSP response a server could staple:
# absent, or the tryLater placeholder.
no_response_stored() {
	[ ! -e "$1" ] || is_trylater "$1"
}

# file_id FILE: inode and nanosecond mtime; unchanged means not rewritten.
file_id() {
	stat -c '%i %.9Y' "$1"
}

# ---------------------------------------------------------------- peers

# lab_ocsp_responder DIR PORT [SIGNER_CERT SIGNER_KEY] [NMIN] [-- EXTRA...]
# Start `openssl ocsp` answering from DIR/index.txt on PORT; sets LAB_PID.
# Default signer: the intermediate itself; default validity 60 minutes.
# EXTRA is passed through (e.g. -badsig, -resp_no_certs).
lab_ocsp_responder() {
	local d=$1 port=$2 signer=$1/int.pem skey=$1/int.key nmin=60 log
	shift 2
	if [ $# -ge 2 ] && [ "$1" != -- ] && [ -f "$1" ]; then
		signer=$1 skey=$2
		shift 2
	fi
	if [ $# -ge 1 ] && [[ $1 =~ ^[0-9]+$ ]]; then
		nmin=$1
		shift
	fi
	[ $# -ge 1 ] && [ "$1" = -- ] && shift
	log=$LAB/logs/ocsp-$port.log
	openssl ocsp -index "$d/index.txt" -port "$port" -rsigner "$signer" \
		-rkey "$skey" -CA "$d/int.pem" -nmin "$nmin" "$@" >"$log" 2>&1 &
	LAB_PID=$!
	lab_track "$LAB_PID"
	wait_for_port "$port" || {
		diag "$log" "  "
		return 1
	}
	LAB_RESPONDERS+=("$d $port")
}

# lab_ocsp_lagging CADIR PORT LAG: `openssl ocsp` for CADIR on PORT signing
# 1-minute responses with a clock LAG seconds slow (libfaketime, preloaded
# directly so that the PID is the responder's): with LAG 31, thisUpdate =
# now - 31 and nextUpdate = now + 29, so every response is past its refresh
# time (halfway) when it arrives and a daemon refreshes again at once.
# -multi 4 answers four requests at once and makes it a process group
# leader. Sets LAB_LAGGING (its PID); its log is $LAB/logs/lagging-N.log.
# OpenSSL 3.0's responder spins forever on a kept-alive connection that the
# client closed before its next request (openssl/openssl#31129; -timeout
# does not help): lab_ocsp_lagging_unstick restarts it when that happened.
LAB_LAGGING_STARTS=0
lab_ocsp_lagging() {
	local d=$1 port=$2 lag=$3 log i lib
	lib=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -n1)
	if [ -z "$lib" ]; then
		echo "# lab_ocsp_lagging: libfaketime is not installed (scripts/install-deps.sh installs faketime)"
		return 1
	fi
	LAB_LAGGING_ARGS=("$d" "$port" "$lag")
	log=$LAB/logs/lagging-$LAB_LAGGING_STARTS.log
	LAB_LAGGING_STARTS=$((LAB_LAGGING_STARTS + 1))
	LD_PRELOAD=$lib FAKETIME=-$lag openssl ocsp -index "$d/index.txt" -port "$port" \
		-rsigner "$d/int.pem" -rkey "$d/int.key" -CA "$d/int.pem" -nmin 1 -multi 4 >"$log" 2>&1 &
	LAB_LAGGING=$!
	lab_track "$LAB_LAGGING"
	# It prints ACCEPT once it listens.
	for ((i = 0; i < 2000; i++)); do
		grep -qs '^ACCEPT' "$log" && return 0
		sleep 0.005
	done
	diag "$log" "  "
	return 1
}

# lab_ocsp_lagging_kill: the responder's whole group, at once (its parent
# ignores SIGTERM while a worker spins). Also run at exit by lab_cleanup.
lab_ocsp_lagging_kill() {
	[ -n "${LAB_LAGGING:-}" ] || return 0
	kill -KILL -- "-$LAB_LAGGING" 2>/dev/null || kill -KILL "$LAB_LAGGING" 2>/dev/null
	wait "$LAB_LAGGING" 2>/dev/null
	LAB_LAGGING=
}

# lab_ocsp_lagging_unstick: restart the responder when a connection to it
# sits in CLOSE-WAIT; 1 when it would not start again.
lab_ocsp_lagging_unstick() {
	local port=${LAB_LAGGING_ARGS[1]} i
	[ -z "$(ss -Htn state close-wait "( sport = :$port )")" ] && return 0
	lab_ocsp_lagging_kill
	# Its workers die a moment later; until then the port is taken (and a
	# responder that cannot bind says so only to syslog).
	for ((i = 0; i < 2000; i++)); do
		[ -z "$(ss -Hltn "( sport = :$port )")" ] && break
		sleep 0.005
	done
	lab_ocsp_lagging "${LAB_LAGGING_ARGS[@]}"
}

# lab_blackhole PORT: accept connections and never answer (timeout case);
# sets LAB_PID.
lab_blackhole() {
	local port=$1
	python3 -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(64)
held = []
while True:
    conn, _ = s.accept()
    held.append(conn)  # keep it open, say nothing
' "$port" >"$LAB/logs/blackhole-$port.log" 2>&1 &
	LAB_PID=$!
	lab_track "$LAB_PID"
	wait_for_port "$port"
}

# Common nginx prelude: runs as root (the lab files are in a 0700 temp dir),
# in the foreground so that its PID is the master's, everything under $LAB.
lab_nginx_conf_head() {
	local pfx=$1
	cat <<-EOF
		daemon off;
		user root;
		worker_processes 1;
		pid $pfx/nginx.pid;
		error_log $pfx/error.log notice;
		events { worker_connections 64; }
		http {
		    access_log $pfx/access.log;
		    client_body_temp_path $pfx/tmp/body;
		    proxy_temp_path $pfx/tmp/proxy;
		    fastcgi_temp_path $pfx/tmp/fastcgi;
		    uwsgi_temp_path $pfx/tmp/uwsgi;
		    scgi_temp_path $pfx/tmp/scgi;
	EOF
}

# lab_nginx_start PREFIX PORT: start nginx with PREFIX/nginx.conf; sets
# LAB_PID (the master) and waits until PORT listens.
lab_nginx_start() {
	local pfx=$1 port=$2
	nginx -p "$pfx" -c "$pfx/nginx.conf" -e "$pfx/error.log" >"$pfx/stdout.log" 2>&1 &
	LAB_PID=$!
	lab_track "$LAB_PID"
	wait_for_port "$port" || {
		diag "$pfx/error.log" "  "
		return 1
	}
}

# lab_nginx_static PORT ROUTE... [-- RAW_CONFIG]: nginx on 127.0.0.1:PORT
# serving fixed files. ROUTE is "/prefix=FILE=CONTENT_TYPE": every GET, HEAD
# or POST to /prefix or /prefix/anything (holdfast sends URL/<base64>) gets
# FILE with that Content-Type, whatever the rest of the path is -- also when
# it ends in '/' (the base64 of an OCSP request ends in '/', %2F on the wire,
# for one serial in 64). Unrouted paths get 404. RAW_CONFIG is inserted in
# the server block (redirects etc.). Sets LAB_PID; the log of requests is
# $LAB/nginx-PORT/access.log (format: "METHOD URI HTTP/1.x STATUS", the original request line).
lab_nginx_static() {
	local port=$1 pfx route prefix rest file ctype raw=""
	pfx=$LAB/nginx-$port
	shift
	mkdir -p "$pfx/tmp"
	{
		lab_nginx_conf_head "$pfx"
		echo "    log_format lab '\$request \$status';"
		echo "    server {"
		echo "        listen 127.0.0.1:$port;"
		echo "        access_log $pfx/access.log lab;"
		while [ $# -gt 0 ]; do
			if [ "$1" = -- ]; then
				shift
				raw=$*
				break
			fi
			route=$1
			shift
			prefix=${route%%=*}
			rest=${route#*=}
			file=${rest%%=*}
			ctype=${rest#*=}
			case $prefix in
			/?*) ;;
			*)
				echo "# lab_nginx_static: bad prefix \"$prefix\" (want /NAME)"
				return 1 ;;
			esac
			# try_files makes the URI the file's own name, whatever the
			# request's path was. Not "alias FILE": the URI stays the
			# request's, and one that ends in '/' goes to the index module,
			# which looks for FILE + "index.html" and answers 500 ("is not
			# a directory"). The static module refuses POST with 405;
			# error_page turns that into a GET of /prefix, i.e. the file.
			cat <<-EOF
				        location ~ ^$prefix(/|\$) {
				            types { }
				            default_type "$ctype";
				            root "$(dirname "$file")";
				            try_files "/$(basename "$file")" =404;
				            error_page 405 =200 $prefix;
				        }
			EOF
		done
		echo "        $raw"
		echo "    }"
		echo "}"
	} >"$pfx/nginx.conf"
	lab_nginx_start "$pfx" "$port"
}

# lab_route_serves METHOD URL FILE: a GET or a POST to URL answers 200 with
# exactly FILE's bytes (a POST sends FILE as its body, which nginx ignores);
# checks that a lab_nginx_static route serves its file whatever the path.
lab_route_serves() {
	local method=$1 url=$2 file=$3 body=()
	[ "$method" = POST ] && body=(-H "Content-Type: application/ocsp-request"
		--data-binary "@$file")
	curl -sf --max-time 10 -X "$method" "${body[@]}" -o "$LAB/route.body" "$url" &&
		cmp "$LAB/route.body" "$file"
}

# lab_nginx_tls PORT CERT KEY STAPLE_FILE: nginx TLS server on
# 127.0.0.1:PORT stapling STAPLE_FILE (ssl_stapling_file). CERT is leaf +
# chain. Sets LAB_PID; config in $LAB/nginx-PORT/.
lab_nginx_tls() {
	local port=$1 cert=$2 key=$3 staple=$4 pfx
	pfx=$LAB/nginx-$port
	mkdir -p "$pfx/tmp"
	{
		lab_nginx_conf_head "$pfx"
		cat <<-EOF
			    server {
			        listen 127.0.0.1:$port ssl;
			        ssl_certificate $cert;
			        ssl_certificate_key $key;
			        ssl_stapling on;
			        ssl_stapling_file $staple;
			        location / { return 200 "lab\n"; }
			    }
			}
		EOF
	} >"$pfx/nginx.conf"
	lab_nginx_start "$pfx" "$port"
}

# lab_nginx_reload PORT: `nginx -s reload` the instance on PORT and return
# once the old worker has exited and a new one runs, so the next handshake
# is served with the new configuration (and the re-read staple file).
lab_nginx_reload() {
	local pfx=$LAB/nginx-$1 master old new i pid gone
	master=$(cat "$pfx/nginx.pid")
	old=$(ps -o pid= --ppid "$master" | tr -d ' ')
	nginx -p "$pfx" -c "$pfx/nginx.conf" -e "$pfx/error.log" -s reload || return 1
	for ((i = 0; i < LAB_WAIT * 20; i++)); do
		new=$(ps -o pid= --ppid "$master" | tr -d ' ')
		gone=1
		for pid in $old; do
			grep -qx "$pid" <<<"$new" && gone=0
		done
		if [ "$gone" = 1 ] && [ -n "$new" ]; then
			return 0
		fi
		sleep 0.05
	done
	echo "# lab_nginx_reload: workers did not turn over"
	diag "$pfx/error.log" "  "
	return 1
}

# lab_haproxy PORT CRT_PEM ADMIN_SOCK: HAProxy 2.6 on 127.0.0.1:PORT, `crt`
# CRT_PEM (leaf + chain + key; CRT_PEM.ocsp beside it is loaded at start),
# admin-level stats socket ADMIN_SOCK. Sets LAB_PID; log $LAB/haproxy-PORT.log.
lab_haproxy() {
	local port=$1 crt=$2 sock=$3 cfg=$LAB/haproxy-$1.cfg i
	cat >"$cfg" <<-EOF
		global
		    stats socket $sock level admin
		defaults
		    mode http
		    timeout connect 2s
		    timeout client 5s
		    timeout server 5s
		frontend lab
		    bind 127.0.0.1:$port ssl crt $crt
		    http-request return status 200 content-type text/plain string lab
	EOF
	haproxy -db -f "$cfg" >"$LAB/haproxy-$port.log" 2>&1 &
	LAB_PID=$!
	lab_track "$LAB_PID"
	wait_for_port "$port" || {
		diag "$LAB/haproxy-$port.log" "  "
		return 1
	}
	for ((i = 0; i < LAB_WAIT * 20; i++)); do
		[ -S "$sock" ] && return 0
		sleep 0.05
	done
	echo "# lab_haproxy: no stats socket $sock"
	return 1
}

# haproxy_cmd SOCK COMMAND...: one command on the admin socket.
haproxy_cmd() {
	local sock=$1
	shift
	echo "$*" | socat -t 5 stdio "UNIX-CONNECT:$sock"
}

# staple_seen HOST:PORT: one TLS handshake asking for a staple; prints the
# staple's status lines ("no response sent" when none).
staple_seen() {
	openssl s_client -connect "$1" -status </dev/null 2>&1 |
		grep -E 'OCSP response: no response sent|OCSP Response Status|Cert Status|This Update|Next Update' |
		sed 's/^ *//'
}

# nginx_named INCLUDE DIRECTIVE: the file a holdfast nginx include names
# (ssl_certificate, ssl_certificate_key, ssl_stapling_file); nothing when
# it names none. deploy.c names its files by content (NAME.ID.crt).
nginx_named() {
	sed -n "s/^$2 \(.*\);\$/\1/p" "$1" 2>/dev/null
}

# ---------------------------------------------------------------- holdfast

# lab_require_holdfast: stop the script (one not-ok line) without a binary.
lab_require_holdfast() {
	if [ ! -x "$HOLDFAST" ]; then
		not_ok "holdfast binary" "not found or not executable: $HOLDFAST"
		lab_finish
	fi
}

# hf ARGS...: run holdfast (bounded by HF_RUN_TIMEOUT). Sets HF_RC; stdout in
# $HF_OUT, stderr in $HF_ERR. Runs in $LAB so relative paths are lab paths.
hf() {
	HF_OUT=$LAB/hf.out
	HF_ERR=$LAB/hf.err
	HF_CMD="holdfast $*"
	(cd "$LAB" && timeout "$HF_RUN_TIMEOUT" "$HOLDFAST" "$@") >"$HF_OUT" 2>"$HF_ERR"
	HF_RC=$?
	return 0
}

# hf_dump: show the last holdfast run as comment lines.
hf_dump() {
	echo "#   \$ $HF_CMD   (exit $HF_RC)"
	diag "$HF_OUT" "  stdout: "
	diag "$HF_ERR" "  stderr: "
}

# hf_expect NAME WANT ARGS...: run holdfast and check its exit status.
hf_expect() {
	local name=$1 want=$2
	shift 2
	hf "$@"
	if [ "$HF_RC" -eq "$want" ]; then
		ok "$name"
	else
		not_ok "$name" "holdfast exit $HF_RC, want $want"
		hf_dump
	fi
}

# json_check NAME PYEXPR: evaluate a python expression over the JSON Lines
# of the last holdfast --json run. Names: js (list of objects), j (the first),
# E (os.environ), errs(j) (list of (url, error) pairs), ts(t) (a contract
# timestamp as epoch seconds), re. ok when true.
json_check() {
	local name=$1 expr=$2 out
	if out=$(python3 - "$HF_OUT" "$expr" 2>&1 <<-'EOF'
		import calendar, json, os, re, sys, time
		lines = [l for l in open(sys.argv[1]) if l.strip()]
		js = [json.loads(l) for l in lines]
		j = js[0] if js else {}
		E = os.environ
		def errs(o):
		    return [(e.get("url"), e.get("error")) for e in o.get("errors") or []]
		def ts(t):
		    return calendar.timegm(time.strptime(t, "%Y-%m-%dT%H:%M:%SZ"))
		# Parenthesised so that an expression may span lines.
		sys.exit(0 if eval("(" + sys.argv[2] + "\n)") else 1)
	EOF
	); then
		ok "$name"
	else
		not_ok "$name" "JSON does not satisfy: $expr"
		if [ -n "$out" ]; then
			printf '%s\n' "$out" >"$LAB/json.err"
			diag "$LAB/json.err" "  python: "
		fi
		hf_dump
	fi
}

# out_check NAME REGEX: the last run's stdout has a line matching REGEX (ERE).
out_check() {
	if grep -Eq -- "$2" "$HF_OUT"; then
		ok "$1"
	else
		not_ok "$1" "stdout has no line matching /$2/"
		hf_dump
	fi
}

# err_kv NAME KEY=VALUE...: the last run's stderr has one line holding all
# these key=value pairs (in any order; a value may be quoted).
err_kv() {
	local name=$1
	shift
	if python3 - "$HF_ERR" "$@" <<-'EOF'; then
		import re, sys
		pairs = [a.split("=", 1) for a in sys.argv[2:]]
		def has(line, k, v):
		    return re.search(r'(^| )' + re.escape(k) + r'=("' + re.escape(v)
		                     + r'"|' + re.escape(v) + r')( |$)', line)
		for line in open(sys.argv[1]):
		    if all(has(line.rstrip("\n"), k, v) for k, v in pairs):
		        sys.exit(0)
		sys.exit(1)
	EOF
		ok "$name"
	else
		not_ok "$name" "stderr has no line with $*"
		hf_dump
	fi
}

# err_check NAME REGEX: the last run's stderr has a line matching REGEX (ERE).
err_check() {
	if grep -Eq -- "$2" "$HF_ERR"; then
		ok "$1"
	else
		not_ok "$1" "stderr has no line matching /$2/"
		hf_dump
	fi
}
