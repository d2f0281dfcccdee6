/*
 * hosts: where to connect.  A route (posthorn-routes(5)) names one host;
 * otherwise the domain's MX records in preference order, hosts of equal
 * preference shuffled (RFC 5321 5.1), each host's IPv6 then IPv4
 * addresses.  No MX record: the domain's own addresses (the implicit MX).
 * A single MX of "." is a null MX (RFC 7505): the domain takes no mail.
 * DNS comes from libowfat (djbdns's resolver): $DNSCACHEIP, else the
 * nameservers of /etc/resolv.conf.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <dns.h>
#include <ip4.h>
#include <ip6.h>
#include "addr.h"
#include "log.h"
#include "remote.h"

_Static_assert(ROUTES_HOST_MAX >= ADDR_DOMAIN_MAX, "a checked domain fits struct host's name");

struct mx {
	unsigned pref;
	unsigned rnd;
	char name[ROUTES_HOST_MAX + 1];
};

static int cmp_mx(const void *a, const void *b)
{
	const struct mx *x = a, *y = b;
	if (x->pref != y->pref) return x->pref < y->pref ? -1 : 1;
	return x->rnd < y->rnd ? -1 : x->rnd > y->rnd;
}

/* Adds name's addresses.  Returns the number added, or -1 on a temporary
 * DNS failure.  name is a route host, an MX name (both ROUTES_HOST_MAX at
 * most) or the domain, which main checked (ADDR_DOMAIN_MAX, the same 255):
 * it fits struct host's name. */
static int add_addrs(const char *name, unsigned port, struct host *hosts, unsigned *n, unsigned max)
{
	stralloc fqdn = {0}, out = {0};
	size_t i;
	int added = 0, failed = 0;

	if (!stralloc_copys(&fqdn, name)) return -1;
	if (dns_ip6(&out, &fqdn) < 0) failed = 1;
	else
		for (i = 0; i + 16 <= out.len && *n < max; i += 16) {
			/* libowfat maps IPv4 answers into ::ffff:0:0/96; those come
			 * again from dns_ip4 below. */
			if (ip6_isv4mapped(out.s + i)) continue;
			memset(&hosts[*n], 0, sizeof hosts[*n]);
			strcpy(hosts[*n].name, name);   /* fits: see above */
			hosts[*n].v6 = 1;
			memcpy(hosts[*n].ip, out.s + i, 16);
			hosts[*n].port = port;
			(*n)++;
			added++;
		}
	if (dns_ip4(&out, &fqdn) < 0) failed = 1;
	else
		for (i = 0; i + 4 <= out.len && *n < max; i += 4) {
			memset(&hosts[*n], 0, sizeof hosts[*n]);
			strcpy(hosts[*n].name, name);   /* fits: see above */
			memcpy(hosts[*n].ip, out.s + i, 4);
			hosts[*n].port = port;
			(*n)++;
			added++;
		}
	stralloc_free(&fqdn);
	stralloc_free(&out);
	return added ? added : failed ? -1 : 0;
}

static unsigned from_route(struct remote *m, struct host *hosts, unsigned max)
{
	const struct route *r = &m->route;
	unsigned n = 0;
	int got;

	if (r->literal) {
		memset(&hosts[0], 0, sizeof hosts[0]);
		strcpy(hosts[0].name, r->host);   /* fits: the same size */
		hosts[0].port = r->port;
		if (scan_ip4(r->host, hosts[0].ip) == strlen(r->host) && strlen(r->host)) return 1;
		if (scan_ip6(r->host, hosts[0].ip) == strlen(r->host) && strlen(r->host)) {
			hosts[0].v6 = 1;
			return 1;
		}
		remote_status_open(m, ST_ROUTE_NOT_IP, r->host);
		return 0;
	}
	got = add_addrs(r->host, r->port, hosts, &n, max);
	if (got <= 0) {
		remote_status_open(m, got < 0 ? ST_ROUTE_DNS : ST_ROUTE_NO_ADDRESS,
		                r->host);
		return 0;
	}
	return n;
}

unsigned hosts_find(struct remote *m, struct host *hosts, unsigned max)
{
	stralloc fqdn = {0}, out = {0};
	struct mx mx[HOSTS_MAX];
	unsigned nmx = 0, n = 0, i;
	size_t pos;
	int any_temp = 0, r;

	if (m->have_route) return from_route(m, hosts, max);
	if (!stralloc_copys(&fqdn, m->domain)) return 0;
	if (dns_mx(&out, &fqdn) < 0) {
		remote_status_open(m, ST_DNS_MX, m->domain);
		return 0;
	}
	for (pos = 0; pos + 2 < out.len && nmx < HOSTS_MAX;) {
		size_t nl = strlen(out.s + pos + 2);
		if (nl <= ROUTES_HOST_MAX) {
			mx[nmx].pref = ((unsigned char)out.s[pos] << 8) | (unsigned char)out.s[pos + 1];
			mx[nmx].rnd = dns_random(65536);
			memcpy(mx[nmx].name, out.s + pos + 2, nl + 1);
			nmx++;
		}
		pos += 2 + nl + 1;
	}
	if (nmx == 1 && (!mx[0].name[0] || !strcmp(mx[0].name, "."))) {
		remote_status_open(m, ST_NULL_MX, m->domain);
		return 0;
	}
	if (nmx == 0) {
		/* RFC 5321 5.1: no MX, so the domain itself is the host. */
		r = add_addrs(m->domain, m->port, hosts, &n, max);
		if (r < 0) remote_status_open(m, ST_DNS_ADDRESS, m->domain);
		else if (r == 0) remote_status_open(m, ST_NO_MAIL_SERVER, m->domain);
		stralloc_free(&fqdn);
		stralloc_free(&out);
		return n;
	}
	qsort(mx, nmx, sizeof *mx, cmp_mx);
	for (i = 0; i < nmx && n < max; i++) {
		r = add_addrs(mx[i].name, m->port, hosts, &n, max);
		if (r < 0) any_temp = 1;
		if (r <= 0) log_event("mx", "domain", m->domain, "host", mx[i].name, "error", r < 0 ? "DNS failure" : "no address", (char *)0);
	}
	if (!n) remote_status_open(m, any_temp ? ST_DNS_EVERY_MX : ST_MX_NO_ADDRESS,
	                        m->domain);
	stralloc_free(&fqdn);
	stralloc_free(&out);
	return n;
}
