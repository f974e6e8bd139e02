/*
 * rdap_internal.h: what the RDAP files share and nothing outside them
 * includes: the error-text helper, the LDH name copy that both the domain
 * parser and the bootstrap parser apply to names from the network, and the
 * size of a parsed bootstrap (for a log line).
 */
#ifndef HOLDFAST_AUDIT_RDAP_INTERNAL_H
#define HOLDFAST_AUDIT_RDAP_INTERNAL_H

#include <stddef.h>

#include "audit/rdap.h"

/* snprintf into err (NULL or errlen 0: nothing); a cut-short reason is fine. */
void rdap_set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Copy an LDH domain name, lower case, without a trailing dot.  -1 when it
 * is empty, too long or holds anything but letters, digits, '-', '_', '.'. */
int rdap_copy_ldh(char *dst, size_t dstlen, const char *src);

/* How many suffixes bs maps. */
size_t rdap_bootstrap_entries(const struct rdap_bootstrap *bs);

#endif
