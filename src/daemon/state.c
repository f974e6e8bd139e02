/*
 * daemon/state: STORE/state/daemon.json, what holdfast status reads.
 */

#include <unistd.h>

#include "daemon/internal.h"
#include "daemon/state_index.h"
#include "util/atomic.h"
#include "util/timeutil.h"

static void state_put_site(FILE *f, const struct site *s)
{
	fputs("    ", f);
	state_json_put_string(f, s->cert->name);
	fprintf(f, ": {\n      \"certificate\": %s,\n", s->have ? "true" : "false");
	fprintf(f, "      \"deploy_failed\": %s,\n", s->deploy_failed ? "true" : "false");
	fprintf(f, "      \"issuing\": %s,\n", s->issuing ? "true" : "false");
	fputs("      \"last_issue_error\": ", f);
	state_json_put_string(f, s->issue_error);
	fputs(",\n      \"last_staple_error\": ", f);
	state_json_put_string(f, s->staple_error);
	fputs(",\n      \"next_issue_check\": ", f);
	state_json_put_time(f, 1, s->issue_next);
	fputs(",\n      \"next_staple_refresh\": ", f);
	state_json_put_time(f, s->responder_count > 0, s->staple_next);
	fprintf(f, ",\n      \"placeholder\": %s,\n", s->have && s->placeholder ? "true" : "false");
	fprintf(f, "      \"staple\": %s,\n", s->staple_ok ? "true" : "false");
	fprintf(f, "      \"staple_failures\": %d,\n", s->staple_failures);
	fputs("      \"staple_next_update\": ", f);
	state_json_put_time(f, s->staple_ok, s->sv.next_update);
	fprintf(f, ",\n      \"staple_status\": \"%s\",\n",
	        staple_cert_status_name(s->staple_ok ? s->sv.status : STAPLE_STATUS_NONE));
	fputs("      \"staple_this_update\": ", f);
	state_json_put_time(f, s->staple_ok, s->sv.this_update);
	fputs("\n    }", f);
}

/*
 * STORE/state/daemon.json for holdfast status: what jansson writes with
 * JSON_INDENT(2) | JSON_SORT_KEYS, streamed to the file instead of built as a
 * tree first (that tree cost ~3 KB per certificate at its peak).
 */
void daemon_state_write(struct daemon *d, time_t now)
{
	struct store_state_stream *out;
	FILE *f;
	size_t i;

	d->state_written = now; /* also after a failure (logged): retried in 2 s */
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
		state_put_site(f, &d->sites[d->by_name[i]]);
	}
	fputs(d->site_count ? "\n  },\n" : "},\n", f);
	fprintf(f, "  \"pid\": %d,\n  \"started\": ", (int)getpid());
	state_json_put_time(f, 1, d->started);
	fputs(",\n  \"updated\": ", f);
	state_json_put_time(f, 1, now);
	fputs("\n}", f);
	if (store_state_stream_commit(out) == 0)
		d->dirty = 0;
}
