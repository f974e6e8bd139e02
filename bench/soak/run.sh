#!/bin/bash
# bench/soak/run.sh -- the daemon for a long time on a compressed clock,
# with its OCSP responder and its CA failing at random: does anything grow?
#
#     bench/soak/run.sh [REFRESHES [ISSUANCES [BUDGET_S]]]   (as root)
#     defaults: 10000 staple refreshes, 500 issuances, 3600 s at most
#
# Peers (real, in a network namespace of its own, 127.0.0.1 only):
#   - `openssl ocsp` for STAPLED lab certificates, with a clock 31 s slow
#     (lab_ocsp_lagging): each response arrives already past its refresh
#     time, so the daemon refreshes every staple again and again -- a
#     refresh cycle every few hundred milliseconds instead of every 3.5 days;
#   - Pebble issuing 1-second certificates for ISSUED names, so they are due
#     again as soon as they are issued;
#   - nginx, which every certificate and staple is deployed to (and
#     reloaded), and the http-01 responder the daemon runs for Pebble.
# Faults, at random every 1..6 s: the responder or Pebble is frozen
# (SIGSTOP) for 0.5..4 s -- requests hang until holdfast's timeouts --, or
# the responder is killed and restarted; the daemon must ride them out.
# Sampled every 10 s from /proc: VmRSS, open file descriptors, threads, and
# the store's size on disk (du) and file count. Start and end are the
# medians of the first and the last tenth of the samples (at least 3; the
# first after a warm minute), printed with the range seen and end/start;
# "flat" means end <= 1.10 x start + a small slack (2 MiB RSS, 4 fds,
# 1 thread, 256 KiB and 16 files of store).
# It runs for at least 6 samples (a minute past the first), then until
# both targets are reached or the budget is spent.
# Exits 0 when the run worked (targets reached within the budget, the
# daemon alive throughout), whether or not every figure is flat: the
# figures are the result. Exit 1: the lab or the daemon broke.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HOLDFAST=${HOLDFAST:-$ROOT/build/holdfast}
# shellcheck source=SCRIPTDIR/../../tests/lab/lib.sh
. "$ROOT/tests/lab/lib.sh"
# shellcheck source=SCRIPTDIR/../../tests/lab/acme.sh
. "$ROOT/tests/lab/acme.sh"
lab_enter_netns "$@"
lab_init
lab_require_holdfast
lab_setup_ca

WANT_REFRESH=${1:-10000}
WANT_ISSUE=${2:-500}
BUDGET=${3:-3600}
STAPLED="s1 s2 s3 s4 s5 s6 s7 s8"
ISSUED="i1 i2"
OCSP_PORT=8080
STORE=$LAB/store
DEPLOY=$LAB/deploy
NGX=$LAB/nginx
DLOG=$LAB/daemon.log
SAMPLES=$LAB/samples.tsv
mkdir -p "$DEPLOY/nginx" "$NGX/tmp" "$NGX/sites"
RANDOM=${HF_SOAK_SEED:-$$}

die() {
	echo "soak: $*" >&2
	[ -f "$DLOG" ] && tail -n 20 "$DLOG" | sed 's/^/  daemon: /' >&2
	exit 1
}

for c in $STAPLED; do
	lab_make_leaf "$CA" "$c" "http://127.0.0.1:$OCSP_PORT" || die "lab certificate $c"
	lab_seed_store "$STORE" "$CA" "$c" pebble || die "seed $c"
done
lab_ocsp_lagging "$CA" "$OCSP_PORT" 31 || die "the OCSP responder did not start"
lab_dns 53 || die "dnsmasq did not start"
LAB_PEBBLE_VALIDITY=1 lab_pebble soak 14000 15000 PEBBLE_VA_ALWAYS_VALID=1 || die "Pebble did not start"
PEBBLE=$(cat "$LAB/pebble-soak/pid")

conf=(deploy_dir="$DEPLOY" audit_interval=off probe_interval=off
	nginx_reload="nginx -p $NGX -c $NGX/nginx.conf -e $NGX/error.log -s reload"
	staple_retry_min=1s staple_retry_max=2s issue_retry_min=1s
	acme_connect_timeout=1s acme_timeout=2s
	"[ca pebble]" directory="$(lab_pebble_url soak)")
for c in $STAPLED $ISSUED; do
	conf+=("[certificate $c]" names="$c.test" cas=pebble deploy=nginx)
done
lab_acme_conf "$LAB/holdfast.conf" "${conf[@]}" || die "cannot write the configuration"

"$HOLDFAST" run -c "$LAB/holdfast.conf" >"$DLOG" 2>&1 &
DAEMON=$!
lab_track "$DAEMON"
for ((i = 0; i < 600; i++)); do
	ok=1
	for c in $STAPLED $ISSUED; do
		[ -s "$DEPLOY/nginx/$c.conf" ] || ok=0
	done
	[ "$ok" = 1 ] && break
	kill -0 "$DAEMON" 2>/dev/null || die "the daemon exited during the warm-up"
	sleep 0.1
done
[ "$ok" = 1 ] || die "not everything deployed within 60 s"
{
	lab_nginx_conf_head "$NGX"
	for c in $STAPLED $ISSUED; do
		echo "    server { listen 127.0.0.1:8443 ssl; server_name $c.test; include $DEPLOY/nginx/$c.conf; }"
	done
	echo "}"
} >"$NGX/nginx.conf"
lab_nginx_start "$NGX" 8443 || die "nginx did not start (see $NGX/error.log)"

# sample: one line "t rss_kib fds threads store_bytes store_files refreshes issuances"
count() { grep -c "event=$1" "$DLOG"; }
sample() {
	local rss fds thr bytes files
	rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$DAEMON/status" 2>/dev/null)
	thr=$(awk '/^Threads:/ { print $2 }' "/proc/$DAEMON/status" 2>/dev/null)
	fds=$(find "/proc/$DAEMON/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
	bytes=$(du -sb "$STORE" | cut -f1)
	files=$(find "$STORE" -type f | wc -l)
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date +%s)" "${rss:-0}" "$fds" "${thr:-0}" \
		"$bytes" "$files" "$(count staple_refreshed)" "$(count certificate_issued)" >>"$SAMPLES"
}

T0=$(date +%s)
faults=0 next_fault=$((T0 + 1 + RANDOM % 6)) next_sample=$((T0 + 60))
echo "# soak: warm, running until $WANT_REFRESH refreshes and $WANT_ISSUE issuances (at most ${BUDGET}s); first sample after 60 s"
while :; do
	now=$(date +%s)
	kill -0 "$DAEMON" 2>/dev/null || die "the daemon died after $((now - T0)) s"
	if [ "$now" -ge "$next_sample" ]; then
		sample
		next_sample=$((now + 10))
		read -r _ _ _ _ _ _ refreshes issued < <(tail -n1 "$SAMPLES")
		if [ "$(wc -l <"$SAMPLES")" -ge 6 ] && [ "$refreshes" -ge "$WANT_REFRESH" ] &&
			[ "$issued" -ge "$WANT_ISSUE" ]; then
			break
		fi
		[ $((now - T0)) -ge "$BUDGET" ] && break
	fi
	if [ "$now" -ge "$next_fault" ]; then
		faults=$((faults + 1))
		hold=$(awk -v r=$RANDOM 'BEGIN { printf "%.1f", 0.5 + (r % 36) / 10 }')
		case $((RANDOM % 3)) in
		0) kill -STOP -- "-$LAB_LAGGING" 2>/dev/null; sleep "$hold"; kill -CONT -- "-$LAB_LAGGING" 2>/dev/null ;;
		1) kill -STOP "$PEBBLE"; sleep "$hold"; kill -CONT "$PEBBLE" ;;
		2) lab_ocsp_lagging_kill; sleep "$hold"; lab_ocsp_lagging "$CA" "$OCSP_PORT" 31 || die "responder restart" ;;
		esac
		next_fault=$(($(date +%s) + 1 + RANDOM % 6))
	fi
	lab_ocsp_lagging_unstick || die "the responder would not restart"
	sleep 0.2
done

END=$(date +%s)
python3 - "$SAMPLES" "$WANT_REFRESH" "$WANT_ISSUE" "$((END - T0))" "$faults" <<'PY'
import statistics, sys
rows = [list(map(int, l.split("\t"))) for l in open(sys.argv[1]) if l.strip()]
want_r, want_i, secs, faults = map(int, sys.argv[2:6])
last = rows[-1]
# fds and threads move with the work in flight (a connection, an issuance
# thread): the start and the end are each the median of a tenth of the
# samples (at least 3), and the range is shown beside them.
k = max(3, len(rows) // 10)
names = ["RSS (KiB)", "open fds", "threads", "store bytes", "store files"]
slack = [2048, 4, 1, 262144, 16]
print("soak: %d s, %d faults injected, %d samples (start/end: medians of the first/last %d)"
      % (secs, faults, len(rows), k))
print("  staple refreshes %d (goal %d), issuances %d (goal %d)" % (last[6], want_r, last[7], want_i))
print("  %-12s %12s %12s %12s %12s %8s  %s" % ("", "start", "end", "min", "max", "end/start", "flat"))
flat_all = True
for i, n in enumerate(names, start=1):
    a = statistics.median(r[i] for r in rows[:k])
    b = statistics.median(r[i] for r in rows[-k:])
    lo, hi = min(r[i] for r in rows), max(r[i] for r in rows)
    flat = b <= a * 1.10 + slack[i - 1]
    flat_all &= flat
    print("  %-12s %12.0f %12.0f %12d %12d %8.2f  %s" % (n, a, b, lo, hi, b / a if a else 0,
                                                          "yes" if flat else "NO"))
reached = last[6] >= want_r and last[7] >= want_i
print("  result: %s; targets %s" % ("flat" if flat_all else "NOT flat",
                                    "reached" if reached else "NOT reached within the budget"))
PY
echo "# samples: $SAMPLES (HF_KEEP=1 keeps them)"
exit 0
