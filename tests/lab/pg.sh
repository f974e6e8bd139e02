# shellcheck shell=bash
# tests/lab/pg.sh -- a private PostgreSQL 15 server for fleet-mode tests.
# Sourced after lib.sh:
#
#     . "$(dirname "$0")/../lab/lib.sh"
#     . "$(dirname "$0")/../lab/pg.sh"
#     lab_enter_netns "$@"; lab_init
#     lab_pg_start || lab_finish     # sets LAB_PG_URI (libpq URI), LAB_PG_SOCK
#     lab_psql -c 'SELECT 1'
#
# Design:
# - A fresh cluster per test, in $LAB/pg: initdb as the unprivileged user
#   postgres (the server refuses to run as root, and CI runs as root), trust
#   authentication for the one role holdfast, listening on a Unix socket in
#   $LAB/pg/sock only (listen_addresses=''), so nothing else on the machine
#   can reach it and no port can collide.
# - Cleanup: lab_pg_start puts lab_pg_stop in front of the lab's EXIT trap,
#   so the server is stopped (pg_ctl -m immediate) however the test ends;
#   the namespace's own cleanup (lab_netns_delete) kills anything left.
# - Debian's binaries: /usr/lib/postgresql/15/bin (LAB_PG_BIN to override).

LAB_PG_BIN=${LAB_PG_BIN:-/usr/lib/postgresql/15/bin}
LAB_PG_DIR=
LAB_PG_SOCK=
LAB_PG_URI=

# lab_pg_start: initdb and start the server; create database holdfast.
lab_pg_start() {
	local d=$LAB/pg
	if [ ! -x "$LAB_PG_BIN/initdb" ] || ! id postgres >/dev/null 2>&1; then
		echo "# lab_pg_start: no PostgreSQL 15 server (apt-get install postgresql)"
		return 1
	fi
	# postgres must reach $LAB/pg through the lab's 0700 directory.
	chmod 711 "$LAB"
	mkdir -p "$d/data" "$d/sock"
	chown -R postgres: "$d"
	chmod 700 "$d/data"
	LAB_PG_DIR=$d
	LAB_PG_SOCK=$d/sock
	trap 'lab_pg_stop; lab_cleanup' EXIT
	if ! runuser -u postgres -- "$LAB_PG_BIN/initdb" -D "$d/data" -A trust -U holdfast \
		--no-sync >"$LAB/logs/initdb.log" 2>&1; then
		diag "$LAB/logs/initdb.log" "  initdb: "
		return 1
	fi
	if ! runuser -u postgres -- "$LAB_PG_BIN/pg_ctl" -D "$d/data" -l "$d/log" -w -t 30 \
		-o "-k $d/sock -c listen_addresses='' -c fsync=off" start >"$LAB/logs/pg_ctl.log" 2>&1; then
		diag "$LAB/logs/pg_ctl.log" "  pg_ctl: "
		diag "$d/log" "  postgres: "
		return 1
	fi
	# CREATE DATABASE cannot run inside a transaction block: its own psql.
	if ! "$LAB_PG_BIN/psql" -X -q -h "$d/sock" -U holdfast -d postgres -c "CREATE DATABASE holdfast" \
		>"$LAB/logs/createdb.log" 2>&1; then
		diag "$LAB/logs/createdb.log" "  createdb: "
		return 1
	fi
	LAB_PG_URI="postgresql:///holdfast?host=$d/sock&user=holdfast"
	export LAB_PG_URI LAB_PG_SOCK
}

# lab_pg_stop: stop the server if it runs (at exit; safe to call twice).
lab_pg_stop() {
	[ -n "$LAB_PG_DIR" ] && [ -f "$LAB_PG_DIR/data/postmaster.pid" ] || return 0
	runuser -u postgres -- "$LAB_PG_BIN/pg_ctl" -D "$LAB_PG_DIR/data" -m immediate -w stop \
		>/dev/null 2>&1
	return 0
}

# lab_psql ARGS...: psql on the lab database, unaligned, tuples only, stop
# on the first error.
lab_psql() {
	"$LAB_PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$LAB_PG_SOCK" -U holdfast -d holdfast "$@"
}

# lab_pg_dump ARGS...: pg_dump of the lab database to stdout.
lab_pg_dump() {
	"$LAB_PG_BIN/pg_dump" -h "$LAB_PG_SOCK" -U holdfast -d holdfast "$@"
}
