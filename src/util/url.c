/*
 * url: host extraction from http(s) URLs.  See url.h.
 *
 * RFC 3986 section 3.2: authority = [ userinfo "@" ] host [ ":" port ],
 * ending at the first "/", "?" or "#".  An IPv6 literal is bracketed.
 */

#include "util/url.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

int url_host(const char *url, char *host, size_t hostlen, int with_port, enum url_host_kind *kind)
{
	const char *p, *end, *at, *h, *he, *port = NULL;
	size_t n, i, plen = 0;
	unsigned char probe[16];
	char tmp[256];

	if (url == NULL || hostlen == 0)
		return -1;
	if (strncasecmp(url, "http://", 7) == 0)
		p = url + 7;
	else if (strncasecmp(url, "https://", 8) == 0)
		p = url + 8;
	else
		return -1;
	end = p + strcspn(p, "/?#");
	at = memchr(p, '@', (size_t)(end - p));
	h = at ? at + 1 : p;
	if (h < end && *h == '[') {
		he = memchr(h, ']', (size_t)(end - h));
		if (he == NULL)
			return -1;
		h++;
		if (he + 1 < end && he[1] == ':')
			port = he + 2;
		else if (he + 1 != end)
			return -1;
	} else {
		he = memchr(h, ':', (size_t)(end - h));
		if (he != NULL)
			port = he + 1;
		else
			he = end;
	}
	if (he > h && he[-1] == '.')
		he--; /* "example.com." is example.com */
	n = (size_t)(he - h);
	if (n == 0 || n >= sizeof(tmp))
		return -1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)h[i];
		if (c <= 0x20 || c >= 0x7f || c == '%' || c == '\\')
			return -1;
		tmp[i] = (char)tolower(c);
	}
	tmp[n] = '\0';
	if (port != NULL) {
		plen = (size_t)(end - port);
		for (i = 0; i < plen; i++) {
			if (!isdigit((unsigned char)port[i]))
				return -1;
		}
		if (plen > 5)
			return -1;
	}
	if (kind != NULL)
		*kind =
		    (inet_pton(AF_INET, tmp, probe) == 1 || inet_pton(AF_INET6, tmp, probe) == 1)
		        ? URL_HOST_IP
		        : URL_HOST_NAME;
	if (with_port && plen > 0) {
		int w = snprintf(host, hostlen, "%s:%.*s", tmp, (int)plen, port);
		if (w < 0 || (size_t)w >= hostlen)
			return -1;
	} else {
		if (n >= hostlen)
			return -1;
		memcpy(host, tmp, n + 1);
	}
	return 0;
}

const char *url_redact(const char *text, char *out, size_t outlen)
{
	size_t o = 0;
	const char *p = text;

	if (outlen == 0)
		return out;
	while (*p != '\0' && o + 1 < outlen) {
		const char *sep = strstr(p, "://"), *auth, *end, *at = NULL, *q;
		size_t n;
		if (sep == NULL) {
			n = strlen(p);
			if (n > outlen - 1 - o)
				n = outlen - 1 - o;
			memcpy(out + o, p, n);
			o += n;
			break;
		}
		auth = sep + 3;
		/* The authority ends at '/', '?', '#', white space, a quote or the end. */
		for (end = auth; *end != '\0' && strchr("/?# \t\"'<>", *end) == NULL; end++)
			;
		for (q = auth; q < end; q++)
			if (*q == '@')
				at = q;
		n = (size_t)(auth - p);
		if (n > outlen - 1 - o)
			n = outlen - 1 - o;
		memcpy(out + o, p, n);
		o += n;
		if (at != NULL && o + 1 < outlen) {
			n = strlen(URL_REDACTED);
			if (n > outlen - 1 - o)
				n = outlen - 1 - o;
			memcpy(out + o, URL_REDACTED, n);
			o += n;
			p = at; /* from the '@' on */
		} else {
			p = auth;
		}
	}
	out[o] = '\0';
	return out;
}
