/*
 * state: what the last audit saw, so that a change is reported even when
 * the new value looks harmless (a registrar change, a lock removed, new name
 * servers: the first signs of a hijack).
 *
 * The state is a JSON object {"version": 1, "domains": {DOMAIN: entry}},
 * each entry audit_state_entry_new()'s facts (rules.h) plus "checked_at".
 * Each audited domain whose RDAP lookup succeeded is compared with its old
 * entry ("changed" WARNINGs) and replaces it; a domain whose lookup failed
 * keeps the old entry, so a passing outage never erases what is known; other
 * domains in the file are kept as they are.  The file is written sorted and
 * indented, whole (storage.c).
 */

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "audit/internal.h"
#include "util/timeutil.h"

void audit_state_update(struct audit_run *run, struct audit_report *r, const char *store,
                        time_t now)
{
	json_t *root = NULL, *domains, *entry;
	char *text = NULL, ts[32];
	size_t i;

	root = audit_store_state_load(store);
	if (root == NULL) {
		root = json_pack("{s:i, s:{}}", "version", 1, "domains");
		if (root == NULL)
			return;
	}
	domains = json_object_get(root, "domains");
	for (i = 0; i < run->domain_count; i++) {
		struct audit_domain *d = run->domains[i];
		if (!d->audited || d->rdap->outcome != RDAP_OK)
			continue; /* no new facts: keep what the last audit saw */
		entry = audit_state_entry_new(&d->rdap->domain);
		if (entry == NULL)
			continue;
		audit_state_compare(r, d->name, json_object_get(domains, d->name), entry,
		                    d->rdap->url);
		json_object_set_new(entry, "checked_at",
		                    json_string(time_format(ts, sizeof(ts), now)));
		json_object_set_new(domains, d->name, entry);
	}
	text = json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS);
	if (text != NULL)
		audit_store_state_save(store, text, strlen(text));
	free(text);
	json_decref(root);
}
