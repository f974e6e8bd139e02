/*
 * dns: c-ares channels per server, and a bounded DNS message parser.
 * See dns.h for the guarantees.
 *
 * Design notes:
 * - Queries are built with ares_create_query() so the RD bit is ours to set
 *   (RD=0 towards authoritative servers), and sent with ares_send() so the
 *   raw answer comes back; the single-server channels carry
 *   ARES_FLAG_NOCHECKRESP, so a SERVFAIL or REFUSED reaches us as such
 *   instead of being turned into "try the next server".  The resolver-set
 *   channel keeps c-ares's failover, which is what it is for.
 * - A channel is made the first time a server is named, and queries beyond
 *   per_server wait in a FIFO in front of it: c-ares would otherwise put
 *   thousands of UDP datagrams on the wire at once and lose some to socket
 *   buffers, which would look like timeouts.
 * - Callbacks run from c-ares inside dns_client_process(); the user's done()
 *   runs there too and may call dns_query() again.
 */

#include "audit/dns.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <ares.h>

#include "util/log.h"
#include "util/names.h"

#define DNS_HEADER_LEN    12
#define DNS_POINTERS_MAX  64 /* compression jumps in one name */
#define DNS_RECORDS_MAX   512
#define DNS_SOCKS_PER_CH  ARES_GETSOCK_MAXNUM
#define DNS_RESOLVER_NAME "resolvers"
#define DNS_CHAIN_MAX     8 /* CNAMEs followed in one answer */

static const char *const dns_outcome_names[DNS_OUTCOME_COUNT] = {
    [DNS_NOERROR] = "noerror",         [DNS_NODATA] = "nodata",
    [DNS_NXDOMAIN] = "nxdomain",       [DNS_SERVFAIL] = "servfail",
    [DNS_REFUSED] = "refused",         [DNS_TIMEOUT] = "timeout",
    [DNS_UNREACHABLE] = "unreachable", [DNS_RCODE] = "rcode",
    [DNS_MALFORMED] = "malformed",     [DNS_ERROR] = "error",
};

const char *dns_outcome_name(enum dns_outcome o)
{
	if ((unsigned)o >= DNS_OUTCOME_COUNT)
		return "invalid";
	return dns_outcome_names[o];
}

/* ---------------------------------------------------------------- parsing */

static unsigned int get16(const unsigned char *p)
{
	return ((unsigned int)p[0] << 8) | p[1];
}

/* Decode the (possibly compressed) name at msg[*off] into dst (lower case,
 * dotted, no trailing dot, "" for the root).  Advances *off past the name in
 * the record.  Bytes that are not LDH become '?'.  -1 when malformed. */
static int read_name(const unsigned char *msg, size_t len, size_t *off, char *dst, size_t dstlen)
{
	size_t pos = *off, out = 0, end_off = 0, total = 0;
	int jumps = 0, jumped = 0;

	for (;;) {
		unsigned int l;
		if (pos >= len)
			return -1;
		l = msg[pos];
		if ((l & 0xc0) == 0xc0) {
			if (pos + 1 >= len || ++jumps > DNS_POINTERS_MAX)
				return -1;
			if (!jumped)
				end_off = pos + 2;
			jumped = 1;
			pos = ((l & 0x3f) << 8) | msg[pos + 1];
			continue;
		}
		if ((l & 0xc0) != 0)
			return -1; /* extended label types (RFC 6891) are not names */
		pos++;
		if (l == 0)
			break;
		total += l + 1;
		if (pos + l > len || total > 255)
			return -1;
		if (out + l + 2 > dstlen)
			return -1;
		if (out > 0)
			dst[out++] = '.';
		for (unsigned int i = 0; i < l; i++) {
			unsigned char c = msg[pos + i];
			dst[out++] = (isalnum(c) || c == '-' || c == '_' || c == '*')
			                 ? (char)tolower(c)
			                 : '?';
		}
		pos += l;
	}
	if (dstlen == 0)
		return -1;
	dst[out] = '\0';
	*off = jumped ? end_off : pos;
	return 0;
}

/* Case-insensitive name comparison ignoring one trailing dot on either. */
static int name_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la > 0 && a[la - 1] == '.')
		la--;
	if (lb > 0 && b[lb - 1] == '.')
		lb--;
	if (la != lb)
		return 0;
	for (size_t i = 0; i < la; i++) {
		if (tolower((unsigned char)a[i]) != tolower((unsigned char)b[i]))
			return 0;
	}
	return 1;
}

static void add_ns(struct dns_reply *r, const char *name)
{
	for (size_t i = 0; i < r->ns_count; i++) {
		if (strcmp(r->ns[i], name) == 0)
			return;
	}
	if (r->ns_count < DNS_REPLY_NS_MAX && name[0] != '\0')
		snprintf(r->ns[r->ns_count++], DNS_NAME_MAX, "%s", name);
}

/* Copy n bytes of CAA text into dst (size dstlen), every byte outside
 * printable ASCII (NUL, controls, DEL, 8-bit) as '?'; 1 when it had to be
 * cut short. */
static int caa_text(char *dst, size_t dstlen, const unsigned char *src, size_t n)
{
	size_t i, keep = n < dstlen ? n : dstlen - 1;

	for (i = 0; i < keep; i++)
		dst[i] = (src[i] < 0x20 || src[i] > 0x7e) ? '?' : (char)src[i];
	dst[keep] = '\0';
	return keep < n;
}

/* Whether name is qname or a CNAME target already followed from it. */
static int in_chain(char (*chain)[DNS_NAME_MAX], size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (name_equal(chain[i], name))
			return 1;
	}
	return 0;
}

int dns_reply_parse(const unsigned char *msg, size_t len, const char *qname, int qtype,
                    struct dns_reply *out)
{
	char chain[DNS_CHAIN_MAX][DNS_NAME_MAX];
	size_t chain_count = 1;
	unsigned int flags, qd, an, ns, ar, i;
	size_t off = DNS_HEADER_LEN;
	char name[DNS_NAME_MAX];
	int answered = 0, auth_ns = 0;

	memset(out, 0, sizeof(*out));
	out->outcome = DNS_MALFORMED;
	if (msg == NULL || len < DNS_HEADER_LEN || strlen(qname) >= DNS_NAME_MAX)
		return -1;
	snprintf(chain[0], DNS_NAME_MAX, "%s", qname);
	flags = get16(msg + 2);
	qd = get16(msg + 4);
	an = get16(msg + 6);
	ns = get16(msg + 8);
	ar = get16(msg + 10);
	if (!(flags & 0x8000) || qd > 1 || an + ns + ar > DNS_RECORDS_MAX)
		return -1;
	out->rcode = (int)(flags & 0x000f);
	out->authoritative = (flags & 0x0400) != 0;
	for (i = 0; i < qd; i++) {
		if (read_name(msg, len, &off, name, sizeof(name)) != 0 || off + 4 > len)
			return -1;
		off += 4;
	}
	for (i = 0; i < an + ns + ar; i++) {
		unsigned int type, rdlen;
		size_t rd;
		int section = i < an ? 0 : (i < an + ns ? 1 : 2);

		if (read_name(msg, len, &off, name, sizeof(name)) != 0 || off + 10 > len)
			return -1;
		type = get16(msg + off);
		rdlen = get16(msg + off + 8);
		rd = off + 10;
		if (rd + rdlen > len)
			return -1;
		off = rd + rdlen;
		if ((type == DNS_TYPE_A && rdlen != 4) || (type == DNS_TYPE_AAAA && rdlen != 16))
			return -1;
		if (type == DNS_TYPE_A || type == DNS_TYPE_AAAA) {
			char addr[DNS_ADDR_MAX];
			if (inet_ntop(type == DNS_TYPE_A ? AF_INET : AF_INET6, msg + rd, addr,
			              sizeof(addr)) == NULL)
				return -1;
			if (section == 0 && (int)type == qtype) {
				answered = 1;
				if (out->addr_count < DNS_REPLY_ADDRS_MAX)
					memcpy(out->addrs[out->addr_count++], addr, sizeof(addr));
			} else if (section == 2 && out->glue_count < DNS_REPLY_GLUE_MAX) {
				memcpy(out->glue[out->glue_count].name, name, sizeof(name));
				memcpy(out->glue[out->glue_count].addr, addr, sizeof(addr));
				out->glue_count++;
			}
		} else if (type == DNS_TYPE_NS) {
			char target[DNS_NAME_MAX];
			size_t p = rd;
			if (read_name(msg, len, &p, target, sizeof(target)) != 0 || p != rd + rdlen)
				return -1;
			if (!name_equal(name, qname) || section == 2)
				continue;
			if (section == 0 && qtype == DNS_TYPE_NS) {
				answered = 1;
				if (auth_ns) { /* an answer beats authority data */
					out->ns_count = 0;
					auth_ns = 0;
				}
				out->ns_referral = 0;
				add_ns(out, target);
			} else if (section == 1 && qtype == DNS_TYPE_NS &&
			           (auth_ns || out->ns_count == 0)) {
				auth_ns = 1;
				out->ns_referral = 1;
				add_ns(out, target);
			}
		} else if (type == DNS_TYPE_CNAME) {
			char target[DNS_NAME_MAX];
			size_t p = rd;
			if (read_name(msg, len, &p, target, sizeof(target)) != 0 || p != rd + rdlen)
				return -1;
			/* A resolver answers for the CNAME's target (RFC 8659 section 3:
			 * the CAA of an alias is its target's). */
			if (section == 0 && qtype == DNS_TYPE_CAA &&
			    in_chain(chain, chain_count, name) &&
			    !in_chain(chain, chain_count, target)) {
				if (chain_count >= DNS_CHAIN_MAX)
					return -1;
				memcpy(chain[chain_count++], target, sizeof(target));
				memcpy(out->cname, target, sizeof(target));
			}
		} else if (type == DNS_TYPE_CAA) {
			struct dns_caa *c;
			unsigned int taglen;
			if (rdlen < 2 || (taglen = msg[rd + 1]) == 0 || 2 + taglen > rdlen)
				return -1; /* RFC 8659 section 4.1: the tag has 1 octet or more */
			if (section != 0 || qtype != DNS_TYPE_CAA ||
			    !in_chain(chain, chain_count, name))
				continue;
			if (out->caa_count >= DNS_REPLY_CAA_MAX)
				return -1; /* keeping some would change what the set means */
			c = &out->caa[out->caa_count++];
			c->flags = msg[rd];
			c->truncated = caa_text(c->tag, sizeof(c->tag), msg + rd + 2, taglen);
			c->truncated |= caa_text(c->value, sizeof(c->value), msg + rd + 2 + taglen,
			                         rdlen - 2 - taglen);
			answered = 1;
		} else if (section == 0 && (int)type == qtype) {
			answered = 1;
		}
	}
	switch (out->rcode) {
	case 0:
		out->outcome = (answered || auth_ns) ? DNS_NOERROR : DNS_NODATA;
		break;
	case 2:
		out->outcome = DNS_SERVFAIL;
		break;
	case 3:
		out->outcome = DNS_NXDOMAIN;
		break;
	case 5:
		out->outcome = DNS_REFUSED;
		break;
	default:
		out->outcome = DNS_RCODE;
		break;
	}
	return 0;
}

size_t dns_system_resolvers(char (*out)[DNS_SERVER_MAX], size_t max)
{
	struct ares_addr_port_node *servers = NULL, *s;
	ares_channel ch = NULL;
	char addr[DNS_ADDR_MAX];
	size_t n = 0;

	if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS)
		return 0;
	if (ares_init(&ch) != ARES_SUCCESS)
		goto out;
	if (ares_get_servers_ports(ch, &servers) == ARES_SUCCESS) {
		for (s = servers; s != NULL && n < max; s = s->next) {
			if (inet_ntop(s->family, &s->addr, addr, sizeof(addr)) == NULL)
				continue;
			if (dns_server_format(addr, s->udp_port ? s->udp_port : DNS_PORT_DEFAULT,
			                      out[n], DNS_SERVER_MAX) == 0)
				n++;
		}
		ares_free_data(servers);
	}
	ares_destroy(ch);
out:
	ares_library_cleanup();
	return n;
}

/* ---------------------------------------------------------------- client */

struct dns_channel;

struct dns_op {
	struct dns_client *dc;
	struct dns_channel *chan;
	unsigned char *qbuf;
	int qlen;
	char name[DNS_NAME_MAX];
	int qtype;
	dns_done_fn done;
	void *arg;
	struct dns_op *next; /* in the channel's wait queue */
};

struct dns_channel {
	char server[DNS_SERVER_MAX]; /* "" for the resolver set */
	ares_channel ch;
	size_t in_flight;
	struct dns_op *head, *tail;
};

struct dns_client {
	struct dns_options opt;
	char *resolver_csv;
	struct dns_channel **chans;
	size_t chan_count, chan_cap;
	size_t pending;
	size_t in_flight; /* sent and not answered, over all channels */
	size_t next_pump; /* round-robin start, so no channel starves */
	int destroying;
	/* fd -> channel for the sockets last handed out by dns_client_fds */
	struct dns_channel **fd_chan;
	size_t fd_cap;
};

void dns_options_default(struct dns_options *opt)
{
	opt->timeout_ms = DNS_TIMEOUT_MS_DEFAULT;
	opt->tries = DNS_TRIES_DEFAULT;
	opt->per_server = DNS_PER_SERVER_DEFAULT;
	opt->in_flight = DNS_IN_FLIGHT_DEFAULT;
}

struct dns_client *dns_client_new(const struct dns_options *opt, char *const *resolvers,
                                  size_t count)
{
	struct dns_client *dc = NULL, *ret = NULL;
	size_t i, len = 1;
	char *p;

	if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) {
		log_error("dns_init_failed", "reason=\"ares_library_init\"");
		return NULL;
	}
	dc = calloc(1, sizeof(*dc));
	if (dc == NULL)
		goto out;
	dc->opt = *opt;
	if (dc->opt.per_server == 0)
		dc->opt.per_server = 1;
	if (dc->opt.in_flight == 0)
		dc->opt.in_flight = 1;
	for (i = 0; i < count; i++)
		len += strlen(resolvers[i]) + 1;
	dc->resolver_csv = calloc(1, len);
	if (dc->resolver_csv == NULL)
		goto out;
	p = dc->resolver_csv;
	for (i = 0; i < count; i++) {
		size_t n = strlen(resolvers[i]);
		if (i > 0)
			*p++ = ',';
		memcpy(p, resolvers[i], n);
		p += n;
	}
	*p = '\0';
	ret = dc;
	dc = NULL;
out:
	if (ret == NULL) {
		log_error("dns_init_failed", "reason=\"out of memory\"");
		ares_library_cleanup();
	}
	free(dc);
	return ret;
}

static void channel_free(struct dns_client *dc, struct dns_channel *c)
{
	struct dns_op *op, *next;

	ares_destroy(c->ch); /* callbacks see ARES_EDESTRUCTION: DNS_ERROR */
	for (op = c->head; op != NULL; op = next) {
		struct dns_reply cancelled;

		next = op->next;
		memset(&cancelled, 0, sizeof(cancelled));
		cancelled.outcome = DNS_ERROR;
		snprintf(cancelled.server, sizeof(cancelled.server), "%s", c->server);
		dc->pending--;
		op->done(&cancelled, op->arg);
		ares_free_string(op->qbuf);
		free(op);
	}
	free(c);
}

void dns_client_free(struct dns_client *dc)
{
	size_t i;

	if (dc == NULL)
		return;
	dc->destroying = 1;
	for (i = 0; i < dc->chan_count; i++)
		channel_free(dc, dc->chans[i]);
	free(dc->chans);
	free(dc->fd_chan);
	free(dc->resolver_csv);
	free(dc);
	ares_library_cleanup();
}

static struct dns_channel *channel_get(struct dns_client *dc, const char *server)
{
	struct ares_options o;
	struct dns_channel *c;
	const char *key = server ? server : "";
	size_t i;
	int rc;

	for (i = 0; i < dc->chan_count; i++) {
		if (strcmp(dc->chans[i]->server, key) == 0)
			return dc->chans[i];
	}
	if (server == NULL && dc->resolver_csv[0] == '\0')
		return NULL;
	if (dc->chan_count == dc->chan_cap) {
		size_t cap = dc->chan_cap ? dc->chan_cap * 2 : 8;
		struct dns_channel **n = realloc(dc->chans, cap * sizeof(*n));
		if (n == NULL)
			return NULL;
		dc->chans = n;
		dc->chan_cap = cap;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	snprintf(c->server, sizeof(c->server), "%s", key);
	memset(&o, 0, sizeof(o));
	o.flags = server != NULL ? ARES_FLAG_NOCHECKRESP : 0;
	o.timeout = dc->opt.timeout_ms;
	o.tries = dc->opt.tries;
	rc = ares_init_options(&c->ch, &o, ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
	if (rc != ARES_SUCCESS) {
		log_error("dns_channel_failed", "server=\"%s\" reason=\"%s\"", key,
		          ares_strerror(rc));
		free(c);
		return NULL;
	}
	rc = ares_set_servers_ports_csv(c->ch, server ? server : dc->resolver_csv);
	if (rc != ARES_SUCCESS) {
		log_error("dns_channel_failed", "server=\"%s\" reason=\"%s\"", key,
		          ares_strerror(rc));
		ares_destroy(c->ch);
		free(c);
		return NULL;
	}
	dc->chans[dc->chan_count++] = c;
	return c;
}

static enum dns_outcome outcome_from_ares(int status)
{
	switch (status) {
	case ARES_ETIMEOUT:
		return DNS_TIMEOUT;
	case ARES_ECONNREFUSED:
		return DNS_UNREACHABLE;
	case ARES_ESERVFAIL:
		return DNS_SERVFAIL;
	case ARES_EREFUSED:
		return DNS_REFUSED;
	case ARES_ENOTFOUND:
		return DNS_NXDOMAIN;
	case ARES_ENODATA:
		return DNS_NODATA;
	case ARES_EBADRESP:
	case ARES_EFORMERR:
		return DNS_MALFORMED;
	case ARES_ENOTIMP:
		return DNS_RCODE;
	default:
		return DNS_ERROR;
	}
}

static void ares_done(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct dns_op *op = arg;
	struct dns_client *dc = op->dc;
	struct dns_reply reply;

	(void)timeouts;
	op->chan->in_flight--;
	dc->in_flight--;
	dc->pending--;
	memset(&reply, 0, sizeof(reply));
	if (status == ARES_SUCCESS && abuf != NULL && alen > 0)
		(void)dns_reply_parse(abuf, (size_t)alen, op->name, op->qtype, &reply);
	else
		reply.outcome = outcome_from_ares(status); /* ARES_EDESTRUCTION: DNS_ERROR */
	snprintf(reply.server, sizeof(reply.server), "%s", op->chan->server);
	log_debug("dns_answer", "server=\"%s\" name=%s type=%d outcome=%s addresses=%zu ns=%zu",
	          op->chan->server[0] ? op->chan->server : DNS_RESOLVER_NAME, op->name, op->qtype,
	          dns_outcome_name(reply.outcome), reply.addr_count, reply.ns_count);
	op->done(&reply, op->arg);
	free(op);
}

/* Send queued queries while the channel has room. */
static void channel_pump(struct dns_client *dc, struct dns_channel *c)
{
	while (c->head != NULL && c->in_flight < dc->opt.per_server &&
	       dc->in_flight < dc->opt.in_flight) {
		struct dns_op *op = c->head;
		unsigned char *qbuf = op->qbuf;

		c->head = op->next;
		if (c->head == NULL)
			c->tail = NULL;
		c->in_flight++;
		dc->in_flight++;
		op->qbuf = NULL;
		/* ares_done() may run (and free op) before ares_send() returns. */
		ares_send(c->ch, qbuf, op->qlen, ares_done, op);
		ares_free_string(qbuf);
	}
}

int dns_query(struct dns_client *dc, const char *server, const char *name, int qtype, int recursion,
              dns_done_fn done, void *arg)
{
	struct dns_channel *c = NULL;
	struct dns_op *op = NULL;
	struct dns_reply fail;
	int ret = -1;

	if (dc->destroying)
		goto out; /* a callback asking again while the client is freed */
	c = channel_get(dc, server);
	if (c == NULL || strlen(name) >= DNS_NAME_MAX)
		goto out;
	op = calloc(1, sizeof(*op));
	if (op == NULL)
		goto out;
	if (ares_create_query(name, 1 /* IN */, qtype, 0, recursion ? 1 : 0, &op->qbuf, &op->qlen,
	                      0) != ARES_SUCCESS)
		goto out;
	op->dc = dc;
	op->chan = c;
	snprintf(op->name, sizeof(op->name), "%s", name);
	op->qtype = qtype;
	op->done = done;
	op->arg = arg;
	if (c->tail != NULL)
		c->tail->next = op;
	else
		c->head = op;
	c->tail = op;
	dc->pending++;
	op = NULL; /* queued: the channel owns it */
	channel_pump(dc, c);
	ret = 0;
out:
	if (ret != 0) {
		free(op);
		memset(&fail, 0, sizeof(fail));
		fail.outcome = DNS_ERROR;
		snprintf(fail.server, sizeof(fail.server), "%s", server ? server : "");
		done(&fail, arg);
	}
	return ret;
}

size_t dns_client_fds(struct dns_client *dc, struct pollfd *fds, size_t max)
{
	ares_socket_t socks[DNS_SOCKS_PER_CH];
	size_t i, n = 0;
	int j, bits;

	for (i = 0; i < dc->chan_count; i++) {
		struct dns_channel *c = dc->chans[i];
		if (c->in_flight == 0)
			continue;
		bits = ares_getsock(c->ch, socks, DNS_SOCKS_PER_CH);
		for (j = 0; j < DNS_SOCKS_PER_CH && n < max; j++) {
			short ev = 0;
			/* c-ares's own macros shift a signed 1 into the sign bit. */
			if (((unsigned int)bits >> j) & 1u)
				ev |= POLLIN;
			if (((unsigned int)bits >> (j + ARES_GETSOCK_MAXNUM)) & 1u)
				ev |= POLLOUT;
			if (ev == 0)
				continue;
			if ((size_t)socks[j] >= dc->fd_cap) {
				size_t cap = (size_t)socks[j] + 64;
				struct dns_channel **m = realloc(dc->fd_chan, cap * sizeof(*m));
				if (m == NULL)
					continue;
				memset(m + dc->fd_cap, 0, (cap - dc->fd_cap) * sizeof(*m));
				dc->fd_chan = m;
				dc->fd_cap = cap;
			}
			dc->fd_chan[socks[j]] = c;
			fds[n].fd = socks[j];
			fds[n].events = ev;
			fds[n].revents = 0;
			n++;
		}
	}
	return n;
}

int dns_client_timeout_ms(struct dns_client *dc)
{
	struct timeval tv, *t;
	long best = -1, ms;
	size_t i;

	for (i = 0; i < dc->chan_count; i++) {
		if (dc->chans[i]->in_flight == 0)
			continue;
		t = ares_timeout(dc->chans[i]->ch, NULL, &tv);
		if (t == NULL)
			continue;
		ms = (long)t->tv_sec * 1000 + (long)t->tv_usec / 1000;
		if (best < 0 || ms < best)
			best = ms;
	}
	return (int)best;
}

void dns_client_process(struct dns_client *dc, const struct pollfd *fds, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct dns_channel *c;
		short r = fds[i].revents;
		if (r == 0 || fds[i].fd < 0 || (size_t)fds[i].fd >= dc->fd_cap)
			continue;
		c = dc->fd_chan[fds[i].fd];
		if (c == NULL)
			continue;
		ares_process_fd(c->ch,
		                (r & (POLLIN | POLLERR | POLLHUP)) ? fds[i].fd : ARES_SOCKET_BAD,
		                (r & POLLOUT) ? fds[i].fd : ARES_SOCKET_BAD);
	}
	/* Timeouts, then whatever the freed slots allow.  Channels may be added
	 * by callbacks, so the count is read on every round. */
	for (i = 0; i < dc->chan_count; i++) {
		if (dc->chans[i]->in_flight > 0)
			ares_process_fd(dc->chans[i]->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	}
	for (i = 0; i < dc->chan_count; i++)
		channel_pump(dc, dc->chans[(dc->next_pump + i) % dc->chan_count]);
	if (dc->chan_count > 0)
		dc->next_pump = (dc->next_pump + 1) % dc->chan_count;
}

size_t dns_client_pending(const struct dns_client *dc)
{
	return dc->pending;
}
