/*
 * caa: the CAA decision (RFC 8659 section 4, RFC 8657).  See caa.h for the
 * rules; everything here is pure.
 */

#include "audit/caa.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const caa_reason_texts[CAA_REASON_COUNT] = {
    [CAA_NO_RECORDS] = "no CAA records",
    [CAA_NOT_RESTRICTED] = "no record restricts issuance",
    [CAA_AUTHORIZED] = "authorized",
    [CAA_CRITICAL_UNKNOWN] = "an unknown tag marked critical forbids every CA",
    [CAA_NOT_NAMED] = "the records name other CAs",
    [CAA_NO_ISSUER] = "a value without an issuer forbids every CA",
    [CAA_MALFORMED] = "a malformed value authorizes no CA",
    [CAA_ACCOUNT_MISMATCH] = "accounturi is not holdfast's account at this CA",
    [CAA_METHOD_MISMATCH] = "validationmethods does not list the challenge type",
};

const char *caa_reason_text(enum caa_reason r)
{
	if ((unsigned)r >= CAA_REASON_COUNT)
		return "invalid";
	return caa_reason_texts[r];
}

/* ---------------------------------------------------------------- grammar */

static int is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static int is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static const char *skip_wsp(const char *p)
{
	while (is_wsp(*p))
		p++;
	return p;
}

/* label = (ALPHA / DIGIT) *( *("-") (ALPHA / DIGIT)): the length of the
 * label at p, 0 when there is none. */
static size_t label_len(const char *p)
{
	size_t n = 0, last_alnum = 0;

	if (!is_alnum(p[0]))
		return 0;
	while (is_alnum(p[n]) || p[n] == '-') {
		if (is_alnum(p[n]))
			last_alnum = n + 1;
		n++;
	}
	return last_alnum; /* a trailing '-' is not part of the label */
}

/* parameter-value = *(%x21-3A / %x3C-7E) */
static int is_value_char(char c)
{
	unsigned char u = (unsigned char)c;
	return (u >= 0x21 && u <= 0x3a) || (u >= 0x3c && u <= 0x7e);
}

int caa_issue_value_parse(const char *value, struct caa_issue_value *out)
{
	const char *p = skip_wsp(value);
	size_t used = 0, l;

	memset(out, 0, sizeof(*out));
	/* [issuer-domain-name *WSP] */
	if (is_alnum(*p)) {
		for (;;) {
			l = label_len(p);
			if (l == 0 || used + l + 1 >= sizeof(out->issuer))
				return -1;
			for (size_t i = 0; i < l; i++)
				out->issuer[used++] = (char)tolower((unsigned char)p[i]);
			p += l;
			if (*p != '.')
				break;
			out->issuer[used++] = '.';
			p++;
		}
		out->issuer[used] = '\0';
		p = skip_wsp(p);
	}
	if (*p == '\0')
		return 0;
	/* [";" *WSP [parameters *WSP]] */
	if (*p != ';')
		return -1;
	p = skip_wsp(p + 1);
	if (*p == '\0')
		return 0;
	for (;;) {
		const char *tag = p, *val;
		size_t tl = label_len(p), vl = 0;

		if (tl == 0 || out->param_count >= CAA_PARAMS_MAX)
			return -1;
		p = skip_wsp(p + tl);
		if (*p != '=')
			return -1;
		p = skip_wsp(p + 1);
		val = p;
		while (is_value_char(p[vl]))
			vl++;
		p = skip_wsp(p + vl);
		out->params[out->param_count].tag = tag;
		out->params[out->param_count].tag_len = tl;
		out->params[out->param_count].value = val;
		out->params[out->param_count].value_len = vl;
		out->param_count++;
		if (*p == '\0')
			return 0;
		if (*p != ';')
			return -1;
		p = skip_wsp(p + 1); /* another parameter must follow */
	}
}

/* ---------------------------------------------------------------- the decision */

static int tag_is(const char *tag, const char *name)
{
	return strcasecmp(tag, name) == 0; /* RFC 8659 section 4.1: case-insensitive */
}

static int tag_known(const char *tag)
{
	static const char *const known[] = {"issue", "issuewild", "iodef", "contactemail",
	                                    "contactphone"};
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (tag_is(tag, known[i]))
			return 1;
	}
	return 0;
}

static int param_is(const struct caa_issue_value *v, size_t i, const char *name)
{
	return v->params[i].tag_len == strlen(name) &&
	       strncasecmp(v->params[i].tag, name, v->params[i].tag_len) == 0;
}

/* Whether the comma-separated method list (RFC 8657 section 4: label
 * *("," label), label = 1*(ALPHA / DIGIT / "-")) names method. */
static int methods_list(const char *list, size_t len, const char *method)
{
	size_t ml = strlen(method), i = 0;

	while (i <= len) {
		size_t j = i;
		while (j < len && list[j] != ',')
			j++;
		if (j - i == ml && strncmp(list + i, method, ml) == 0)
			return 1;
		i = j + 1;
	}
	return 0;
}

/* How the governing record v (parsed) applies to the CA: CAA_AUTHORIZED,
 * CAA_NOT_NAMED, CAA_NO_ISSUER, CAA_ACCOUNT_MISMATCH or CAA_METHOD_MISMATCH. */
static enum caa_reason record_applies(const struct caa_issue_value *v,
                                      const struct caa_request *req)
{
	const char *acct = req->account_url ? req->account_url : "";
	size_t i;
	int named = 0;

	if (v->issuer[0] == '\0')
		return CAA_NO_ISSUER;
	for (i = 0; i < req->identity_count && !named; i++) {
		const char *id = req->identities[i];
		size_t l = strlen(id);
		if (l > 0 && id[l - 1] == '.')
			l--;
		named = strlen(v->issuer) == l && strncasecmp(v->issuer, id, l) == 0;
	}
	if (!named)
		return CAA_NOT_NAMED;
	for (i = 0; i < v->param_count; i++) {
		/* RFC 8657 section 3: a simple string comparison. */
		if (param_is(v, i, "accounturi") &&
		    (acct[0] == '\0' || v->params[i].value_len != strlen(acct) ||
		     strncmp(v->params[i].value, acct, v->params[i].value_len) != 0))
			return CAA_ACCOUNT_MISMATCH;
	}
	for (i = 0; i < v->param_count; i++) {
		if (param_is(v, i, "validationmethods") &&
		    (req->method == NULL ||
		     !methods_list(v->params[i].value, v->params[i].value_len, req->method)))
			return CAA_METHOD_MISMATCH;
	}
	return CAA_AUTHORIZED;
}

void caa_decide(const struct caa_record *rr, size_t n, const struct caa_request *req,
                struct caa_decision *out)
{
	const char *governing = "issue";
	size_t i, first = (size_t)-1, excluded = (size_t)-1;
	enum caa_reason first_reason = CAA_NOT_NAMED, excluded_reason = CAA_NOT_NAMED;

	out->verdict = CAA_ALLOWED;
	out->reason = CAA_NO_RECORDS;
	out->record = (size_t)-1;
	if (n == 0)
		return;
	for (i = 0; i < n; i++) {
		if ((rr[i].flags & 128) && !tag_known(rr[i].tag)) {
			out->verdict = CAA_FORBIDDEN;
			out->reason = CAA_CRITICAL_UNKNOWN;
			out->record = i;
			return;
		}
	}
	if (req->wildcard) {
		for (i = 0; i < n; i++) {
			if (tag_is(rr[i].tag, "issuewild"))
				governing = "issuewild";
		}
	}
	for (i = 0; i < n; i++) {
		struct caa_issue_value v;
		enum caa_reason r;

		if (!tag_is(rr[i].tag, governing))
			continue;
		r = caa_issue_value_parse(rr[i].value, &v) == 0 ? record_applies(&v, req)
		                                                : CAA_MALFORMED;
		if (r == CAA_AUTHORIZED) {
			out->reason = CAA_AUTHORIZED;
			out->record = i;
			return;
		}
		if (first == (size_t)-1) {
			first = i;
			first_reason = r;
		}
		if (excluded == (size_t)-1 &&
		    (r == CAA_ACCOUNT_MISMATCH || r == CAA_METHOD_MISMATCH)) {
			excluded = i;
			excluded_reason = r;
		}
	}
	if (first == (size_t)-1) {
		out->reason = CAA_NOT_RESTRICTED;
		return;
	}
	out->verdict = CAA_FORBIDDEN;
	out->record = excluded != (size_t)-1 ? excluded : first;
	out->reason = excluded != (size_t)-1 ? excluded_reason : first_reason;
}

char *caa_record_format(const struct caa_record *rec, char *dst, size_t dstlen)
{
	size_t used;
	const unsigned char *p;
	int w;

	if (dstlen == 0)
		return dst;
	w = snprintf(dst, dstlen, "%u %s \"", rec->flags, rec->tag);
	if (w < 0 || (size_t)w >= dstlen)
		return dst; /* cut short by snprintf, still terminated */
	used = (size_t)w;
	for (p = (const unsigned char *)rec->value; *p != '\0'; p++) {
		char esc[5];
		size_t l;
		if (*p == '"' || *p == '\\' || *p < 0x20 || *p > 0x7e)
			l = (size_t)snprintf(esc, sizeof(esc), "\\%03u", *p);
		else {
			esc[0] = (char)*p;
			l = 1;
		}
		if (used + l + 2 > dstlen)
			break;
		memcpy(dst + used, esc, l);
		used += l;
	}
	if (used + 2 <= dstlen)
		dst[used++] = '"';
	dst[used] = '\0';
	return dst;
}
