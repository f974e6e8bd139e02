#!/usr/bin/env bash
# manual_complete.sh -- holdfast(1) is complete and cannot drift from the
# binary: every configuration key the parser accepts is in the manual's Keys
# lists (in the section kind that takes it) and in the example configuration,
# every key the manual lists is accepted by the binary where the manual puts
# it, and every option each command's --help prints is in the manual (and
# every option of a command's SYNOPSIS entry is in its --help). The checks
# are tests/lab/manual_check.py's; the binary is asked, not a list.
# shellcheck source=SCRIPTDIR/../lab/lib.sh
. "$(dirname "$0")/../lab/lib.sh"
lab_init
lab_require_holdfast
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

python3 "$ROOT/tests/lab/manual_check.py" "$HOLDFAST" "$ROOT/doc/holdfast.1" \
	"$ROOT/src/conf/conf.c" "$ROOT/doc/holdfast.conf.example" "$LAB" >"$LAB/manual.out" 2>&1 ||
	not_ok "manual_check.py ran" "$(tail -3 "$LAB/manual.out")"
while IFS=$'\t' read -r verdict name detail; do
	case $verdict in
	ok) ok "$name" ;;
	"not ok") not_ok "$name" "$detail" ;;
	*) not_ok "manual_check.py output" "$verdict $name" ;;
	esac
done <"$LAB/manual.out"
[ "$LAB_PASSED" -ge 200 ] || not_ok "at least 200 checks ran" "only $LAB_PASSED"

# The example configuration loads: no file:line:key error.
"$HOLDFAST" status -c "$ROOT/doc/holdfast.conf.example" >"$LAB/example.out" 2>&1
if grep -q 'holdfast.conf.example:[0-9]*:' "$LAB/example.out"; then
	not_ok "doc/holdfast.conf.example loads" "$(head -2 "$LAB/example.out")"
else
	ok "doc/holdfast.conf.example loads"
fi
lab_finish
