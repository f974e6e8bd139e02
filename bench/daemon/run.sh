#!/usr/bin/env bash
# bench/daemon/run.sh [N | quick] -- how fast `holdfast run` loads and
# re-validates a store of N certificates (default 100,000; `quick` = 2,000),
# how much memory it keeps per certificate, and what `holdfast status` and
# one metrics scrape cost at that size.
#
# 1. gen.py makes one small CA (EC P-256 by default) and N leaves sharing one
#    EC key, each with an OCSP response the CA signed itself (good, valid for
#    4 days), in holdfast's store layout (certificates/NAME -> .versions/...,
#    with cert.pem, chain.pem, fullchain.pem, privkey.pem, meta.json,
#    staple.ocsp), plus holdfast.conf with N [certificate] sections (no
#    deploy, renew_at in 2099, audit off: nothing is due, nothing is fetched;
#    metrics_listen on 127.0.0.1:9464, metrics_per_certificate at its
#    default) and holdfast-1.conf with only the first one.  Timed on its own.
# 2. In a fresh network namespace (only lo, up), measure.py starts
#    `holdfast run -c holdfast.conf` and polls its log: time from exec to
#    `event=daemon_started`; VmRSS/VmHWM at that moment and SETTLE seconds
#    later; then SIGTERM.  Three runs: N certificates with the store's files
#    evicted from the page cache ("cold"), N again ("warm"), 1 certificate
#    (the baseline for memory).  During the warm run, once the daemon has
#    settled, probe.py scrapes /metrics once (bytes, samples, time).  After
#    it, with the daemon stopped (so that both runs share the same machine),
#    probe.py runs `holdfast status --json` (wall time, peak RSS from wait4,
#    CPU), which reads the daemon's state index; then the index is moved
#    aside and status runs again, reading daemon.json whole as before the
#    index (STATUS_JSON=0 skips this); the two outputs must be the same.
#    METRICS_ALL=1 adds a run with metrics_per_certificate = N and scrapes
#    that page too: every per-certificate series, for comparison.
# 3. `openssl speed -seconds 3 ecdsap256 rsa2048` gives the verify rates;
#    the pure signature-verification time of N staples is N / (verify/s of
#    the CA's algorithm).  Goals: start <= 3x that; <= 2 KiB of RSS per
#    certificate beyond its DER.  Both printed with PASS/FAIL.
#
# Exits 0 when every step worked, whether or not a goal is met; non-zero when
# something broke (a tool missing, holdfast not starting, a staple not valid
# at load, holdfast not stopping on SIGTERM).
#
# Environment (all optional):
#   HOLDFAST=path     binary under test (default <repo>/build/holdfast)
#   CA_KEY=ec         ec (P-256) or rsa (RSA-2048): the key that signs leaves
#                     and OCSP responses, so the algorithm holdfast verifies
#   GEN_JOBS=nproc    worker processes of gen.py
#   COLD=evict        how the first run is made cold: evict (posix_fadvise
#                     DONTNEED on every store file; only this store's pages),
#                     drop (sync; echo 3 > /proc/sys/vm/drop_caches: the whole
#                     machine's caches, dentries and inodes too), none
#   SETTLE=3          seconds between daemon_started and the second RSS reading
#   START_TIMEOUT=900 seconds allowed for one start before the run is abandoned
#   SPEED_SECONDS=3   openssl speed -seconds
#   STATUS_JSON=1     0 = skip the status run that reads daemon.json (~as long as
#                     the other)
#   METRICS_ALL=0     1 = one more start, with every per-certificate series
#   KEEP=0            1 = keep the work directory (its path is printed)
#   TMPDIR            where the work directory (the store) is created
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
N=${1:-100000}
[[ $N == quick ]] && N=2000
HOLDFAST=${HOLDFAST:-$REPO/build/holdfast}
case $HOLDFAST in /*) ;; *) HOLDFAST=$PWD/$HOLDFAST ;; esac
CA_KEY=${CA_KEY:-ec}
GEN_JOBS=${GEN_JOBS:-$(nproc)}
COLD=${COLD:-evict}
SETTLE=${SETTLE:-3}
START_TIMEOUT=${START_TIMEOUT:-900}
SPEED_SECONDS=${SPEED_SECONDS:-3}
STATUS_JSON=${STATUS_JSON:-1}
METRICS_ALL=${METRICS_ALL:-0}
METRICS_URL=http://127.0.0.1:9464/metrics
readonly GOAL_FACTOR=3 GOAL_BYTES=2048

die() {
	echo "run.sh: error: $*" >&2
	exit 1
}
note() { echo "run.sh: $*" >&2; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
# calc EXPR VAR=VALUE...: awk arithmetic
calc() {
	local expr=$1 args=()
	shift
	for a in "$@"; do args+=(-v "$a"); done
	awk "${args[@]}" "BEGIN { $expr }"
}

[[ $N =~ ^[1-9][0-9]*$ ]] || die "usage: $0 [N | quick]  (N certificates, default 100000; quick = 2000)"
[[ $CA_KEY == ec || $CA_KEY == rsa ]] || die "CA_KEY must be ec or rsa"
[[ $COLD == evict || $COLD == drop || $COLD == none ]] || die "COLD must be evict, drop or none"
for tool in python3 openssl ip awk du; do
	command -v "$tool" >/dev/null || die "$tool not found"
done
python3 -c 'import cryptography' 2>/dev/null || die "python3 cannot import cryptography (apt install python3-cryptography)"
[[ -x $HOLDFAST ]] || die "$HOLDFAST not built (cd $REPO && meson setup build; ninja -C build)"
[[ $EUID == 0 ]] || die "needs root (ip netns add)"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/holdfast-bench-daemon.XXXXXX")
NS=hf-bench-daemon-$$
NS_MADE=0
CHILD_PID=
cleanup() {
	local pid
	if [[ -n $CHILD_PID ]]; then
		# gen.py (and its pool workers) or measure.py (which kills holdfast)
		pkill -TERM -P "$CHILD_PID" 2>/dev/null || true
		kill -TERM "$CHILD_PID" 2>/dev/null || true
		wait "$CHILD_PID" 2>/dev/null || true
	fi
	if ((NS_MADE)); then
		# Only processes inside our own fresh namespace.
		for pid in $(ip netns pids "$NS" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null || true
		done
		ip netns del "$NS" 2>/dev/null || true
		rm -rf "/etc/netns/$NS"
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

# --------------------------------------------------------------- 1. the store
note "generating a CA ($CA_KEY), $N certificates and $N OCSP responses ($GEN_JOBS jobs) ..."
t0=$(now)
python3 "$HERE/gen.py" make "$WORK" "$N" --ca "$CA_KEY" --jobs "$GEN_JOBS" >"$WORK/gen.out" &
CHILD_PID=$!
wait "$CHILD_PID" || die "gen.py failed"
CHILD_PID=
t1=$(now)
GEN_S=$(elapsed "$t0" "$t1")
gen() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$WORK/gen.json" "$1"; }
LEAF_DER=$(gen leaf_der_avg)
CA_DER=$(gen ca_der)
STAPLE_DER=$(gen staple_der_avg)
n_links=$(find "$WORK/store/certificates" -maxdepth 1 -type l | wc -l)
((n_links == N)) || die "expected $N certificates in the store, found $n_links"
STORE_KB=$(du -sk "$WORK/store" | awk '{ print $1 }')
note "generated in ${GEN_S}s; store: $((STORE_KB / 1024)) MiB on disk"

# ------------------------------------------------------- 2. the verify limit
note "openssl speed -seconds $SPEED_SECONDS ecdsap256 rsa2048 ..."
openssl speed -mr -seconds "$SPEED_SECONDS" ecdsap256 rsa2048 >"$WORK/speed.out" 2>/dev/null ||
	die "openssl speed failed"
# -mr: "+F2:i:2048:sign/s:verify/s" (RSA), "+F4:i:256:sign/s:verify/s" (ECDSA)
RSA_VERIFY=$(awk -F: '$1 == "+F2" && $3 == 2048 { print $5 }' "$WORK/speed.out")
EC_VERIFY=$(awk -F: '$1 == "+F4" && $3 == 256 { print $5 }' "$WORK/speed.out")
[[ -n $RSA_VERIFY && -n $EC_VERIFY ]] || die "cannot read verify/s from openssl speed -mr"
if [[ $CA_KEY == ec ]]; then
	ALG="ecdsap256" VERIFY=$EC_VERIFY
else
	ALG="rsa2048" VERIFY=$RSA_VERIFY
fi
VERIFY_S=$(calc 'printf "%.3f", n / r' n="$N" r="$VERIFY")
GOAL_S=$(calc 'printf "%.3f", f * v' f="$GOAL_FACTOR" v="$VERIFY_S")

# ---------------------------------------------------------- 3. the daemon runs
ip netns add "$NS" || die "cannot create network namespace $NS"
NS_MADE=1
ip -n "$NS" link set lo up
# `ip netns exec` bind-mounts /etc/netns/NS/* over /etc: no DNS can leave.
mkdir -p "/etc/netns/$NS"
echo "nameserver 127.0.0.1" >"/etc/netns/$NS/resolv.conf"

# run_daemon LABEL CONF EXPECTED [DURING]: one measured start, with the
# script DURING run while the daemon is up; sets R_* from measure.py.
run_daemon() {
	local label=$1 conf=$2 want=$3 log=$WORK/$1.log out=$WORK/$1.out rc=0 valid during=()
	[[ -n ${4:-} ]] && during=(--during "$4")
	note "run $label: holdfast run -c $(basename "$conf") ($want certificates) ..."
	ip netns exec "$NS" python3 "$HERE/measure.py" "${during[@]}" "$log" "$SETTLE" "$START_TIMEOUT" \
		"$HOLDFAST" run -c "$conf" >"$out" &
	CHILD_PID=$!
	wait "$CHILD_PID" || rc=$?
	CHILD_PID=
	if ((rc != 0)); then
		cat "$out" >&2
		grep -v 'event=certificate_loaded' "$log" | tail -n 20 >&2 || true
		die "run $label failed (measure.py exit $rc)"
	fi
	grep -q "event=daemon_started.*certificates=$want\$" "$log" ||
		die "run $label: daemon_started does not say certificates=$want"
	valid=$(grep -c 'event=certificate_loaded .* present=1 placeholder=0 staple=valid' "$log" || true)
	((valid == want)) || die "run $label: $valid of $want certificates loaded with a valid staple"
	if grep -q 'level=error\|event=staple_refresh\|event=ocsp_fetch\|event=issue' "$log"; then
		grep 'level=error\|event=staple_refresh\|event=ocsp_fetch\|event=issue' "$log" | head -n 5 >&2
		die "run $label: errors or network activity in the log"
	fi
	while IFS='=' read -r k v; do
		[[ $k =~ ^[a-z_0-9]+$ ]] && printf -v "R_$k" '%s' "$v"
	done <"$out"
}

declare -A S
# save LABEL: copy the R_* of the last run under S[LABEL.key]
save() {
	local k
	for k in start_s first_loaded_s cpu_user_s cpu_sys_s majflt read_bytes rss_start_kb \
		hwm_start_kb rss_settled_kb hwm_settled_kb stop_s; do
		local var=R_$k
		S[$1.$k]=${!var}
	done
}

# What runs during the warm start (inside the namespace): one scrape, and
# the sizes of the state files.
STATE=$WORK/store/state
cat >"$WORK/during.sh" <<EOF
#!/bin/sh
set -e
python3 "$HERE/probe.py" scrape "$METRICS_URL" "$WORK/metrics.txt"
echo "idx_bytes=\$(stat -c %s "$STATE/daemon.idx")"
echo "journal_bytes=\$(stat -c %s "$STATE/daemon.idx.log")"
echo "json_bytes=\$(stat -c %s "$STATE/daemon.json")"
EOF
cat >"$WORK/during-all.sh" <<EOF
#!/bin/sh
exec python3 "$HERE/probe.py" scrape "$METRICS_URL" "$WORK/metrics-all.txt"
EOF
chmod +x "$WORK/during.sh" "$WORK/during-all.sh"

case $COLD in
evict) python3 "$HERE/gen.py" evict "$WORK/store" >/dev/null ;;
drop) sync && echo 3 >/proc/sys/vm/drop_caches ;;
none) ;;
esac
run_daemon cold "$WORK/holdfast.conf" "$N"
save cold
run_daemon warm "$WORK/holdfast.conf" "$N" "$WORK/during.sh"
save warm
for k in scrape_bytes scrape_s scrape_samples scrape_series_certs idx_bytes journal_bytes \
	json_bytes hwm_during_kb; do
	var=R_$k
	S[warm.$k]=${!var}
done
SERIES_WANT=$((N < 1000 ? N : 1000))
((S[warm.scrape_series_certs] == SERIES_WANT)) ||
	die "metrics: ${S[warm.scrape_series_certs]} certificates with series, expected $SERIES_WANT"
# status_run LABEL: one holdfast status --json over the whole configuration;
# S[LABEL.*] from probe.py.
status_run() {
	python3 "$HERE/probe.py" status "$WORK/status-$1.json" "$HOLDFAST" status --json \
		-c "$WORK/holdfast.conf" >"$WORK/status-$1.out" || die "status ($1) failed"
	while IFS='=' read -r k v; do
		[[ $k =~ ^[a-z_0-9]+$ ]] && S[$1.$k]=$v
	done <"$WORK/status-$1.out"
}
note "status --json from the state index ..."
status_run index
((S[index.status_lines] == N && S[index.status_daemon_null] == 0)) ||
	die "status: ${S[index.status_lines]} lines, ${S[index.status_daemon_null]} without the daemon's state (expected $N, 0)"
if [[ $STATUS_JSON == 1 ]]; then
	# The path before the index: status finds no index and reads daemon.json.
	note "status --json from daemon.json (the index moved aside) ..."
	mv "$STATE/daemon.idx" "$STATE/daemon.idx.aside"
	status_run json
	mv "$STATE/daemon.idx.aside" "$STATE/daemon.idx"
	cmp -s "$WORK/status-index.json" "$WORK/status-json.json" ||
		die "status: the output from the index differs from the one from daemon.json"
fi
if [[ $METRICS_ALL == 1 ]]; then
	sed "s/^metrics_listen = .*/&\nmetrics_per_certificate = $N/" "$WORK/holdfast.conf" >"$WORK/holdfast-all.conf"
	run_daemon all "$WORK/holdfast-all.conf" "$N" "$WORK/during-all.sh"
	for k in scrape_bytes scrape_s scrape_samples scrape_series_certs hwm_during_kb; do
		var=R_$k
		S[all.$k]=${!var}
	done
fi
run_daemon one "$WORK/holdfast-1.conf" 1
save one

# ---------------------------------------------------------------- 4. report
mib() { calc 'printf "%.1f MiB", k / 1024' k="$1"; }
row() { printf '%-16s %8s %8s %8s %9s %10s %12s %12s %12s\n' "$@"; }
echo
printf 'holdfast daemon start bench: N=%s cores=%s ca_key=%s (CA signs leaves and responses)\n' \
	"$N" "$(nproc)" "$ALG"
printf 'binary: %s (tree %s)\n' "$HOLDFAST" "$(git -C "$REPO" describe --always --dirty 2>/dev/null || echo unknown)"
printf 'store: %s (%s), %s MiB on disk; avg DER: leaf %.0f B, CA %s B, staple %.0f B\n' \
	"$WORK/store" "$(stat -f -c %T "$WORK")" "$((STORE_KB / 1024))" "$LEAF_DER" "$CA_DER" "$STAPLE_DER"
printf 'generation (CA, %s leaves, %s responses, files, config): %ss with %s jobs\n' "$N" "$N" "$GEN_S" "$GEN_JOBS"
printf 'cold run: %s\n\n' "$(case $COLD in
	evict) echo "store files evicted from the page cache first (posix_fadvise DONTNEED; dentries/inodes stay cached)" ;;
	drop) echo "all caches dropped first (echo 3 > /proc/sys/vm/drop_caches)" ;;
	none) echo "COLD=none: nothing evicted, same as warm" ;;
	esac)"
row run start_s 1st_cert cpu_s disk_read rss@start peak_rss "rss+${SETTLE}s" "peak+${SETTLE}s"
for r in cold warm one; do
	case $r in cold) lbl="N=$N cold" ;; warm) lbl="N=$N warm" ;; one) lbl="N=1 baseline" ;; esac
	row "$lbl" "${S[$r.start_s]}" "${S[$r.first_loaded_s]}" \
		"$(calc 'printf "%.2f", u + s' u="${S[$r.cpu_user_s]}" s="${S[$r.cpu_sys_s]}")" \
		"$(calc 'printf "%.0fMiB", b / 1048576' b="${S[$r.read_bytes]}")" \
		"$(mib "${S[$r.rss_start_kb]}")" "$(mib "${S[$r.hwm_start_kb]}")" \
		"$(mib "${S[$r.rss_settled_kb]}")" "$(mib "${S[$r.hwm_settled_kb]}")"
done
cat <<EOF
  start_s   exec -> the event=daemon_started log line (log polled every 2 ms)
  1st_cert  exec -> the first event=certificate_loaded line (config parsing and setup before it)
  cpu_s     user + system CPU of the daemon at daemon_started
  peak_rss  VmHWM at daemon_started; rss/peak+${SETTLE}s: VmRSS/VmHWM ${SETTLE} s later (after its state file writes)

EOF

# Memory: the peak over the whole measured life of the warm run.
PEAK_N=${S[warm.hwm_settled_kb]}
PEAK_1=${S[one.hwm_settled_kb]}
WARM_S=${S[warm.start_s]}
COLD_S=${S[cold.start_s]}
PER_CERT_US=$(calc 'printf "%.1f", s / n * 1e6' s="$WARM_S" n="$N")
PER_CERT_COLD_US=$(calc 'printf "%.1f", s / n * 1e6' s="$COLD_S" n="$N")
RSS_PER=$(calc 'printf "%.0f", k * 1024 / n' k="$PEAK_N" n="$N")
DELTA_PER=$(calc 'printf "%.0f", (a - b) * 1024 / n' a="$PEAK_N" b="$PEAK_1" n="$N")
BEYOND=$(calc 'printf "%.0f", (a - b) * 1024 / n - l - c' a="$PEAK_N" b="$PEAK_1" n="$N" l="$LEAF_DER" c="$CA_DER")
printf 'per certificate (warm run):\n'
printf '  start time per certificate       %s us warm, %s us cold  (start_s / N)\n' "$PER_CERT_US" "$PER_CERT_COLD_US"
printf '  peak RSS per certificate         %s B  (VmHWM(N) / N = %s KiB / %s)\n' "$RSS_PER" "$PEAK_N" "$N"
printf '  RSS per certificate, net         %s B  ((VmHWM(N) - VmHWM(1)) / N = (%s - %s) KiB / %s)\n' \
	"$DELTA_PER" "$PEAK_N" "$PEAK_1" "$N"
printf '  RSS per certificate beyond DER   %s B  (net - avg leaf DER - CA DER = %s - %.0f - %s)\n' \
	"$BEYOND" "$DELTA_PER" "$LEAF_DER" "$CA_DER"
printf '\nverify limit (openssl speed -seconds %s, one core):\n' "$SPEED_SECONDS"
printf '  %-10s %10.0f verify/s  -> %s staples: %.3f s%s\n' ecdsap256 "$EC_VERIFY" "$N" \
	"$(calc 'print n / r' n="$N" r="$EC_VERIFY")" "$([[ $ALG == ecdsap256 ]] && echo '  <- the CA here')"
printf '  %-10s %10.0f verify/s  -> %s staples: %.3f s%s\n' rsa2048 "$RSA_VERIFY" "$N" \
	"$(calc 'print n / r' n="$N" r="$RSA_VERIFY")" "$([[ $ALG == rsa2048 ]] && echo '  <- the CA here')"
echo
verdict() { calc 'print (a <= b) ? "PASS" : "FAIL"' a="$1" b="$2"; }
printf 'start_warm=%ss goal<=%ss (%sx %ss of %s verifies) %s\n' "$WARM_S" "$GOAL_S" "$GOAL_FACTOR" \
	"$VERIFY_S" "$ALG" "$(verdict "$WARM_S" "$GOAL_S")"
printf 'start_cold=%ss goal<=%ss %s\n' "$COLD_S" "$GOAL_S" "$(verdict "$COLD_S" "$GOAL_S")"
printf 'rss_beyond_der=%sB goal<=%sB %s\n' "$BEYOND" "$GOAL_BYTES" "$(verdict "$BEYOND" "$GOAL_BYTES")"

# ------------------------------------------------- status and metrics at N
bytes_mib() { calc 'printf "%.1f MiB", b / 1048576' b="$1"; }
per_cert() { calc 'printf "%.0f", b / n' b="$1" n="$N"; }
printf '\nstatus and metrics at N=%s (state files and scrape during the warm run, status after it):\n' "$N"
printf '  state files: daemon.idx %s (%s B per certificate), daemon.idx.log %s B, daemon.json %s (%s B per certificate)\n' \
	"$(bytes_mib "${S[warm.idx_bytes]}")" "$(per_cert "${S[warm.idx_bytes]}")" "${S[warm.journal_bytes]}" \
	"$(bytes_mib "${S[warm.json_bytes]}")" "$(per_cert "${S[warm.json_bytes]}")"
srow() { printf '  %-36s %9s %11s %9s %6s\n' "$@"; }
srow "holdfast status --json" wall_s peak_rss cpu_s exit
srow "  from the state index" "${S[index.status_s]}" "$(mib "${S[index.status_rss_kb]}")" \
	"${S[index.status_cpu_s]}" "${S[index.status_exit]}"
if [[ $STATUS_JSON == 1 ]]; then
	srow "  from daemon.json (index aside)" "${S[json.status_s]}" "$(mib "${S[json.status_rss_kb]}")" \
		"${S[json.status_cpu_s]}" "${S[json.status_exit]}"
	printf '  (both outputs identical, %s lines)\n' "${S[index.status_lines]}"
fi
mrow() { printf '  %-36s %12s %9s %8s %8s\n' "$@"; }
mrow "one scrape of /metrics" bytes samples time_s series
mrow "  metrics_per_certificate=1000" "${S[warm.scrape_bytes]}" "${S[warm.scrape_samples]}" \
	"${S[warm.scrape_s]}" "${S[warm.scrape_series_certs]}"
if [[ $METRICS_ALL == 1 ]]; then
	mrow "  metrics_per_certificate=$N" "${S[all.scrape_bytes]}" "${S[all.scrape_samples]}" \
		"${S[all.scrape_s]}" "${S[all.scrape_series_certs]}"
	printf '  daemon peak RSS after the scrape: %s with the default, %s with every series\n' \
		"$(mib "${S[warm.hwm_during_kb]}")" "$(mib "${S[all.hwm_during_kb]}")"
fi
cat <<EOF
  series    certificates with their own series (holdfast_certificates_series)
  status    wall time, peak RSS (wait4) and CPU of one holdfast status --json over all N
EOF
