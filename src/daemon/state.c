/*
 * daemon/state: the state files holdfast status and people read.
 *
 * STORE/state/daemon.idx and daemon.idx.log, the state index (format and
 * reasons in state_index.h): what holdfast status reads, in memory that does
 * not grow with the number of certificates.  site_changed() marks a site
 * whose reported state changed; at most every STATE_WRITE_EVERY seconds the
 * records of the marked sites are appended to the journal, with an "@audit"
 * line when the audit summary changed.  A new base (every site, in name
 * order) and an empty journal of its gen are written at start, after a
 * reload, after a failed append, and when the journal would grow past
 * STATE_JOURNAL_MAX.  So what is written follows what changed, not the
 * number of certificates: at 100,000 a staple refresh costs one ~90-byte
 * line, and the 7 MB base is written once per ~3,800 changes.
 *
 * STORE/state/daemon.json: the same per certificate with every key spelled
 * out (~485 bytes a certificate), a documented file that scripts read; it
 * can only be rewritten whole.  It is rewritten when something changed, at
 * most every STATE_WRITE_EVERY seconds and at least every
 * STATE_WRITE_MAX_AGE ("updated"), but on average never faster than
 * STATE_JSON_RATE bytes a second: the interval is its last size /
 * STATE_JSON_RATE when that is longer.  Up to ~270 certificates (128 KiB)
 * that changes nothing; 1,000 (485 KB): every 7 s at most; 100,000 (48 MB):
 * every 12 minutes at most, instead of 48 MB every 2 s.  It is always
 * written at start and at stop ("stopped" then).
 *
 * The heartbeat: "@beat T" in the journal every STATE_HEARTBEAT_EVERY
 * seconds, "@stop T" at a clean stop (state_index.h), so holdfast status
 * tells a live daemon from a dead one without daemon.json's rewrite.  The index is written first,
 * so it is never older than daemon.json.
 */

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/internal.h"
#include "daemon/state_index.h"
#include "util/buf.h"
#include "util/log.h"

/* Bytes a second: daemon.json's average write rate, at most (see above). */
#define STATE_JSON_RATE (64 * 1024)

void site_changed(struct daemon *d, struct site *s)
{
	d->dirty = 1;
	if (s->state_changed || !d->index_valid)
		return; /* already marked, or a new base is due anyway */
	if (d->changed == NULL &&
	    (d->changed = calloc(d->site_count ? d->site_count : 1, sizeof(*d->changed))) == NULL) {
		d->index_valid = 0; /* out of memory: the next write is a base */
		return;
	}
	s->state_changed = 1;
	d->changed[d->changed_count++] = (size_t)(s - d->sites);
}

void daemon_state_forget(struct daemon *d)
{
	size_t i;

	for (i = 0; i < d->changed_count; i++)
		d->sites[d->changed[i]].state_changed = 0;
	free(d->changed);
	d->changed = NULL;
	d->changed_count = 0;
	d->index_valid = 0;
}

static void changed_clear(struct daemon *d)
{
	size_t i;

	for (i = 0; i < d->changed_count; i++)
		d->sites[d->changed[i]].state_changed = 0;
	d->changed_count = 0;
}

/* What the state files say of s. */
static void site_record(const struct site *s, struct state_record *r)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", s->cert->name);
	r->certificate = s->have;
	r->deploy_failed = s->deploy_failed;
	r->issuing = s->issuing;
	r->placeholder = s->have && s->placeholder;
	r->staple = s->staple_ok;
	r->staple_failures = s->staple_failures;
	r->staple_status = s->staple_ok ? s->sv.status : STAPLE_STATUS_NONE;
	r->next_issue_check = s->issue_next;
	r->has_next_staple_refresh = s->responder_count > 0;
	r->next_staple_refresh = s->staple_next;
	r->staple_this_update = s->sv.this_update;
	r->staple_next_update = s->sv.next_update;
	r->has_issue_error = s->issue_error != NULL;
	if (s->issue_error != NULL)
		snprintf(r->issue_error, sizeof(r->issue_error), "%s", s->issue_error);
	r->has_staple_error = s->staple_error != NULL;
	if (s->staple_error != NULL)
		snprintf(r->staple_error, sizeof(r->staple_error), "%s", s->staple_error);
	r->has_deploy_at = s->deploy_at != 0;
	r->deploy_at = s->deploy_at;
	r->has_deploy_targets = s->deploy_failed && s->deploy_targets != NULL;
	if (r->has_deploy_targets)
		snprintf(r->deploy_targets, sizeof(r->deploy_targets), "%s", s->deploy_targets);
	r->verify = s->cert->verify_addr != NULL ? s->verify : STATE_VERIFY_NONE;
	r->has_verify_at = r->verify != STATE_VERIFY_NONE && s->verify_done_at != 0;
	r->verify_at = s->verify_done_at;
	r->has_verify_error = r->verify == STATE_VERIFY_FAILED && s->verify_error != NULL;
	if (r->has_verify_error)
		snprintf(r->verify_error, sizeof(r->verify_error), "%s", s->verify_error);
}

/* s's index line with its newline into dst (STATE_RECORD_MAX + 1 bytes): its
 * length, or -1 (logged) when its name cannot be a record (the conf's line
 * limit keeps names far shorter than STATE_NAME_MAX). */
static int site_index_line(const struct site *s, char *dst, size_t len)
{
	struct state_record r;
	int n;

	site_record(s, &r);
	n = state_record_format(&r, dst, len - 1);
	if (n < 0) {
		log_warn("state_index_skipped", "cert=%s reason=\"name not indexable\"",
		         s->cert->name);
		return -1;
	}
	dst[n++] = '\n';
	return n;
}

/* 1 when the audit summary differs from the one the index holds. */
static int audit_changed(const struct daemon *d)
{
	return d->audit_done != d->index_audit_done ||
	       (d->audit_done &&
	        memcmp(d->audit_counts, d->index_audit, sizeof(d->index_audit)) != 0);
}

static void audit_noted(struct daemon *d)
{
	d->index_audit_done = d->audit_done;
	memcpy(d->index_audit, d->audit_counts, sizeof(d->index_audit));
}

/* A new base with every site, then an empty journal of its gen.  0, or -1
 * (logged; the index stays invalid and the next write tries again). */
static int index_base_write(struct daemon *d, time_t now)
{
	char line[STATE_RECORD_MAX + 1];
	struct store_state_stream *out;
	struct state_header h;
	FILE *f;
	size_t i;
	int n;

	d->index_valid = 0;
	memset(&h, 0, sizeof(h));
	h.gen = (unsigned long long)arc4random() << 32 | arc4random();
	h.pid = (long)getpid();
	h.started = d->started;
	h.written = now;
	h.audit_done = d->audit_done;
	memcpy(h.audit, d->audit_counts, sizeof(h.audit));
	if ((n = state_header_format(&h, line, sizeof(line) - 1)) < 0 ||
	    (out = store_state_stream_open(d->store, STORE_STATE_DAEMON_INDEX)) == NULL)
		return -1;
	f = store_state_stream_file(out);
	line[n++] = '\n';
	fwrite(line, 1, (size_t)n, f);
	for (i = 0; i < d->site_count; i++) {
		n = site_index_line(&d->sites[d->by_name[i]], line, sizeof(line));
		if (n > 0)
			fwrite(line, 1, (size_t)n, f);
	}
	if (store_state_stream_commit(out) != 0)
		return -1;
	changed_clear(d);
	audit_noted(d);
	/* The journal of this gen: until it is in place, readers ignore the old
	 * one (another gen), and the next write is a base again. */
	if ((n = state_journal_header_format(h.gen, line, sizeof(line) - 1)) < 0)
		return -1;
	line[n++] = '\n';
	if (store_state_save(d->store, STORE_STATE_DAEMON_JOURNAL, line, (size_t)n) != 0)
		return -1;
	d->journal_bytes = (size_t)n;
	d->index_valid = 1;
	d->beat_at = now; /* the header's written= is a beat */
	return 0;
}

/* The heartbeat (state_index.h): "@beat T", or "@stop T" when stopping,
 * appended to the journal; a new base when the index is not valid or the
 * journal is full (its header is the beat then). */
static void index_beat(struct daemon *d, time_t now, int stop)
{
	char line[64];
	int n;

	d->beat_at = now; /* also after a failure (logged): tried again later */
	if (d->index_valid && d->journal_bytes < STATE_JOURNAL_MAX &&
	    (n = state_beat_format(stop, now, line, sizeof(line) - 1)) > 0) {
		line[n++] = '\n';
		if (store_state_append(d->store, STORE_STATE_DAEMON_JOURNAL, line, (size_t)n) ==
		    0) {
			d->journal_bytes += (size_t)n;
			return;
		}
		d->index_valid = 0;
	}
	if (index_base_write(d, now) == 0 && stop &&
	    (n = state_beat_format(1, now, line, sizeof(line) - 1)) > 0) {
		line[n++] = '\n';
		if (store_state_append(d->store, STORE_STATE_DAEMON_JOURNAL, line, (size_t)n) == 0)
			d->journal_bytes += (size_t)n;
	}
}

/* Append the changed sites' records (and the audit summary when it
 * changed) to the journal.  0; -1 when they would take it past
 * STATE_JOURNAL_MAX, or when the append failed (logged; the journal may now
 * end in a torn line, so the index is invalid). */
static int index_journal_append(struct daemon *d)
{
	char line[STATE_RECORD_MAX + 1];
	struct buf b;
	size_t i;
	int n, rc = -1;

	if (d->journal_bytes >= STATE_JOURNAL_MAX)
		return -1;
	buf_init(&b, STATE_JOURNAL_MAX - d->journal_bytes);
	if (audit_changed(d)) {
		n = state_audit_format(d->audit_done, d->audit_counts, line, sizeof(line) - 1);
		if (n < 0)
			goto out;
		line[n++] = '\n';
		if (buf_append(&b, line, (size_t)n) != 0)
			goto out;
	}
	for (i = 0; i < d->changed_count; i++) {
		n = site_index_line(&d->sites[d->changed[i]], line, sizeof(line));
		if (n > 0 && buf_append(&b, line, (size_t)n) != 0)
			goto out; /* too much for the journal: a new base */
	}
	if (b.len > 0 &&
	    store_state_append(d->store, STORE_STATE_DAEMON_JOURNAL, b.data, b.len) != 0) {
		d->index_valid = 0;
		goto out;
	}
	d->journal_bytes += b.len;
	audit_noted(d);
	changed_clear(d);
	rc = 0;
out:
	buf_free(&b);
	return rc;
}

/* Bring the index up to date: the journal, or a new base when it must be. */
static void index_write(struct daemon *d, time_t now)
{
	d->index_written = now; /* also after a failure (logged): retried in 2 s */
	if (!d->index_valid || index_journal_append(d) != 0)
		index_base_write(d, now);
}

/* daemon.json: what jansson writes with JSON_INDENT(2) | JSON_SORT_KEYS,
 * streamed to the file instead of built as a tree first (that tree cost
 * ~3 KB per certificate at its peak). */
static void json_write(struct daemon *d, time_t now)
{
	struct store_state_stream *out;
	struct state_record r;
	FILE *f;
	size_t i;
	long size;

	d->state_written = now; /* also after a failure (logged): retried later */
	if ((out = store_state_stream_open(d->store, STORE_STATE_DAEMON)) == NULL)
		return;
	f = store_state_stream_file(out);
	fputs("{\n", f);
	if (d->audit_done) {
		static const size_t sorted[5] = {4, 1, 0, 3, 2}; /* by name */
		fputs("  \"audit\": {", f);
		for (i = 0; i < 5; i++)
			fprintf(f, "%s\n    \"%s\": %lu", i ? "," : "",
			        daemon_audit_severities[sorted[i]], d->audit_counts[sorted[i]]);
		fputs("\n  },\n", f);
	}
	fputs("  \"certificates\": {", f);
	for (i = 0; i < d->site_count; i++) {
		fputs(i ? ",\n" : "\n", f);
		site_record(&d->sites[d->by_name[i]], &r);
		state_record_json_write(f, &r);
	}
	fputs(d->site_count ? "\n  },\n" : "},\n", f);
	fprintf(f, "  \"pid\": %d,\n  \"started\": ", (int)getpid());
	state_json_put_time(f, 1, d->started);
	if (d->stopping) {
		fputs(",\n  \"stopped\": ", f);
		state_json_put_time(f, 1, now);
	}
	fputs(",\n  \"updated\": ", f);
	state_json_put_time(f, 1, now);
	fputs("\n}", f);
	size = ftell(f);
	if (store_state_stream_commit(out) == 0) {
		d->dirty = 0;
		d->state_json_bytes = size > 0 ? (size_t)size : 0;
	}
}

/* Seconds between two writes of daemon.json, at least: see the top. */
static time_t json_interval(const struct daemon *d)
{
	time_t t = (time_t)(d->state_json_bytes / STATE_JSON_RATE);

	return t > STATE_WRITE_EVERY ? t : STATE_WRITE_EVERY;
}

/* Seconds after which daemon.json is rewritten even when nothing changed. */
static time_t json_max_age(const struct daemon *d)
{
	time_t t = json_interval(d);

	return t > STATE_WRITE_MAX_AGE ? t : STATE_WRITE_MAX_AGE;
}

static int index_pending(const struct daemon *d)
{
	return !d->index_valid || d->changed_count > 0 || audit_changed(d);
}

void daemon_state_write(struct daemon *d, time_t now)
{
	index_write(d, now);
	json_write(d, now);
}

void daemon_state_stop(struct daemon *d, time_t now)
{
	d->stopping = 1;
	index_write(d, now);
	index_beat(d, now, 1);
	json_write(d, now);
}

void daemon_state_tick(struct daemon *d, time_t now)
{
	if (now - d->beat_at >= STATE_HEARTBEAT_EVERY)
		index_beat(d, now, 0);
	if (index_pending(d) && now - d->index_written >= STATE_WRITE_EVERY)
		index_write(d, now);
	if ((d->dirty && now - d->state_written >= json_interval(d)) ||
	    now - d->state_written >= json_max_age(d))
		json_write(d, now);
}

time_t daemon_state_due(const struct daemon *d)
{
	time_t due = d->state_written + json_max_age(d);

	if (d->dirty && d->state_written + json_interval(d) < due)
		due = d->state_written + json_interval(d);
	if (index_pending(d) && d->index_written + STATE_WRITE_EVERY < due)
		due = d->index_written + STATE_WRITE_EVERY;
	if (d->beat_at + STATE_HEARTBEAT_EVERY < due)
		due = d->beat_at + STATE_HEARTBEAT_EVERY;
	return due;
}
