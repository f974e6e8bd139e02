/*
 * caa: may this CA issue for this name?  The decision of RFC 8659 section 4
 * with RFC 8657's account and method binding, as a pure function.
 *
 * holdfast fails over to a backup CA, and a backup that CAA forbids refuses
 * at the worst moment, so the audit (and the daemon, before a failover) ask
 * in advance.  The caller finds the relevant RRset (RFC 8659 section 3: the
 * first non-empty CAA RRset climbing from the name to its parents, the
 * resolver following CNAMEs; caa_check.c does it for the audit) and hands it
 * here with what the CA would check: its issuer domain names (the ACME
 * directory's meta.caaIdentities or caa_identities), the account URL holdfast
 * holds there, and the certificate's challenge type.
 *
 * The rules (RFC 8659 section 4 and RFC 8657):
 *   - no relevant RRset: any CA may issue;
 *   - a record with the critical flag (128) and a tag the CA does not know
 *     (known: issue, issuewild, iodef, contactemail, contactphone) forbids
 *     every CA;
 *   - a wildcard name is governed by the issuewild records when there is at
 *     least one, else by the issue records; other names by issue (issuewild
 *     is ignored for them);
 *   - governing records present: the CA may issue only when one of them
 *     names one of its identities (case-insensitive) and its parameters
 *     allow it: every accounturi equals the account URL (two that differ can
 *     never both match; none is held: no match), and every
 *     validationmethods lists the challenge type; authorizations add up;
 *   - no governing record (only iodef, unknown non-critical tags, or
 *     issuewild for a name that is not a wildcard): not restricted;
 *   - a value that does not follow section 4.2's grammar names no CA, as
 *     an empty value (";") does: it authorizes nobody.
 * Parameters the CA may define beside accounturi and validationmethods are
 * ignored: holdfast cannot know them.
 *
 * A FORBIDDEN decision names the record that decides, for the message: the
 * critical record, else a record naming the CA whose parameters exclude it,
 * else the first governing record.
 */
#ifndef HOLDFAST_AUDIT_CAA_H
#define HOLDFAST_AUDIT_CAA_H

#include <stddef.h>

#define CAA_PARAMS_MAX 16 /* parameters in one issue value; more is malformed */
#define CAA_ISSUER_MAX 254

/* One CAA record of the relevant RRset. */
struct caa_record {
	unsigned int flags;
	const char *tag;
	const char *value;
};

/* What a CA would check. */
struct caa_request {
	int wildcard;                  /* the name is "*.X" (the RRset is X's) */
	const char *const *identities; /* the CA's issuer domain names */
	size_t identity_count;
	const char *account_url; /* holdfast's account at this CA; "" or NULL: none */
	const char *method;      /* "http-01", "dns-01", "tls-alpn-01" */
};

enum caa_verdict { CAA_ALLOWED, CAA_FORBIDDEN };

enum caa_reason {
	CAA_NO_RECORDS,       /* allowed: the relevant RRset is empty */
	CAA_NOT_RESTRICTED,   /* allowed: no record governs this kind of name */
	CAA_AUTHORIZED,       /* allowed: a governing record names the CA */
	CAA_CRITICAL_UNKNOWN, /* forbidden: an unknown tag with the critical flag */
	CAA_NOT_NAMED,        /* forbidden: the governing records name other CAs */
	CAA_NO_ISSUER,        /* forbidden: the deciding record names no CA (";") */
	CAA_MALFORMED,        /* forbidden: the deciding record's value is malformed */
	CAA_ACCOUNT_MISMATCH, /* forbidden: it names the CA, for another account */
	CAA_METHOD_MISMATCH,  /* forbidden: it names the CA, for other methods */
	CAA_REASON_COUNT
};

/* A short English phrase for r ("names other CAs"); "invalid" otherwise. */
const char *caa_reason_text(enum caa_reason r);

struct caa_decision {
	enum caa_verdict verdict;
	enum caa_reason reason;
	size_t record; /* the deciding record's index; (size_t)-1 for CAA_NO_RECORDS /
	                  NOT_RESTRICTED */
};

/* A parsed issue / issuewild value (RFC 8659 section 4.2, RFC 8657). */
struct caa_issue_value {
	char issuer[CAA_ISSUER_MAX]; /* lower case; "" when none */
	size_t param_count;
	struct {
		const char *tag, *value; /* into the parsed text, not terminated */
		size_t tag_len, value_len;
	} params[CAA_PARAMS_MAX];
};

/* Parse value by RFC 8659 section 4.2's grammar (errata 7139: parameters
 * separated by ';').  0 with out filled (pointers into value), or -1 when it
 * does not follow the grammar. */
int caa_issue_value_parse(const char *value, struct caa_issue_value *out);

/* Decide for the CA req describes over the relevant RRset rr[0..n) (n == 0:
 * none).  Pure; always fills out. */
void caa_decide(const struct caa_record *rr, size_t n, const struct caa_request *req,
                struct caa_decision *out);

/* rec as zone-file text, `0 issue "letsencrypt.org"` ('"', '\\' and bytes
 * outside printable ASCII escaped as \\DDD), cut short to fit.  Returns dst. */
char *caa_record_format(const struct caa_record *rec, char *dst, size_t dstlen);

#endif
