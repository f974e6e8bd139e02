#!/bin/bash
# The whole test suite: static checks, unit tests and integration tests
# against real peers (built normally), the same again built with
# AddressSanitizer + UndefinedBehaviorSanitizer, and short libFuzzer runs.
# Prints every result line, then "N passed, N failed" as its last line; exits
# non-zero when anything failed.
#
#   tests/run.sh                 everything (installs Debian packages first)
#   HOLDFAST_SKIP_DEPS=1         do not run scripts/install-deps.sh
#   HOLDFAST_SUITES="plain asan fuzz lint"   choose suites
#   HOLDFAST_FUZZ_SECONDS=30     time per fuzz target
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
SUITES=${HOLDFAST_SUITES:-"lint plain asan fuzz"}
FUZZ_SECONDS=${HOLDFAST_FUZZ_SECONDS:-30}
LOGDIR=$(mktemp -d /tmp/holdfast-tests.XXXXXX)
FAILURES="$LOGDIR/failures.txt" # every failure again, with its log's tail, printed last
: >"$FAILURES"
passed=0
failed=0

if [ "${HOLDFAST_SKIP_DEPS:-0}" != 1 ]; then
	scripts/install-deps.sh || { echo "0 passed, 1 failed"; exit 1; }
fi

result() { # result SUITE ok|fail NAME [DETAIL]
	if [ "$2" = ok ]; then
		passed=$((passed + 1))
		echo "[$1] ok - $3"
	else
		failed=$((failed + 1))
		echo "[$1] not ok - $3${4:+: $4}"
		echo "[$1] not ok - $3${4:+: $4}" >>"$FAILURES"
	fi
}

# Run one TAP-ish program, count its "ok"/"not ok" lines; a program that
# exits non-zero without reporting a failure counts as one failure, so a
# crash (or a sanitizer abort) can never pass silently.
run_tap() { # run_tap SUITE NAME cmd...
	local suite=$1 name=$2 log rc nok nnot
	shift 2
	log="$LOGDIR/$suite-$name.log"
	timeout -k 10 900 "$@" >"$log" 2>&1
	rc=$?
	nok=$(grep -cE '^ok( [0-9]+)? - ' "$log")
	nnot=$(grep -cE '^not ok( [0-9]+)? - ' "$log")
	passed=$((passed + nok))
	failed=$((failed + nnot))
	grep -E '^(not )?ok( [0-9]+)? - ' "$log" | sed "s/^/[$suite:$name] /"
	if [ "$rc" -ne 0 ] && [ "$nnot" -eq 0 ]; then
		result "$suite" fail "$name exited $rc" "see $log"
		tail -n 20 "$log" | sed 's/^/    /'
	elif [ "$nnot" -gt 0 ]; then
		echo "    (log: $log)"
	fi
	if [ "$nnot" -gt 0 ]; then
		{
			grep -E '^not ok( [0-9]+)? - ' "$log" | sed "s/^/[$suite:$name] /"
			echo "    last lines of $log:"
			tail -n 25 "$log" | sed 's/^/    /'
		} >>"$FAILURES"
	elif [ "$rc" -ne 0 ]; then
		tail -n 20 "$log" | sed 's/^/    /' >>"$FAILURES"
	fi
}

build() { # build DIR [meson options...]
	local dir=$1
	shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$@" >"$LOGDIR/setup-$(basename "$dir").log" 2>&1 || return 1
	fi
	ninja -C "$dir" >"$LOGDIR/build-$(basename "$dir").log" 2>&1
}

suite_tests() { # suite_tests SUITE BUILD_DIR
	local suite=$1 dir=$2 t s
	for t in "$dir"/test_*; do
		[ -f "$t" ] && [ -x "$t" ] || continue
		run_tap "$suite" "$(basename "$t")" "$t"
	done
	for s in tests/integration/*.sh; do
		[ -x "$s" ] || continue
		# The Debian package test builds and installs its own binary
		# (dpkg-buildpackage, apt-get): nothing in it is this suite's build,
		# so it runs once, in the plain suite.
		if [ "$suite" != plain ] && [ "$(basename "$s")" = package_deb.sh ]; then
			continue
		fi
		HOLDFAST="$ROOT/$dir/holdfast" HOLDFAST_SUITE=$suite run_tap "$suite" "$(basename "$s" .sh)" "$s"
	done
}

suite_lint() {
	local hits
	# doc/HACKING.md rule 11: banned calls.
	hits=$(grep -nE '\b(sprintf|strcpy|strcat|strncpy|strtok|gets|system|popen|gmtime|localtime)[[:space:]]*\(' \
		src/*.[ch] src/*/*.[ch] fuzz/*.c tests/unit/*.[ch] 2>/dev/null | grep -vE '\b(snprintf|vsnprintf)\(' )
	if [ -z "$hits" ]; then result lint ok "no banned functions"; else result lint fail "banned functions" "$hits"; fi
	if clang-format --dry-run --Werror src/*.[ch] src/*/*.[ch] fuzz/*.c tests/unit/*.[ch] >"$LOGDIR/format.log" 2>&1; then
		result lint ok "clang-format clean"
	else
		result lint fail "clang-format" "$(head -5 "$LOGDIR/format.log")"
	fi
	if python3 tests/lint/layers.py >"$LOGDIR/layers.log" 2>&1; then
		result lint ok "layers: each src/ folder includes only lower layers"
	else
		result lint fail "layers" "$(head -5 "$LOGDIR/layers.log")"
	fi
	if tests/lint/store_paths.sh >"$LOGDIR/store_paths.log" 2>&1; then
		result lint ok "store layout: no path into the store built outside src/store/"
	else
		result lint fail "store layout" "$(head -5 "$LOGDIR/store_paths.log")"
	fi
	if tests/lint/metrics_rules.sh >"$LOGDIR/metrics_rules.log" 2>&1; then
		result lint ok "dist/: promtool check rules + test rules, dashboard parses, its metrics are on the page"
	else
		result lint fail "dist/ rules and dashboard" "$(grep -vE '^(Checking|Unit Testing| *SUCCESS|$)' "$LOGDIR/metrics_rules.log" | head -8)"
	fi
	if tests/lint/systemd_unit.sh >"$LOGDIR/systemd_unit.log" 2>&1; then
		result lint ok "dist/holdfast.service: systemd-analyze security $(head -1 "$LOGDIR/systemd_unit.log")"
	else
		result lint fail "dist/holdfast.service hardening" "$(head -8 "$LOGDIR/systemd_unit.log")"
	fi
	if cppcheck --quiet --error-exitcode=1 --std=c11 --enable=warning,portability \
		--inline-suppr -I src src >"$LOGDIR/cppcheck.log" 2>&1; then
		result lint ok "cppcheck clean"
	else
		result lint fail "cppcheck" "$(head -5 "$LOGDIR/cppcheck.log")"
	fi
}

suite_fuzz() {
	local f corpus
	if ! CC=clang build build-fuzz -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false; then
		result fuzz fail "fuzz build" "see $LOGDIR/build-build-fuzz.log"
		return
	fi
	for f in build-fuzz/fuzz_*; do
		[ -f "$f" ] && [ -x "$f" ] || continue
		corpus="$LOGDIR/corpus-$(basename "$f")"
		mkdir -p "$corpus"
		cp "fuzz/corpus/$(basename "$f" | sed 's/^fuzz_//')"/* "$corpus"/
		if "$f" -max_total_time="$FUZZ_SECONDS" -timeout=10 -artifact_prefix="$LOGDIR/" \
			"$corpus" >"$LOGDIR/$(basename "$f").log" 2>&1; then
			result fuzz ok "$(basename "$f") ${FUZZ_SECONDS}s: $(grep -oE 'Done [0-9]+ runs' "$LOGDIR/$(basename "$f").log")"
		else
			result fuzz fail "$(basename "$f")" "$(grep -m3 -E 'ERROR|SUMMARY' "$LOGDIR/$(basename "$f").log")"
		fi
	done
}

for suite in $SUITES; do
	case $suite in
	lint) suite_lint ;;
	plain)
		if build build; then suite_tests plain build; else result plain fail build "$(tail -20 "$LOGDIR/build-build.log")"; fi ;;
	asan)
		export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1
		export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
		if build build-asan -Db_sanitize=address,undefined -Db_lundef=false; then
			suite_tests asan build-asan
		else
			result asan fail build "$(tail -20 "$LOGDIR/build-build-asan.log")"
		fi
		unset ASAN_OPTIONS UBSAN_OPTIONS ;;
	fuzz) suite_fuzz ;;
	*) result runner fail "unknown suite $suite" ;;
	esac
done

if [ -s "$FAILURES" ]; then
	# Repeated here so that whoever sees only the end of the output sees them.
	echo "=== failures ($failed) ==="
	cat "$FAILURES"
fi
echo "logs: $LOGDIR"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
