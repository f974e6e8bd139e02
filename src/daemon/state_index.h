/*
 * daemon/state_index: what the daemon reports of each certificate, in a form
 * holdfast status can read in memory that does not grow with the number of
 * certificates (STORE/state/daemon.json, with every key spelled out for every
 * certificate, is ~485 bytes each: 48 MB at 100,000, and holdfast status
 * that loads it whole peaks at 280 MiB against 55 MiB through the index;
 * bench/daemon).
 *
 * Two files, both text, one record per line:
 *
 *   STORE/state/daemon.idx      the base: a header line, then one record per
 *                               certificate sorted by name (byte order).
 *                               Written whole (temporary file, fsync,
 *                               rename): a reader sees one complete version.
 *   STORE/state/daemon.idx.log  the journal: a header line, then the records
 *                               that changed since the base was written,
 *                               appended; the last line for a name wins.
 *
 *   header   holdfast-state-index 2 gen=HEX pid=P started=T written=T audit=A
 *   journal  holdfast-state-journal 2 gen=HEX
 *   record   NAME FLAGS FAILURES STATUS NEXT_ISSUE NEXT_STAPLE THIS NEXT IERR SERR
 *            DEPLOYED TARGETS VERIFY VERIFIED VERR
 *   audit    @audit A                          (journal only)
 *   beat     @beat T                           (journal only)
 *   stop     @stop T                           (journal only)
 *
 * FLAGS is five 0/1 digits: certificate, deploy_failed, issuing, placeholder,
 * staple.  FAILURES is staple_failures, STATUS the staple's status name.
 * Times are seconds since the epoch, "-" when absent.  The two errors are
 * "-" for none, or ":" followed by the message with every byte below 0x21,
 * 0x7f and "\" written as \xHH.  A is "-" before the first audit, else the
 * counts of OK,INFO,WARNING,UNKNOWN,CRITICAL findings.  DEPLOYED is when
 * the last deploy changed something or failed, TARGETS the targets that
 * failed then (a message: space-separated as configured, "deploy_hook" for
 * the hook, "store" when the store's files could not be read), VERIFY the
 * last check of verify_addr ("-" none, "pending", "ok", "failed"), VERIFIED
 * when it ended, VERR why it failed.
 *
 * The heartbeat: "@beat T" is appended every STATE_HEARTBEAT_EVERY seconds
 * while the daemon runs, "@stop T" when it stops; the header's written=
 * counts as a beat.  holdfast status compares the last one with the clock,
 * so a daemon that died is seen even though its files stay (version 1 had
 * no heartbeat: a month-old index read as current).  Names are those of
 * holdfast.conf's sections ([A-Za-z0-9._-], under 256 bytes).  A record is
 * ~70 bytes without errors: 7 MB at 100,000 certificates (bench/daemon).
 *
 * Why a journal: at 100,000 certificates some staple is refreshed every few
 * seconds, and rewriting even a 7 MB base each time would be 3 MB/s of
 * writes and fsyncs, forever.  The daemon appends the records that changed
 * (every 2 s at most; daemon/state.c) and writes a new base only when the
 * journal would exceed STATE_JOURNAL_MAX, at start, on reload and after a
 * failed append (which may have left a torn line), so what it writes is
 * proportional to what changed.  The journal is not fsync'ed: after a crash
 * it may miss its last lines (a torn last line is ignored), and the next
 * start writes a new base anyway.
 *
 * Consistency: base and journal carry the same random gen; the daemon
 * renames a new base into place first and then a fresh journal.  A reader
 * whose journal's gen differs from its base's opens the base again once
 * (a new base was renamed in meanwhile), and ignores the journal if they
 * still differ (the base is then the newer of the two).
 *
 * Reading: the journal (at most STATE_JOURNAL_MAX bytes) is loaded and
 * sorted; a name is looked up there, then in the base by binary search over
 * byte offsets with a 64 KiB read window, trying the line after the last one
 * found first, so a configuration in name order is read sequentially.
 */
#ifndef HOLDFAST_DAEMON_STATE_INDEX_H
#define HOLDFAST_DAEMON_STATE_INDEX_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include <jansson.h>

#include "ocsp/check.h"
#include "util/result.h"

#define STATE_NAME_MAX        256
#define STATE_MESSAGE_MAX     512   /* the daemon keeps no longer error */
#define STATE_RECORD_MAX      12288 /* one line: four messages escaped at 4 bytes a byte, at worst */
#define STATE_HEARTBEAT_EVERY 30    /* seconds between "@beat" lines */
#define STATE_JOURNAL_MAX     (256 * 1024)
#define STATE_AUDIT_COUNTS    5 /* OK INFO WARNING UNKNOWN CRITICAL */

/* The last check of what verify_addr serves. */
enum state_verify { STATE_VERIFY_NONE, STATE_VERIFY_PENDING, STATE_VERIFY_OK, STATE_VERIFY_FAILED };

/* NULL for STATE_VERIFY_NONE, else "pending", "ok" or "failed": daemon.json's
 * "verify". */
const char *state_verify_name(enum state_verify v);

/* One certificate as the daemon last reported it: daemon.json's keys. */
struct state_record {
	char name[STATE_NAME_MAX];
	int certificate, deploy_failed, issuing, placeholder, staple;
	int staple_failures;
	enum staple_cert_status staple_status;
	time_t next_issue_check;
	int has_next_staple_refresh;
	time_t next_staple_refresh;
	time_t staple_this_update, staple_next_update; /* when staple */
	int has_issue_error, has_staple_error;
	char issue_error[STATE_MESSAGE_MAX], staple_error[STATE_MESSAGE_MAX];
	int has_deploy_at;
	time_t deploy_at;
	int has_deploy_targets; /* set while deploy_failed */
	char deploy_targets[STATE_MESSAGE_MAX];
	enum state_verify verify;
	int has_verify_at;
	time_t verify_at;
	int has_verify_error;
	char verify_error[STATE_MESSAGE_MAX];
};

/* The base's first line. */
struct state_header {
	unsigned long long gen;
	long pid;
	time_t started, written;
	int audit_done;
	unsigned long audit[STATE_AUDIT_COUNTS];
};

/* The record's line, without a newline, NUL-terminated, into dst: its
 * length, or -1 when it does not fit or the name is not a section name. */
int state_record_format(const struct state_record *r, char *dst, size_t len);

/* Parse one record line (len bytes, no newline) into r; 0, or -1 when
 * malformed (r is then undefined). */
int state_record_parse(const char *line, size_t len, struct state_record *r);

/* The header line, without a newline; its length, or -1. */
int state_header_format(const struct state_header *h, char *dst, size_t len);

/* Parse a header line; 0 or -1. */
int state_header_parse(const char *line, size_t len, struct state_header *h);

/* The journal's header line for gen, without a newline; its length, or -1. */
int state_journal_header_format(unsigned long long gen, char *dst, size_t len);

/* A journal line for the audit summary ("@audit ..."), without a newline; its
 * length, or -1. */
int state_audit_format(int done, const unsigned long counts[STATE_AUDIT_COUNTS], char *dst,
                       size_t len);

/* r as the object daemon.json holds for it (new reference, or NULL). */
json_t *state_record_json(const struct state_record *r);

/* r as daemon.json's "NAME": {...} member, indented as JSON_INDENT(2) with
 * JSON_SORT_KEYS would at depth 2, without a trailing comma or newline. */
void state_record_json_write(FILE *f, const struct state_record *r);

struct state_index;
struct store;

/* Open st's index (STORE_STATE_DAEMON_INDEX and _JOURNAL, the local files
 * store_state_path names) for reading; NULL with errno (ENOENT: never
 * written, EBADMSG: not an index, ENOTSUP: the backend keeps no local file).
 * The index keeps no reference to st. */
struct state_index *state_index_open(struct store *st);

/* 1 with *r when name has a record, 0 when it has none, -1 on a read error
 * or a malformed record. */
int state_index_find(struct state_index *x, const char *name, struct state_record *r);

/* The daemon's last sign of life (the header's written= or the last
 * "@beat"), and in *stopped when it stopped after it ("@stop"), else 0. */
time_t state_index_heartbeat(const struct state_index *x, time_t *stopped);

#define STATE_HEARTBEAT_LATE (3 * STATE_HEARTBEAT_EVERY) /* a beat missed: WARNING */

/* How holdfast status rates the daemon's heartbeat at now: its last beat at
 * beat, stopped (a clean stop after it) or not, and margin, the shortest
 * time any certificate can go without the daemon (a held staple's
 * nextUpdate minus its refresh time, a certificate's notAfter minus its
 * renewal time; 0 when none is known):
 *   CRITICAL  silent (or stopped) for longer than margin: something it
 *             should have refreshed by now has not been;
 *   WARNING   stopped, or silent past STATE_HEARTBEAT_LATE (it missed
 *             beats: dead, hung or its store is not writable);
 *   OK        otherwise (a beat in the future, a clock step back, is OK).
 * Pure; unit-tested at its boundaries. */
enum result state_heartbeat_result(time_t now, time_t beat, int stopped, long margin);

/* A journal line "@beat T" (stop 0) or "@stop T", without a newline; its
 * length, or -1. */
int state_beat_format(int stop, time_t t, char *dst, size_t len);

/* 1 with the audit counts when the daemon has reported an audit, else 0. */
int state_index_audit(const struct state_index *x, unsigned long counts[STATE_AUDIT_COUNTS]);

/* NULL is a no-op. */
void state_index_close(struct state_index *x);

/* The name of the i-th audit count ("OK" ... "CRITICAL"), as daemon.json's
 * "audit" object and holdfast status spell it; NULL past the last. */
const char *state_audit_severity_name(size_t i);

/* Write s as a JSON string to f: null for NULL (and for what is not UTF-8);
 * plain ASCII without quotes or backslashes as it is, the rest through
 * jansson.  Shared by daemon.json and the index's JSON output. */
void state_json_put_string(FILE *f, const char *s);

/* Write t as a JSON time string ("2026-12-03T10:00:00Z"), or null when not
 * present. */
void state_json_put_time(FILE *f, int present, time_t t);

#endif
