/*
 * names: host names and addresses as a configuration or a command line gives
 * them, checked and normalised.  Pure string work (libidn2 for IDNA, no
 * DNS, no sockets), shared by the configuration (conf/), the audit and the
 * DNS client, so one rule decides what a valid name, DNS server or
 * "HOST:PORT" is, and every module refuses the same inputs.
 */
#ifndef HOLDFAST_UTIL_NAMES_H
#define HOLDFAST_UTIL_NAMES_H

#include <stddef.h>

#define DNS_ADDR_MAX     46 /* INET6_ADDRSTRLEN */
#define DNS_SERVER_MAX   64 /* "[v6]:port" */
#define DNS_PORT_DEFAULT 53

/* host converted to a lower-case A-label without trailing dot (IDNA 2008,
 * libidn2), validated as a DNS name (labels of letters, digits, '-' and
 * '_', 1 to 63 bytes, at most 253 in all).  0 or -1. */
int host_normalise(const char *host, char *out, size_t outlen);

#define HOST_WILDCARD 1u /* a leading "*." is allowed (a certificate name) */
#define HOST_IP       2u /* an IP address literal is allowed (RFC 8738), canonical */

/* 0 when name is a host name a certificate may carry (RFC 1123 / 5890, CA/B
 * rules): host_normalise() accepts it, no '_', no label starts or ends with
 * '-', not an IP address literal, at least two labels; with HOST_WILDCARD
 * also "*." before such a name; with HOST_IP also an IPv4 or IPv6 address
 * in its canonical text (RFC 5952: "2001:db8::1", not "2001:DB8:0::1").
 * Else -1 with the reason in why. */
int host_check(const char *name, unsigned flags, char *why, size_t whylen);

/* 1 when s is an IPv4 or IPv6 address literal (without brackets). */
int host_is_ip(const char *s);

/* "HOST:PORT" or "[IPv6]:PORT" (HOST a name or an IPv4 address, PORT 1 to
 * 65535), as verify_addr takes it: the host into host (brackets removed)
 * and the port into *port.  0, or -1 with the reason in why. */
int host_port_parse(const char *s, char *host, size_t hostlen, int *port, char *why, size_t whylen);

/* Normalise "IP", "IP:PORT", "[IPv6]" or "[IPv6]:PORT" (default port 53) to
 * "IP:PORT" / "[IPv6]:PORT" in out.  Returns 0 or -1. */
int dns_server_parse(const char *spec, char *out, size_t outlen);

/* Same, from an address and port. */
int dns_server_format(const char *addr, int port, char *out, size_t outlen);

#endif
