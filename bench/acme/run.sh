#!/usr/bin/env bash
# bench/acme/run.sh [N] [M] -- `holdfast issue` against lego, one Pebble.
#
# One Debian Pebble (PEBBLE_VA_NOSLEEP=1, PEBBLE_VA_ALWAYS_VALID=1: the
# challenge is not what is measured) in a private network namespace, and in
# the same run:
#
#   lego        N single-name certificates, one `lego run` per certificate,
#               one after another (the account is created by the first);
#   holdfast    the same N, one `holdfast issue -c seq.conf NAME` each, one
#   sequential  after another (the account is created by the first);
#   holdfast    M single-name certificates (default 1,000) in ONE
#   concurrent  `holdfast issue` of a configuration with M [certificate]
#               sections (holdfast bounds the concurrency itself).
#
# Every certificate is checked afterwards (file present, issued by the
# Pebble intermediate). Prints seconds per certificate and the ratios:
#   ratio_sequential = lego s/cert / holdfast sequential s/cert  (goal >= 5)
#   ratio_concurrent = lego s/cert / holdfast concurrent s/cert  (goal >= 20)
# Exits 0 when every step worked, whether or not the goals are met;
# non-zero when something broke (a tool missing, a certificate not issued).
#
# Environment (all optional):
#   HOLDFAST=path        binary under test (default <repo>/build/holdfast)
#   PARALLEL=n           --parallel of the concurrent run (default: holdfast's)
#   NONCEREJECT=n        PEBBLE_WFE_NONCEREJECT (default: Pebble's own, 5 %)
#   VALIDATE=1           real http-01 validation instead of ALWAYS_VALID: the
#                        lab DNS answers *.bench.test with 127.0.0.1 and Pebble
#                        fetches each token from the client's responder on 5002
#   BASELINE_ONLY=1      lego only (no holdfast needed)
#   HF_KEEP=1            keep the work directory (its path is printed)
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
# shellcheck source=SCRIPTDIR/../../tests/lab/lib.sh
. "$REPO/tests/lab/lib.sh"
# shellcheck source=SCRIPTDIR/../../tests/lab/acme.sh
. "$REPO/tests/lab/acme.sh"

readonly GOAL_SEQUENTIAL=5 GOAL_CONCURRENT=20
N=${1:-20}
M=${2:-1000}
BASELINE_ONLY=${BASELINE_ONLY:-0}

die() {
	echo "run.sh: error: $*" >&2
	exit 1
}
note() { echo "run.sh: $*" >&2; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
per() { awk -v s="$1" -v n="$2" 'BEGIN { printf "%.4f", s / n }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }'; }
verdict() { awk -v r="$1" -v g="$2" 'BEGIN { print (r >= g ? "PASS" : "FAIL") }'; }

[[ $N =~ ^[1-9][0-9]*$ && $M =~ ^[0-9]+$ ]] ||
	die "usage: $0 [N] [M]  (N sequential certificates, default 20; M concurrent, default 1000)"
for tool in pebble lego openssl curl python3 ip /usr/bin/time; do
	command -v "$tool" >/dev/null || die "$tool not found (scripts/install-deps.sh)"
done
if [ "$BASELINE_ONLY" != 1 ]; then
	[ -x "$HOLDFAST" ] || die "$HOLDFAST not built (ninja -C build), or set BASELINE_ONLY=1"
	"$HOLDFAST" --help 2>&1 | grep -q '^ *issue ' ||
		die "$HOLDFAST has no issue command yet; BASELINE_ONLY=1 runs lego alone"
fi

lab_enter_netns "$@" # the rest runs in a private network namespace
lab_init
HF_RUN_TIMEOUT=${HF_RUN_TIMEOUT:-1800}

pebble_env=(PEBBLE_VA_ALWAYS_VALID=1)
if [ "${VALIDATE:-0}" = 1 ]; then
	lab_dns 53 || die "dnsmasq did not start"
	pebble_env=(PEBBLE_AUTHZREUSE=0)
fi
[ -n "${NONCEREJECT:-}" ] && pebble_env+=("PEBBLE_WFE_NONCEREJECT=$NONCEREJECT")
lab_pebble bench 14000 15000 "${pebble_env[@]}" || die "Pebble did not start"
URL=$(lab_pebble_url bench)
INTERMEDIATE=$LAB/pebble-bench/intermediate.pem
echo "holdfast acme bench: N=$N M=$M cores=$(nproc) pebble=$URL ${pebble_env[*]} PEBBLE_VA_NOSLEEP=1${NONCEREJECT:+ NONCEREJECT=$NONCEREJECT}"

# issued_by_pebble PEM: the certificate was signed by this Pebble's intermediate.
issued_by_pebble() {
	openssl verify -partial_chain -CAfile "$INTERMEDIATE" "$1" >/dev/null 2>&1
}

# ---------------------------------------------------------------- lego
export LEGO_CA_CERTIFICATES=$LAB_ACME_BUNDLE
LEGO=$LAB/lego
note "lego: $N certificates, one after another"
t0=$(now)
for ((i = 1; i <= N; i++)); do
	lego --accept-tos --email bench@example.test --path "$LEGO" --server "$URL" \
		--key-type ec256 --http --http.port 127.0.0.1:5002 -d "lego$i.bench.test" run \
		>>"$LAB/lego.log" 2>&1 || {
		tail -n 20 "$LAB/lego.log" >&2
		die "lego failed for lego$i.bench.test"
	}
done
t1=$(now)
LEGO_S=$(elapsed "$t0" "$t1")
for ((i = 1; i <= N; i++)); do
	issued_by_pebble "$LEGO/certificates/lego$i.bench.test.crt" ||
		die "lego: lego$i.bench.test.crt missing or not from this Pebble"
done
LEGO_PER=$(per "$LEGO_S" "$N")

printf '\n%-34s %6s %10s %10s %12s\n' client certs seconds s/cert peak_rss
printf '%-34s %6d %10s %10s %12s\n' "lego, 1 process per cert" "$N" "$LEGO_S" "$LEGO_PER" -
if [ "$BASELINE_ONLY" = 1 ]; then
	echo
	echo "baseline only: lego ${LEGO_PER} s per certificate"
	exit 0
fi

# ---------------------------------------------------------------- holdfast
# conf FILE PREFIX COUNT: COUNT [certificate PREFIXi] sections, one name each.
conf() {
	local file=$1 prefix=$2 count=$3 i
	{
		echo "store = $LAB/store"
		echo "[ca bench]"
		echo "directory = $URL"
		echo "ca_bundle = $LAB_ACME_BUNDLE"
		for ((i = 1; i <= count; i++)); do
			printf '[certificate %s%d]\nnames = %s%d.bench.test\ncas = bench\nkey = ec-p256\nhttp_listen = 127.0.0.1:5002\n' \
				"$prefix" "$i" "$prefix" "$i"
		done
	} >"$file"
}

# check_store PREFIX COUNT: every certificate present and from this Pebble.
check_store() {
	local i
	for ((i = 1; i <= $2; i++)); do
		issued_by_pebble "$LAB/store/certificates/$1$i/cert.pem" ||
			die "holdfast: $1$i missing or not from this Pebble"
	done
}

conf "$LAB/seq.conf" seq "$N"
note "holdfast: the same $N certificates, one process each"
t0=$(now)
for ((i = 1; i <= N; i++)); do
	hf issue -c "$LAB/seq.conf" "seq$i"
	[ "$HF_RC" -eq 0 ] || {
		hf_dump >&2
		die "holdfast issue seq$i exited $HF_RC"
	}
done
t1=$(now)
SEQ_S=$(elapsed "$t0" "$t1")
check_store seq "$N"
SEQ_PER=$(per "$SEQ_S" "$N")
printf '%-34s %6d %10s %10s %12s\n' "holdfast issue, 1 process per cert" "$N" "$SEQ_S" "$SEQ_PER" -

if [ "$M" -gt 0 ]; then
	conf "$LAB/conc.conf" conc "$M"
	note "holdfast: $M certificates in one run${PARALLEL:+ (--parallel $PARALLEL)}"
	par=()
	[ -n "${PARALLEL:-}" ] && par=(--parallel "$PARALLEL")
	t0=$(now)
	(cd "$LAB" && timeout "$HF_RUN_TIMEOUT" /usr/bin/time -f %M -o "$LAB/rss" \
		"$HOLDFAST" issue -c "$LAB/conc.conf" "${par[@]}") >"$LAB/conc.out" 2>"$LAB/conc.err"
	rc=$?
	t1=$(now)
	[ "$rc" -eq 0 ] || {
		tail -n 20 "$LAB/conc.err" >&2
		die "holdfast issue of $M certificates exited $rc"
	}
	CONC_S=$(elapsed "$t0" "$t1")
	check_store conc "$M"
	CONC_PER=$(per "$CONC_S" "$M")
	RSS=$(awk '{ printf "%.1f MiB", $1 / 1024 }' "$LAB/rss")
	printf '%-34s %6d %10s %10s %12s\n' "holdfast issue, all in one run" "$M" "$CONC_S" "$CONC_PER" "$RSS"
fi

echo
R_SEQ=$(ratio "$LEGO_PER" "$SEQ_PER")
echo "ratio_sequential=$R_SEQ goal=$GOAL_SEQUENTIAL $(verdict "$R_SEQ" "$GOAL_SEQUENTIAL")"
if [ "$M" -gt 0 ]; then
	R_CONC=$(ratio "$LEGO_PER" "$CONC_PER")
	echo "ratio_concurrent=$R_CONC goal=$GOAL_CONCURRENT $(verdict "$R_CONC" "$GOAL_CONCURRENT")"
fi
exit 0
