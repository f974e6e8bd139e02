#!/bin/bash
# package_deb.sh -- the Debian package (debian/) end to end, as an admin gets
# it: build it from a copy of this tree with `dpkg-buildpackage -us -uc -b`,
# check it with lintian (no error or warning that debian/
# holdfast.lintian-overrides does not justify), install it with apt-get, and
# check what it installed: /usr/bin/holdfast, holdfast(1), the example
# configuration, the systemd unit (ExecStart, enabled, inert without a
# configuration), the holdfast system user and /var/lib/holdfast (0750, its
# own); then the outage drill from the installed package alone (`holdfast
# drill --short` from a directory outside any source tree, HOLDFAST_DRILL
# unset: about 70 s), and that it names a missing program; then purge it and
# check that nothing is left but what Debian keeps (the system user), and
# that a purge keeps a /var/lib/holdfast that holds something.
#
# Not in a network namespace: apt-get and dpkg act on the machine itself
# (apt may need the archive for a missing dependency), and the drill makes
# a namespace of its own. The machine is left as it was found: an EXIT trap
# purges the package and whatever installing it pulled in, and removes the
# system user and /var/lib/holdfast when this test made them. It refuses to
# run (one skipped line) where holdfast is installed already.
# Plain suite only (tests/run.sh): it builds its own binary.
#
# shellcheck disable=SC2317 # functions run through check and the EXIT trap
# The binary the lab's helpers run: the installed one.
# shellcheck disable=SC2034 # read by lib.sh
HOLDFAST=/usr/bin/holdfast
# shellcheck source=SCRIPTDIR/../lab/lib.sh
. "$(dirname "$0")/../lab/lib.sh"
lab_init

ROOT=$LAB_REPO
STATE=/var/lib/holdfast
DRILL=/usr/share/holdfast/drill
export DEBIAN_FRONTEND=noninteractive
# Wait for the dpkg lock rather than fail, should anything else be installing.
APT=(apt-get -y -q -o DPkg::Lock::Timeout=300)

# ---------------------------------------------------------------- preconditions

if [ "$(id -u)" -ne 0 ]; then
	not_ok "package: preconditions" "needs root (apt-get install, a system user)"
	lab_finish
fi
missing=
for tool in dpkg-buildpackage dh lintian apt-get dpkg-parsechangelog; do
	command -v "$tool" >/dev/null || missing="$missing $tool"
done
if [ -n "$missing" ]; then
	not_ok "package: build tools" "missing:$missing (scripts/install-deps.sh installs them)"
	lab_finish
fi
# Whatever is here already is not this test's to purge.
status=$(dpkg-query -W -f='${Status}' holdfast 2>/dev/null)
for f in /usr/bin/holdfast "$STATE" "$DRILL"; do
	[ -e "$f" ] && status="${status:+$status, }$f exists"
done
if [ -n "$status" ] && [ "$status" != "unknown ok not-installed" ]; then
	ok "package: skipped, holdfast is already installed on this machine ($status) # SKIP"
	lab_finish
fi

VERSION=$(sed -nE "s/^[[:space:]]*version[[:space:]]*:[[:space:]]*'([^']+)'.*/\1/p" "$ROOT/meson.build" | head -n1)
ARCH=$(dpkg --print-architecture)
USER_BEFORE=$(getent passwd holdfast)
GROUP_BEFORE=$(getent group holdfast)

# installed_packages: the binary packages dpkg has installed, one a line.
installed_packages() {
	dpkg-query -W -f='${db:Status-Abbrev} ${binary:Package}\n' | awk '$1 == "ii" { print $2 }' | sort
}

INSTALLED=0 # set once this test has run apt-get install
: >"$LAB/pulled"

# Put the machine back: the package and what it pulled in purged, and the
# user, group and state directory gone unless they were here before.
package_cleanup() {
	local pulled
	[ "$INSTALLED" = 1 ] || return 0
	if dpkg-query -W -f='${Status}' holdfast 2>/dev/null | grep -qv 'not-installed'; then
		echo "# cleanup: purging holdfast"
		"${APT[@]}" purge holdfast >>"$LAB/cleanup.log" 2>&1
	fi
	pulled=$(cat "$LAB/pulled")
	if [ -n "$pulled" ]; then
		echo "# cleanup: purging what installing holdfast pulled in:" "$pulled"
		# shellcheck disable=SC2086 # one word per package
		"${APT[@]}" purge $pulled >>"$LAB/cleanup.log" 2>&1
	fi
	if [ -z "$USER_BEFORE" ] && getent passwd holdfast >/dev/null; then
		userdel holdfast >>"$LAB/cleanup.log" 2>&1
	fi
	if [ -z "$GROUP_BEFORE" ] && getent group holdfast >/dev/null; then
		groupdel holdfast >>"$LAB/cleanup.log" 2>&1
	fi
	rm -rf "$STATE"
}
trap 'package_cleanup; lab_cleanup' EXIT

# ---------------------------------------------------------------- build

# A copy of the tree as it is now (tracked and new files, not ignored ones
# such as build directories), in a directory of its own: dpkg-buildpackage
# writes the .deb beside the source directory.
SRC=$LAB/build/holdfast-$VERSION
mkdir -p "$SRC"
if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git -C "$ROOT" ls-files -z --cached --others --exclude-standard |
		tar -C "$ROOT" --null -T - --ignore-failed-read -cf - 2>/dev/null | tar -C "$SRC" -xf -
else
	tar -C "$ROOT" --exclude=./.git --exclude='./build*' --exclude='./obj-*' \
		--exclude=./debian/holdfast --exclude=./debian/.debhelper -cf - . | tar -C "$SRC" -xf -
fi
check "package: the copy of the tree has debian/ and meson.build" test -f "$SRC/debian/control" -a -f "$SRC/meson.build"
check "package: debian/changelog's version is meson.build's project version ($VERSION)" \
	test "$(dpkg-parsechangelog -l "$SRC/debian/changelog" -S Version)" = "$VERSION"

t0=$(date +%s)
(cd "$SRC" && timeout 900 dpkg-buildpackage -us -uc -b) >"$LAB/build.log" 2>&1
rc=$?
DEB=$LAB/build/holdfast_${VERSION}_${ARCH}.deb
if [ "$rc" -eq 0 ] && [ -f "$DEB" ]; then
	ok "package: dpkg-buildpackage -us -uc -b gives $(basename "$DEB") ($(($(date +%s) - t0)) s)"
else
	not_ok "package: dpkg-buildpackage -us -uc -b" "exit $rc, $(basename "$DEB") $([ -f "$DEB" ] || echo "not ")made"
	tail -n 40 "$LAB/build.log" >"$LAB/build.tail"
	diag "$LAB/build.tail" "  build: "
	lab_finish
fi

# ---------------------------------------------------------------- lintian

# Overridden tags are reported as O: and do not fail; every other error or
# warning does. Info tags are shown. An override that no longer matches is
# a stale justification: it fails too.
lintian --fail-on error,warning --info --show-overrides "$DEB" >"$LAB/lintian.log" 2>&1
rc=$?
grep -v 'running with root privileges' "$LAB/lintian.log" >"$LAB/lintian.tags"
if [ "$rc" -eq 0 ] && ! grep -qE 'unused-override|mismatched-override' "$LAB/lintian.tags"; then
	ok "package: lintian: no error or warning that is not overridden ($(grep -c '^O: ' "$LAB/lintian.tags") overridden, $(grep -c '^I: ' "$LAB/lintian.tags") info)"
else
	not_ok "package: lintian" "exit $rc (errors or warnings not overridden, or stale overrides)"
fi
diag "$LAB/lintian.tags" "  lintian: "
# Each override is justified: a comment right above it.
if awk '/^#/ { c = 1; next } /^[[:space:]]*$/ { c = 0; next } { if (!c) { print "no comment above: " $0; bad = 1 } }
	END { exit bad }' "$SRC/debian/holdfast.lintian-overrides" >"$LAB/overrides.check"; then
	ok "package: every lintian override has a comment that justifies it"
else
	not_ok "package: lintian overrides" "$(cat "$LAB/overrides.check")"
fi

# ---------------------------------------------------------------- install

installed_packages >"$LAB/packages.before"
INSTALLED=1
"${APT[@]}" install "$DEB" >"$LAB/install.log" 2>&1
rc=$?
installed_packages >"$LAB/packages.after"
comm -13 "$LAB/packages.before" "$LAB/packages.after" | grep -vx "holdfast" | tr '\n' ' ' >"$LAB/pulled"
if [ "$rc" -eq 0 ] && [ "$(dpkg-query -W -f='${Status} ${Version}' holdfast 2>/dev/null)" = "install ok installed $VERSION" ]; then
	ok "install: apt-get install ./$(basename "$DEB")"
else
	not_ok "install: apt-get install ./$(basename "$DEB")" "exit $rc"
	tail -n 30 "$LAB/install.log" >"$LAB/install.tail"
	diag "$LAB/install.tail" "  apt: "
	lab_finish
fi
[ -s "$LAB/pulled" ] && echo "# install: also pulled in (purged at the end): $(cat "$LAB/pulled")"

# ---------------------------------------------------------------- what it installed

version_line() {
	/usr/bin/holdfast --version | head -n1 | grep -q "^holdfast $VERSION ("
}
check "install: /usr/bin/holdfast --version says $VERSION" version_line

man_page() {
	local page=/usr/share/man/man1/holdfast.1.gz
	zcat "$page" | grep -q '^\.Dt HOLDFAST 1' || return 1
	# FILES names the installed drill.
	zcat "$page" | grep -q "$DRILL" || { echo "the manual does not name $DRILL"; return 1; }
	if command -v man >/dev/null; then
		[ "$(man -w holdfast)" = "$page" ] || { echo "man -w holdfast: $(man -w holdfast)"; return 1; }
	fi
}
check "install: the manual, holdfast(1), names the installed drill" man_page
check "install: the example configuration /usr/share/doc/holdfast/holdfast.conf.example" \
	cmp /usr/share/doc/holdfast/holdfast.conf.example "$ROOT/doc/holdfast.conf.example"

UNIT=$(dpkg -L holdfast | grep -E '^(/usr)?/lib/systemd/system/holdfast\.service$')
unit_ok() {
	[ -f "$UNIT" ] || { echo "the package has no holdfast.service in /lib/systemd/system"; return 1; }
	grep -qx 'ExecStart=/usr/bin/holdfast run -c /etc/holdfast/holdfast.conf' "$UNIT" || {
		grep '^Exec' "$UNIT"
		return 1
	}
	grep -qx 'ConditionPathExists=/etc/holdfast/holdfast.conf' "$UNIT"
}
check "install: the unit ${UNIT:-holdfast.service}: ExecStart=/usr/bin/holdfast run, skipped without a configuration" unit_ok
# dh_installsystemd's postinst enables it, whether or not systemd runs.
check "install: the unit is enabled (multi-user.target.wants)" \
	test -L /etc/systemd/system/multi-user.target.wants/holdfast.service

system_user() {
	local entry uid gid home shell
	entry=$(getent passwd holdfast) || { echo "no user holdfast"; return 1; }
	IFS=: read -r _ _ uid gid _ home shell <<<"$entry"
	echo "passwd: $entry; group: $(getent group "$gid")"
	[ "$uid" -ge 100 ] && [ "$uid" -le 999 ] && [ "$home" = "$STATE" ] &&
		[ "$(getent group "$gid" | cut -d: -f1)" = holdfast ] &&
		case $shell in */nologin | */false) true ;; *) false ;; esac
}
check "install: the holdfast system user (uid 100-999, group holdfast, home $STATE, no login)" system_user
state_dir() {
	local got
	got=$(stat -c '%U:%G %a' "$STATE") || return 1
	echo "$STATE: $got"
	[ "$got" = "holdfast:holdfast 750" ]
}
check "install: $STATE is holdfast:holdfast 0750" state_dir

drill_files() {
	local f
	for f in scripts/drill.sh tests/lab/lib.sh tests/lab/acme.sh tests/lab/apache.sh \
		tests/lab/drill_probe.py tests/lab/drill_plot.py; do
		cmp "$DRILL/$f" "$ROOT/$f" || return 1
	done
	test -x "$DRILL/scripts/drill.sh"
}
check "install: the drill and its lab under $DRILL (scripts/, tests/lab/)" drill_files
drill_help() {
	/usr/bin/holdfast drill --help | grep -qF "$DRILL/scripts/drill.sh"
}
check "install: holdfast drill --help names the installed drill" drill_help

# ---------------------------------------------------------------- the drill

ELSEWHERE=$LAB/elsewhere # no source tree above it
mkdir -p "$ELSEWHERE"

# With one of its programs missing (pebble, here hidden from PATH) the drill
# says which one and the package that has it, and exits 3 (UNKNOWN).
mkdir -p "$LAB/path"
for tool in id ip ss dnsmasq nginx openssl python3 curl ps; do
	p=$(command -v "$tool") && ln -s "$p" "$LAB/path/$tool"
done
(cd "$ELSEWHERE" && timeout 60 env -u HOLDFAST_DRILL -u HOLDFAST PATH="$LAB/path" \
	/usr/bin/holdfast drill --short) >"$LAB/missing.out" 2>&1
rc=$?
if [ "$rc" -eq 3 ] && grep -q 'drill: pebble is missing: apt-get install pebble' "$LAB/missing.out"; then
	ok "drill: without pebble it says so and names the package (exit 3)"
else
	not_ok "drill: a missing program" "exit $rc, want 3 and 'pebble is missing: apt-get install pebble'"
	diag "$LAB/missing.out" "  "
fi

# The drill itself, from the package alone: nothing but the installed files.
t0=$(date +%s)
(cd "$ELSEWHERE" && env -u HOLDFAST_DRILL -u HOLDFAST -u HF_KEEP \
	timeout 600 /usr/bin/holdfast drill --short) >"$LAB/drill.out" 2>&1
rc=$?
if [ "$rc" -eq 0 ] && grep -qE '^  result +PASS$' "$LAB/drill.out" &&
	grep -q "holdfast: /usr/bin/holdfast\$" "$LAB/drill.out"; then
	ok "drill: holdfast drill --short from the installed package: PASS ($(($(date +%s) - t0)) s)"
	sed -n '/^== verdict/,$p' "$LAB/drill.out" >"$LAB/drill.verdict"
	diag "$LAB/drill.verdict" "  "
else
	not_ok "drill: holdfast drill --short from the installed package" "exit $rc, want 0 and PASS"
	tail -n 60 "$LAB/drill.out" >"$LAB/drill.tail"
	diag "$LAB/drill.tail" "  drill: "
fi

# ---------------------------------------------------------------- systemd

if [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ]; then
	unit_cat() {
		systemctl cat holdfast | grep -qx 'ExecStart=/usr/bin/holdfast run -c /etc/holdfast/holdfast.conf'
	}
	unit_enabled() {
		[ "$(systemctl is-enabled holdfast)" = enabled ]
	}
	# Started by the postinst, the unit found no configuration: skipped, not failed.
	unit_skipped() {
		systemctl status holdfast
		! systemctl is-active -q holdfast && ! systemctl is-failed -q holdfast
	}
	check "systemd: systemctl cat holdfast shows the installed unit" unit_cat
	check "systemd: the unit is enabled" unit_enabled
	check "systemd: without /etc/holdfast/holdfast.conf it is not running and not failed" unit_skipped
else
	ok "systemd: systemctl cat holdfast # SKIP PID 1 is $(cat /proc/1/comm 2>/dev/null), not systemd"
fi

# ---------------------------------------------------------------- purge

"${APT[@]}" purge holdfast >"$LAB/purge.log" 2>&1
rc=$?
if [ "$rc" -eq 0 ] && ! dpkg-query -W -f='${Status}' holdfast 2>/dev/null | grep -qv 'not-installed'; then
	ok "purge: apt-get purge holdfast"
else
	not_ok "purge: apt-get purge holdfast" "exit $rc, dpkg: $(dpkg-query -W -f='${Status}' holdfast 2>&1)"
	diag "$LAB/purge.log" "  apt: "
fi
# gone NAME PATH...: ok when none of the paths exists.
gone() {
	local name=$1 left=() p
	shift
	for p in "$@"; do
		[ -e "$p" ] || [ -L "$p" ] && left+=("$p")
	done
	if [ "${#left[@]}" -eq 0 ]; then
		ok "purge: $name gone"
	else
		not_ok "purge: $name" "left behind: ${left[*]}"
	fi
}
gone "the binary" /usr/bin/holdfast
gone "the drill (/usr/share/holdfast)" /usr/share/holdfast
gone "the documentation (/usr/share/doc/holdfast)" /usr/share/doc/holdfast
gone "the manual" /usr/share/man/man1/holdfast.1.gz
gone "/etc/holdfast (empty)" /etc/holdfast
gone "the unit and its enablement" /lib/systemd/system/holdfast.service /usr/lib/systemd/system/holdfast.service \
	/etc/systemd/system/holdfast.service /etc/systemd/system/multi-user.target.wants/holdfast.service \
	/var/lib/systemd/deb-systemd-helper-enabled/holdfast.service.dsh-also \
	/var/lib/systemd/deb-systemd-helper-enabled/multi-user.target.wants/holdfast.service \
	/var/lib/systemd/deb-systemd-helper-masked/holdfast.service
gone "$STATE (empty)" "$STATE"
check "purge: the holdfast system user stays (Debian practice; this test removes it afterwards)" \
	getent passwd holdfast

# Once the store holds something (keys, certificates), purge keeps it.
"${APT[@]}" install "$DEB" >"$LAB/install2.log" 2>&1 || not_ok "install again" "$(tail -n 5 "$LAB/install2.log")"
check "install again over the existing user: $STATE is holdfast:holdfast 0750" state_dir
echo "a certificate" >"$STATE/kept"
"${APT[@]}" purge holdfast >"$LAB/purge2.log" 2>&1
kept() {
	[ -f "$STATE/kept" ] && grep -q "$STATE is not empty" "$LAB/purge2.log"
}
check "purge: a $STATE that holds something is kept, with a note" kept

lab_finish
