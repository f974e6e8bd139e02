/* names: see names.h. */
#include "util/names.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <idn2.h>

int host_normalise(const char *host, char *out, size_t outlen)
{
	char *ascii = NULL;
	size_t n, i, label = 0;
	int rc = -1;

	if (host == NULL || *host == '\0')
		return -1;
	if (idn2_to_ascii_8z(host, &ascii, IDN2_NONTRANSITIONAL) != IDN2_OK) {
		/* Names with '_' (service labels) are not IDNA-valid; plain
		 * ASCII is taken as it is and validated below. */
		for (i = 0; host[i] != '\0'; i++) {
			if ((unsigned char)host[i] >= 0x80)
				return -1;
		}
		ascii = strdup(host);
		if (ascii == NULL)
			return -1;
	}
	n = strlen(ascii);
	if (n > 0 && ascii[n - 1] == '.')
		ascii[--n] = '\0';
	if (n == 0 || n >= outlen || n > 253)
		goto out;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)ascii[i];
		if (c == '.') {
			if (label == 0)
				goto out;
			label = 0;
			continue;
		}
		if (!isalnum(c) && c != '-' && c != '_')
			goto out;
		if (++label > 63)
			goto out;
		out[i] = (char)tolower(c);
	}
	for (i = 0; i < n; i++) {
		if (ascii[i] == '.')
			out[i] = '.';
	}
	out[n] = '\0';
	rc = 0;
out:
	idn2_free(ascii);
	return rc;
}

int host_is_ip(const char *s)
{
	unsigned char probe[16];

	return inet_pton(AF_INET, s, probe) == 1 || inet_pton(AF_INET6, s, probe) == 1;
}

/* 0 when ip (an address literal) is in the text inet_ntop() writes. */
static int ip_canonical(const char *ip, char *why, size_t whylen)
{
	unsigned char bin[16];
	char text[INET6_ADDRSTRLEN];
	int af = strchr(ip, ':') ? AF_INET6 : AF_INET;

	if (inet_pton(af, ip, bin) != 1 || inet_ntop(af, bin, text, sizeof(text)) == NULL) {
		snprintf(why, whylen, "\"%s\" is not an IP address", ip);
		return -1;
	}
	if (strcmp(text, ip) != 0) {
		snprintf(why, whylen, "write the IP address \"%s\" as \"%s\"", ip, text);
		return -1;
	}
	return 0;
}

int host_check(const char *name, unsigned flags, char *why, size_t whylen)
{
	char norm[256];
	const char *p, *label, *start = name;
	size_t dots = 0;

	if ((flags & HOST_WILDCARD) && strncmp(name, "*.", 2) == 0)
		name += 2;
	if (*name == '\0') {
		snprintf(why, whylen, "empty name");
		return -1;
	}
	if (host_is_ip(name)) {
		if (!(flags & HOST_IP) || (flags & HOST_WILDCARD && name != start)) {
			snprintf(why, whylen, "\"%s\" is an IP address, not a host name", name);
			return -1;
		}
		return ip_canonical(name, why, whylen);
	}
	if (host_normalise(name, norm, sizeof(norm)) != 0 || strchr(norm, '_') != NULL) {
		snprintf(why, whylen,
		         "\"%s\" is not a host name (labels of letters, digits and '-', "
		         "separated by dots)",
		         name);
		return -1;
	}
	for (label = p = norm;; p++) {
		if (*p == '.' || *p == '\0') {
			if (*label == '-' || p[-1] == '-') {
				snprintf(why, whylen,
				         "\"%s\": a label may not start or end with '-'", name);
				return -1;
			}
			if (*p == '\0')
				break;
			dots++;
			label = p + 1;
		}
	}
	if (dots == 0) {
		snprintf(why, whylen, "\"%s\" has a single label (not a public host name)", name);
		return -1;
	}
	return 0;
}

int host_port_parse(const char *s, char *host, size_t hostlen, int *port, char *why, size_t whylen)
{
	const char *colon = strrchr(s, ':'), *h = s;
	char *end = NULL;
	size_t n;
	long v;

	if (colon == NULL) {
		snprintf(why, whylen, "expected HOST:PORT, got \"%s\" (no port)", s);
		return -1;
	}
	v = strtol(colon + 1, &end, 10);
	if (end == colon + 1 || *end != '\0' || v < 1 || v > 65535) {
		snprintf(why, whylen, "expected a port from 1 to 65535 in \"%s\"", s);
		return -1;
	}
	n = (size_t)(colon - s);
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		h = s + 1;
		n -= 2;
	} else if (memchr(s, ':', n) != NULL) {
		snprintf(why, whylen, "an IPv6 address needs brackets: [ADDRESS]:PORT");
		return -1;
	}
	if (n == 0 || n >= hostlen) {
		snprintf(why, whylen, "expected HOST:PORT, got \"%s\"", s);
		return -1;
	}
	memcpy(host, h, n);
	host[n] = '\0';
	if (h != s) {
		unsigned char probe[16];
		if (inet_pton(AF_INET6, host, probe) != 1) {
			snprintf(why, whylen, "\"%s\" is not an IPv6 address", host);
			return -1;
		}
	} else if (!host_is_ip(host)) {
		char norm[256];
		if (host_normalise(host, norm, sizeof(norm)) != 0) {
			snprintf(why, whylen, "\"%s\" is not a host name or an address", host);
			return -1;
		}
	}
	*port = (int)v;
	return 0;
}

int dns_server_format(const char *addr, int port, char *out, size_t outlen)
{
	unsigned char probe[16];
	int w;

	if (port <= 0 || port > 65535)
		return -1;
	if (inet_pton(AF_INET, addr, probe) == 1)
		w = snprintf(out, outlen, "%s:%d", addr, port);
	else if (inet_pton(AF_INET6, addr, probe) == 1)
		w = snprintf(out, outlen, "[%s]:%d", addr, port);
	else
		return -1;
	return (w < 0 || (size_t)w >= outlen) ? -1 : 0;
}

int dns_server_parse(const char *spec, char *out, size_t outlen)
{
	char addr[DNS_ADDR_MAX];
	const char *port_s = NULL, *colon;
	size_t n;
	long port = DNS_PORT_DEFAULT;
	char *end = NULL;

	if (spec == NULL)
		return -1;
	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');
		if (close == NULL)
			return -1;
		n = (size_t)(close - spec - 1);
		if (n == 0 || n >= sizeof(addr))
			return -1;
		memcpy(addr, spec + 1, n);
		addr[n] = '\0';
		if (close[1] == ':')
			port_s = close + 2;
		else if (close[1] != '\0')
			return -1;
	} else {
		colon = strchr(spec, ':');
		if (colon != NULL && strchr(colon + 1, ':') == NULL) { /* IPv4:PORT */
			n = (size_t)(colon - spec);
			port_s = colon + 1;
		} else {
			n = strlen(spec); /* IPv4, or a bare IPv6 address */
		}
		if (n == 0 || n >= sizeof(addr))
			return -1;
		memcpy(addr, spec, n);
		addr[n] = '\0';
	}
	if (port_s != NULL) {
		port = strtol(port_s, &end, 10);
		if (end == port_s || *end != '\0')
			return -1;
	}
	return dns_server_format(addr, (int)port, out, outlen);
}
