#!/bin/bash
# The store's layout has one owner, src/store/ (doc/HACKING.md): no other
# file builds a path into it.  Flags a format string or literal that names a
# part of the layout (certificates/, .versions/, accounts/, state/, audit/,
# rdap/, crls/ under the store, or one of its file names) outside src/store/.
# Prints each hit and exits 1 when there is one.
cd "$(dirname "$0")/../.." || exit 2
hits=$(grep -nE '"%s/(certificates|accounts|state|audit|rdap|crls)\b|"[^"]*(/\.versions/|state/daemon\.json|state/endpoints\.json|state/audit\.jsonl|audit/state\.json|rdap/dns\.json)' \
	src/*.c src/*/*.c src/*/*.h 2>/dev/null | grep -v '^src/store/' | grep -v '://' | grep -vE '^[^:]+:[0-9]+:\s*(/?\*|//)')
[ -z "$hits" ] && exit 0
echo "$hits"
exit 1
