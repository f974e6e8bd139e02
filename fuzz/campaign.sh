#!/bin/bash
# The fuzzing campaign (issue 13; not run by CI, which runs each target for
# 30 s in tests/run.sh's fuzz suite): every libFuzzer target in fuzz/ runs
# from its seeds in fuzz/corpus/NAME/ until FUZZ_RUNS executions or
# FUZZ_SECONDS seconds, whichever comes first; the corpus is minimised into
# fuzz/corpus/NAME/ (libFuzzer -merge=1 by edges: the named seeds stay, an
# input is kept only when it reaches an edge the others do not); a crash, leak,
# timeout or out-of-memory input is copied to fuzz/crashes/NAME/; then the
# merged corpus is replayed through a second build instrumented for source
# coverage, and llvm-cov reports the lines and branches covered in the
# parser's own source files.  The last lines are a table:
#
#   target  executions  exec/s  lines%  branches%  crashes  corpus  sources
#
# and the exit status is 1 when any target crashed (or did not build), else 0.
#
#   FUZZ_RUNS=10000000      executions per target (the issue's figure)
#   FUZZ_SECONDS=3600       seconds per target, at most
#   FUZZ_TARGETS="meta state"   only these (default: every fuzz/fuzz_*.c)
#   FUZZ_OUT=build-fuzz-campaign   logs, working corpora, coverage data
#
# Run it alone on a shared machine:
#   flock /tmp/holdfast-heavy.lock fuzz/campaign.sh
# Needs clang, libclang-rt-14-dev and llvm (scripts/install-deps.sh).
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
RUNS=${FUZZ_RUNS:-10000000}
SECONDS_EACH=${FUZZ_SECONDS:-3600}
OUT=${FUZZ_OUT:-$ROOT/build-fuzz-campaign}
ASAN_BUILD=$ROOT/build-fuzz
COV_BUILD=$ROOT/build-fuzz-cov

# The parser's source files per target, for the coverage column; a target
# not listed here (a new one) gets the src/ files of the headers it includes.
declare -A SOURCES=(
	[acme]="src/acme/protocol.c src/acme/breaker.c src/x509/cert.c"
	[bundle]="src/store/bundle.c"
	[cert_leaf]="src/x509/cert.c"
	[conf]="src/conf/conf.c"
	[crl]="src/revocation/crl.c"
	[dns]="src/audit/dns.c"
	[meta]="src/store/meta.c"
	[ocsp_response]="src/ocsp/check.c"
	[ocspd]="src/ocsp/responder.c"
	[rdap]="src/audit/rdap_parse.c src/audit/rdap_bootstrap.c src/audit/rules.c"
	[state]="src/daemon/state_index.c src/acme/breaker.c"
)

tool() { # the first of the names given that is installed
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 && { echo "$t"; return 0; }
	done
	return 1
}

CLANG=$(tool clang clang-14) || { echo "campaign: clang missing (scripts/install-deps.sh)" >&2; exit 1; }
PROFDATA=$(tool llvm-profdata llvm-profdata-14) || { echo "campaign: llvm-profdata missing (package llvm)" >&2; exit 1; }
LLVMCOV=$(tool llvm-cov llvm-cov-14) || { echo "campaign: llvm-cov missing (package llvm)" >&2; exit 1; }

TARGETS=${FUZZ_TARGETS:-$(for f in fuzz/fuzz_*.c; do basename "$f" .c | sed 's/^fuzz_//'; done)}

build() { # build DIR LOG meson-options...: configure once, then the targets
	local dir=$1 log=$2 t
	shift 2
	if [ ! -f "$dir/build.ninja" ]; then
		CC=$CLANG meson setup "$dir" "$@" >"$log" 2>&1 || return 1
	fi
	# shellcheck disable=SC2046
	ninja -C "$dir" $(for t in $TARGETS; do echo "fuzz_$t"; done) >>"$log" 2>&1
}

mkdir -p "$OUT"
echo "# building the fuzz targets (ASan + UBSan) in $ASAN_BUILD"
if ! build "$ASAN_BUILD" "$OUT/build-fuzz.log" -Dfuzz=true -Db_sanitize=address,undefined \
	-Db_lundef=false; then
	echo "campaign: the fuzz build failed, see $OUT/build-fuzz.log" >&2
	exit 1
fi
echo "# building the coverage replay in $COV_BUILD"
if ! build "$COV_BUILD" "$OUT/build-fuzz-cov.log" -Dfuzz=true -Db_lundef=false \
	-Dc_args="-fprofile-instr-generate -fcoverage-mapping" \
	-Dc_link_args="-fprofile-instr-generate"; then
	echo "campaign: the coverage build failed, see $OUT/build-fuzz-cov.log" >&2
	exit 1
fi

# fuzz_state writes its scratch store under TMPDIR: a tmpfs when there is one.
SCRATCH=$(mktemp -d "${FUZZ_TMPDIR:-$([ -w /dev/shm ] && echo /dev/shm || echo /tmp)}/holdfast-campaign.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT

sources_of() { # the coverage sources of target $1
	local t=$1 h
	if [ -n "${SOURCES[$t]:-}" ]; then
		echo "${SOURCES[$t]}"
		return
	fi
	for h in $(sed -n 's/^#include "\([a-z0-9_]*\/[a-z0-9_]*\)\.h"/\1/p' "fuzz/fuzz_$t.c"); do
		[ -f "src/$h.c" ] && printf '%s ' "src/$h.c"
	done
	echo
}

fail=0
ROWS=()
for t in $TARGETS; do
	bin=$ASAN_BUILD/fuzz_$t cov=$COV_BUILD/fuzz_$t dir=$OUT/$t
	if [ ! -x "$bin" ] || [ ! -x "$cov" ]; then
		ROWS+=("$t - - - - build-failed - -")
		fail=1
		continue
	fi
	rm -rf "$dir"
	mkdir -p "$dir/work" "$dir/artifacts" "fuzz/corpus/$t"
	cp -r "fuzz/corpus/$t/." "$dir/work/"
	echo "# $t: fuzzing up to $RUNS executions or ${SECONDS_EACH}s"
	TMPDIR=$SCRATCH "$bin" -runs="$RUNS" -max_total_time="$SECONDS_EACH" -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$dir/artifacts/" \
		"$dir/work" >"$dir/fuzz.log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/fuzz.log" | tail -1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/fuzz.log" | tail -1)
	crashes=$(find "$dir/artifacts" -type f | wc -l)
	if [ "$rc" -ne 0 ] || [ "$crashes" -gt 0 ]; then
		[ "$crashes" -eq 0 ] && crashes=1 # died without an artefact: still a crash
		mkdir -p "fuzz/crashes/$t"
		cp "$dir/artifacts/"* "fuzz/crashes/$t/" 2>/dev/null
		grep -m3 -E 'ERROR|SUMMARY|deadly signal' "$dir/fuzz.log" | sed "s/^/# $t: /"
		echo "# $t: log in $dir/fuzz.log, inputs in fuzz/crashes/$t/"
		fail=1
	fi
	# Minimise into the committed corpus: the named seeds (hand-made, or
	# copied from real store files) stay; of the rest, and of what this run
	# found, an input is kept only when it reaches an edge the others do not
	# (-use_counters=0: hit counts would keep hundreds of near-copies).
	rm -rf "$dir/min"
	mkdir -p "$dir/min"
	find "fuzz/corpus/$t" -type f -regextype posix-extended ! -regex '.*/[0-9a-f]{40}' -exec cp {} "$dir/min/" \;
	if TMPDIR=$SCRATCH "$bin" -merge=1 -use_counters=0 -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$dir/artifacts/merge-" "$dir/min" "fuzz/corpus/$t" "$dir/work" \
		>"$dir/merge.log" 2>&1; then
		find "fuzz/corpus/$t" -type f -regextype posix-extended -regex '.*/[0-9a-f]{40}' -delete
		cp "$dir/min/"* "fuzz/corpus/$t/"
	else
		echo "# $t: merge failed, see $dir/merge.log"
	fi
	files=$(find "fuzz/corpus/$t" -type f | wc -l)
	size=$(($(cat "fuzz/corpus/$t"/* | wc -c) / 1024))
	# Coverage: replay the merged corpus once through the instrumented build.
	srcs=$(sources_of "$t")
	(cd "$dir" && TMPDIR=$SCRATCH LLVM_PROFILE_FILE="$dir/cov-%p.profraw" "$cov" -runs=0 \
		"$ROOT/fuzz/corpus/$t" >"$dir/cov.log" 2>&1)
	lines=- branches=-
	if "$PROFDATA" merge -sparse "$dir"/cov-*.profraw -o "$dir/cov.profdata" 2>>"$dir/cov.log" &&
		"$LLVMCOV" report "$cov" -instr-profile="$dir/cov.profdata" \
			>"$dir/coverage.txt" 2>>"$dir/cov.log"; then
		# llvm-cov 14 ignores a source filter that is not spelled as the
		# build recorded it: sum the rows of the parser's files instead
		# (Lines is the 8th column, missed lines the 9th; branches the 11th
		# and 12th).
		read -r lines branches < <(awk -v srcs="$srcs" '
			BEGIN { n = split(srcs, want, " ") }
			{ for (i = 1; i <= n; i++)
				if (length($1) >= length(want[i]) &&
				    substr($1, length($1) - length(want[i]) + 1) == want[i]) {
					l += $8; lm += $9; b += $11; bm += $12
				} }
			END { printf "%s %s\n", l ? sprintf("%.1f%%", 100 * (l - lm) / l) : "-",
			                      b ? sprintf("%.1f%%", 100 * (b - bm) / b) : "-" }' \
			"$dir/coverage.txt")
	fi
	ROWS+=("$t ${execs:--} ${rate:--} ${lines:--} ${branches:--} $crashes ${files}f/${size}K ${srcs// /,}")
done

echo
echo "# fuzzing campaign: up to $RUNS executions or ${SECONDS_EACH}s per target"
{
	echo "target executions exec/s lines branches crashes corpus sources"
	printf '%s\n' "${ROWS[@]}"
} | column -t
[ "$fail" -eq 0 ] || echo "# crashes: see fuzz/crashes/ (each must become a seed and a unit test)"
exit "$fail"
