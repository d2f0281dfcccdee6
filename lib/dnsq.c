/*
 * dnsq: bounded DNS questions on libowfat's dns_transmit (see dnsq.h).
 *
 * A query goes out with dns_transmit_start and is driven with iopause,
 * dns_transmit_io and dns_transmit_get until it is answered or the
 * deadline passes; libowfat picks the server, retries over UDP, switches
 * to TCP on a truncated answer, and drops answers that do not repeat the
 * question or whose RCODE is SERVFAIL/NOTIMP/REFUSED (it tries the next
 * server; with none left dns_transmit_get fails: TEMP).  The packet it
 * keeps is parsed here, not by dns_*_packet.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <dns.h>
#include <iopause.h>
#include <poll.h>
#include <taia.h>
#include "dnsq.h"

unsigned long dnsq_sent;
static unsigned timeout_ms = DNSQ_TIMEOUT_DEFAULT;

void dnsq_timeout(unsigned ms)
{
	timeout_ms = ms ? ms : DNSQ_TIMEOUT_DEFAULT;
}

static const char qtypes[][2] = {
	[DNSQ_A] = {0, 1}, [DNSQ_AAAA] = {0, 28}, [DNSQ_MX] = {0, 15},
	[DNSQ_PTR] = {0, 12}, [DNSQ_TXT] = {0, 16},
};
#define T_CNAME 5

/* ---- the packet ---- */

/* A name in wire form, at most 255 bytes with the root label (RFC 1035
 * 3.1). */
struct wname {
	unsigned len;
	unsigned char b[255];
};

static int lc(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

/* DNS names compare without regard to ASCII case (RFC 4343). */
static int wname_eq(const struct wname *a, const struct wname *b)
{
	unsigned i;
	if (a->len != b->len) return 0;
	for (i = 0; i < a->len; i++)
		if (lc(a->b[i]) != lc(b->b[i])) return 0;
	return 1;
}

/* Reads the (possibly compressed, RFC 1035 4.1.4) name at pos, not past
 * end.  Returns the position after it in the record, or 0 when it is
 * malformed: out of bounds, over 255 bytes, an unknown label type, or more
 * than 32 pointers (which is how a pointer loop ends). */
static size_t get_name(const unsigned char *p, size_t end, size_t pos, struct wname *n)
{
	size_t after = 0;
	unsigned jumps = 0;

	n->len = 0;
	for (;;) {
		unsigned c;
		if (pos >= end) return 0;
		c = p[pos];
		if (c >= 0xc0) {
			if (pos + 1 >= end || ++jumps > 32) return 0;
			if (!after) after = pos + 2;
			pos = ((size_t)(c & 0x3f) << 8) | p[pos + 1];
			continue;
		}
		if (c >= 0x40) return 0;   /* extended label types (RFC 6891 5) */
		if (pos + 1 + c > end || n->len + 1 + c > sizeof n->b) return 0;
		memcpy(n->b + n->len, p + pos, 1 + c);
		n->len += 1 + c;
		pos += 1 + c;
		if (!c) return after ? after : pos;
	}
}

/* Writes name as text (see dnsq.h) to out, which has room for 4 * 255
 * bytes; returns the length. */
static size_t name_text(const struct wname *n, char *out)
{
	size_t o = 0, i = 0;

	while (i < n->len && n->b[i]) {
		unsigned c = n->b[i++], k;
		if (o) out[o++] = '.';
		for (k = 0; k < c; k++, i++) {
			unsigned char ch = n->b[i];
			if (ch > ' ' && ch < 127 && ch != '.' && ch != '\\')
				out[o++] = (char)ch;
			else {
				out[o++] = '\\';
				out[o++] = (char)('0' + ch / 100);
				out[o++] = (char)('0' + ch / 10 % 10);
				out[o++] = (char)('0' + ch % 10);
			}
		}
	}
	return o;
}

/* Reserves room for one record of len bytes; null (overflow set) when
 * there is none. */
static char *add_rr(struct dnsq_answer *a, size_t len, unsigned pref)
{
	char *at;
	if (a->n >= DNSQ_RRS_MAX || len > DNSQ_BYTES_MAX - a->used) {
		a->overflow = 1;
		return 0;
	}
	at = a->buf + a->used;
	a->rr[a->n].off = (unsigned)a->used;
	a->rr[a->n].len = (unsigned)len;
	a->rr[a->n].pref = pref;
	a->used += len;
	a->n++;
	return at;
}

/* One record's data, rdata[0..rdlen) at offset pos of the packet.  0, or
 * -1 when it is malformed (the whole answer is then TEMP). */
static int take(struct dnsq_answer *a, enum dnsq_type type, const unsigned char *p, size_t pos, size_t rdlen)
{
	struct wname n;
	char text[4 * 255];
	size_t end = pos + rdlen, i, total, kept, at, tl;
	unsigned pref = 0;
	char *dst;

	switch (type) {
	case DNSQ_A:
	case DNSQ_AAAA:
		if (rdlen != (type == DNSQ_A ? 4u : 16u)) return -1;
		if ((dst = add_rr(a, rdlen, 0))) memcpy(dst, p + pos, rdlen);
		return 0;
	case DNSQ_MX:
		if (rdlen < 3) return -1;
		pref = ((unsigned)p[pos] << 8) | p[pos + 1];
		pos += 2;
		/* fall through */
	case DNSQ_PTR:
		/* The name must end inside the record; a pointer may go anywhere
		 * in the packet before it. */
		if (get_name(p, end, pos, &n) != end) return -1;
		tl = name_text(&n, text);
		if ((dst = add_rr(a, tl, pref))) memcpy(dst, text, tl);
		return 0;
	case DNSQ_TXT:
		/* One or more character-strings (RFC 1035 3.3.14), each a length
		 * byte and that many bytes, exactly filling the record. */
		if (!rdlen) return -1;
		for (i = pos, total = 0; i < end; i += 1 + p[i]) total += p[i];
		if (i != end) return -1;
		kept = total > DNSQ_TXT_MAX ? DNSQ_TXT_MAX + 1 : total;
		if (!(dst = add_rr(a, kept, 0))) return 0;
		for (i = pos, at = 0; i < end && at < kept; i += 1 + p[i]) {
			size_t k, c = p[i];
			if (c > kept - at) c = kept - at;
			for (k = 0; k < c; k++)
				dst[at++] = p[i + 1 + k] ? (char)p[i + 1 + k] : '?';
		}
		return 0;
	}
	return -1;
}

/* The answer section, walked once per call: each record's owner, type,
 * class and data.  Returns the number of records, or -1 when one is out
 * of bounds. */
struct rrinfo {
	struct wname owner;
	unsigned type, class;
	size_t pos, rdlen;
};
static int rr_at(const unsigned char *p, size_t len, size_t *pos, struct rrinfo *r)
{
	size_t at = get_name(p, len, *pos, &r->owner);
	if (!at || at + 10 > len) return -1;
	r->type = ((unsigned)p[at] << 8) | p[at + 1];
	r->class = ((unsigned)p[at + 2] << 8) | p[at + 3];
	r->rdlen = ((size_t)p[at + 8] << 8) | p[at + 9];
	r->pos = at + 10;
	if (r->rdlen > len - r->pos) return -1;
	*pos = r->pos + r->rdlen;
	return 0;
}

static int in_chain(const struct wname *chain, unsigned n, const struct wname *x)
{
	unsigned i;
	for (i = 0; i < n; i++)
		if (wname_eq(&chain[i], x)) return 1;
	return 0;
}

static enum dnsq_rc set_rc(struct dnsq_answer *a, enum dnsq_rc rc)
{
	if (rc != DNSQ_OK) {
		a->n = 0;
		a->used = 0;
		a->overflow = 0;
	} else if (!a->n && !a->overflow)
		rc = DNSQ_NODATA;
	return a->rc = rc;
}

enum dnsq_rc dnsq_parse(const char *pkt, size_t len, enum dnsq_type type, struct dnsq_answer *out)
{
	const unsigned char *p = (const unsigned char *)pkt;
	struct wname chain[DNSQ_CHAIN_MAX];
	struct rrinfo r;
	unsigned nchain = 1, an, i, pass, changed;
	size_t pos, start;

	out->n = 0;
	out->used = 0;
	out->overflow = 0;
	/* Header (RFC 1035 4.1.1): a response (QR), standard query, not
	 * truncated (libowfat goes over TCP then), one question. */
	if (len < 12 || (unsigned)type > DNSQ_TXT) return set_rc(out, DNSQ_TEMP);
	if (!(p[2] & 0x80) || (p[2] & 0x78) || (p[2] & 0x02)) return set_rc(out, DNSQ_TEMP);
	if (p[4] != 0 || p[5] != 1) return set_rc(out, DNSQ_TEMP);
	an = ((unsigned)p[6] << 8) | p[7];
	pos = get_name(p, len, 12, &chain[0]);
	if (!pos || pos + 4 > len || memcmp(p + pos, qtypes[type], 2) || p[pos + 2] || p[pos + 3] != 1)
		return set_rc(out, DNSQ_TEMP);
	pos += 4;
	switch (p[3] & 0x0f) {
	case 0: break;
	case 3: return set_rc(out, DNSQ_NXDOMAIN);   /* for the end of any CNAME chain (RFC 6604) */
	default: return set_rc(out, DNSQ_TEMP);
	}
	start = pos;

	/* The names whose records answer: the question's, and the CNAME
	 * targets reached from it, in whatever order the CNAMEs come.  Each
	 * pass that adds no name ends the search. */
	for (pass = 0, changed = 1; changed && pass < DNSQ_CHAIN_MAX; pass++) {
		changed = 0;
		for (pos = start, i = 0; i < an; i++) {
			if (rr_at(p, len, &pos, &r) < 0) return set_rc(out, DNSQ_TEMP);
			if (r.type != T_CNAME || r.class != 1 || !in_chain(chain, nchain, &r.owner)) continue;
			if (nchain == DNSQ_CHAIN_MAX) continue;
			if (get_name(p, r.pos + r.rdlen, r.pos, &chain[nchain]) != r.pos + r.rdlen)
				return set_rc(out, DNSQ_TEMP);
			if (!in_chain(chain, nchain, &chain[nchain])) {
				nchain++;
				changed = 1;
			}
		}
	}
	for (pos = start, i = 0; i < an; i++) {
		if (rr_at(p, len, &pos, &r) < 0) return set_rc(out, DNSQ_TEMP);
		if (r.class != 1 || r.type != (unsigned char)qtypes[type][1]) continue;
		if (!in_chain(chain, nchain, &r.owner)) continue;
		if (take(out, type, p, r.pos, r.rdlen) < 0) return set_rc(out, DNSQ_TEMP);
	}
	return set_rc(out, DNSQ_OK);
}

/* ---- the question ---- */

/* name (text, a final dot allowed) in wire form; -1 when it cannot be a
 * DNS name: empty, an empty label, a label over 63 bytes, over 253. */
static int to_wire(const char *name, struct wname *w)
{
	size_t len = strlen(name), i, lab = 0;

	if (len && name[len - 1] == '.') len--;
	if (!len || len > DNSQ_NAME_MAX) return -1;
	w->len = 0;
	for (i = 0; i <= len; i++) {
		if (i < len && name[i] != '.') continue;
		if (i == lab || i - lab > 63) return -1;
		w->b[w->len++] = (unsigned char)(i - lab);
		memcpy(w->b + w->len, name + lab, i - lab);
		w->len += (unsigned)(i - lab);
		lab = i + 1;
	}
	w->b[w->len++] = 0;
	return 0;
}

/* ---- the cache ---- */

struct centry {
	int used;
	enum dnsq_type type;
	struct wname name;
	time_t when;
	enum dnsq_rc rc;
	unsigned n;
	int overflow;
	size_t bytes;
	struct dnsq_rr *rr;
	char *buf;
};
static struct centry cache[DNSQ_CACHE_MAX];

void dnsq_cache_clear(void)
{
	unsigned i;
	for (i = 0; i < DNSQ_CACHE_MAX; i++) {
		free(cache[i].rr);
		free(cache[i].buf);
		memset(&cache[i], 0, sizeof cache[i]);
	}
}

static int cache_get(enum dnsq_type type, const struct wname *w, struct dnsq_answer *a)
{
	time_t now = time(0);
	unsigned i;

	for (i = 0; i < DNSQ_CACHE_MAX; i++) {
		struct centry *e = &cache[i];
		if (!e->used || e->type != type || !wname_eq(&e->name, w)) continue;
		/* A clock set back counts as old too. */
		if (now < e->when || now - e->when >= DNSQ_CACHE_SECONDS) return 0;
		a->rc = e->rc;
		a->n = e->n;
		a->overflow = e->overflow;
		a->used = e->bytes;
		if (e->n) memcpy(a->rr, e->rr, e->n * sizeof *e->rr);
		if (e->bytes) memcpy(a->buf, e->buf, e->bytes);
		return 1;
	}
	return 0;
}

/* Keeps a copy in the free or the oldest slot; out of memory: not kept. */
static void cache_put(enum dnsq_type type, const struct wname *w, const struct dnsq_answer *a)
{
	struct centry *e = 0;
	unsigned i;

	if (a->rc == DNSQ_TEMP) return;
	for (i = 0; i < DNSQ_CACHE_MAX; i++) {
		struct centry *c = &cache[i];
		if (c->used && c->type == type && wname_eq(&c->name, w)) { e = c; break; }
		if (!e || (e->used && (!c->used || c->when < e->when))) e = c;
	}
	free(e->rr);
	free(e->buf);
	memset(e, 0, sizeof *e);
	if (a->n && !(e->rr = malloc(a->n * sizeof *a->rr))) return;
	if (a->used && !(e->buf = malloc(a->used))) {
		free(e->rr);
		e->rr = 0;
		return;
	}
	if (a->n) memcpy(e->rr, a->rr, a->n * sizeof *a->rr);
	if (a->used) memcpy(e->buf, a->buf, a->used);
	e->type = type;
	e->name = *w;
	e->when = time(0);
	e->rc = a->rc;
	e->n = a->n;
	e->overflow = a->overflow;
	e->bytes = a->used;
	e->used = 1;
}

/* ---- on the wire ---- */

static void set_temp(struct dnsq_answer *a)
{
	a->n = 0;
	a->used = 0;
	a->overflow = 0;
	a->rc = DNSQ_TEMP;
}

static void random_init(void)
{
	static int done;
	char seed[128];
	struct taia now;

	if (done) return;
	/* The query IDs and source ports must be hard to guess (RFC 5452);
	 * libowfat mixes the seed with the time and the pid. */
	memset(seed, 0, sizeof seed);
	taia_now(&now);
	taia_pack(seed, &now);
	dns_random_init(seed);
	done = 1;
}

/* At most DNSQ_PARALLEL_MAX questions not in the cache, one deadline. */
static void ask_group(struct dnsq_req *q, const struct wname *w, unsigned n)
{
	struct dns_transmit tx[DNSQ_PARALLEL_MAX];
	iopause_fd x[DNSQ_PARALLEL_MAX];
	unsigned idx[DNSQ_PARALLEL_MAX];
	int pending[DNSQ_PARALLEL_MAX];
	unsigned refused[DNSQ_PARALLEL_MAX], nservers = 0;
	char servers[256];
	static const char anyip[16];
	struct taia now, deadline, wake;
	unsigned i, k, nx, left = 0;

	memset(tx, 0, sizeof tx);
	random_init();
	if (dns_resolvconfip(servers) < 0) {
		for (i = 0; i < n; i++) set_temp(q[i].ans);
		return;
	}
	/* servers[] holds 16 addresses of 16 bytes; unused ones are zero */
	for (i = 0; i < 16; i++) {
		static const char zero[16];
		if (memcmp(servers + 16 * i, zero, 16)) nservers++;
	}
	for (i = 0; i < n; i++) {
		pending[i] = 0;
		refused[i] = 0;
		if (dns_transmit_start(&tx[i], servers, 1, (const char *)w[i].b, qtypes[q[i].type], anyip) < 0) {
			set_temp(q[i].ans);
			continue;
		}
		dnsq_sent++;
		pending[i] = 1;
		left++;
	}
	taia_now(&now);
	/* taia has no call for milliseconds: the fraction goes in by hand. */
	taia_uint(&deadline, timeout_ms / 1000);
	deadline.nano = (timeout_ms % 1000) * 1000000u;
	taia_add(&deadline, &deadline, &now);
	while (left) {
		if (!taia_less(&now, &deadline)) break;
		wake = deadline;
		for (i = 0, nx = 0; i < n; i++)
			if (pending[i]) {
				/* Lowers wake to the query's own retry time. */
				dns_transmit_io(&tx[i], &x[nx], &wake);
				idx[nx++] = i;
			}
		iopause(x, nx, &wake, &now);
		taia_now(&now);
		for (k = 0; k < nx; k++) {
			int r;
			i = idx[k];
			/* A server that refuses (ICMP port unreachable: nothing
			 * listens) is not asked again in this round, but libowfat
			 * would wait out the round's timer before the next one:
			 * once every server has refused, the answer is "try later"
			 * at once, not at the deadline. */
			if (x[k].revents & POLLERR) refused[i]++;
			r = dns_transmit_get(&tx[i], &x[k], &now);
			if (r == 0 && nservers && refused[i] >= nservers) r = -1;
			if (r == 0) continue;
			if (r < 0) set_temp(q[i].ans);
			else dnsq_parse(tx[i].packet, tx[i].packetlen, q[i].type, q[i].ans);
			if (r > 0) cache_put(q[i].type, &w[i], q[i].ans);
			pending[i] = 0;
		}
		for (i = 0, left = 0; i < n; i++) left += (unsigned)pending[i];
	}
	for (i = 0; i < n; i++) {
		if (pending[i]) set_temp(q[i].ans);   /* the deadline passed */
		dns_transmit_free(&tx[i]);
	}
}

void dnsq_many(struct dnsq_req *q, unsigned n)
{
	struct dnsq_req ask[DNSQ_PARALLEL_MAX];
	struct wname w[DNSQ_PARALLEL_MAX];
	unsigned i, k = 0;

	for (i = 0; i < n; i++) {
		struct wname name;
		if (to_wire(q[i].name, &name) < 0) {
			set_rc(q[i].ans, DNSQ_NXDOMAIN);
			continue;
		}
		if (cache_get(q[i].type, &name, q[i].ans)) continue;
		ask[k] = q[i];
		w[k++] = name;
		if (k == DNSQ_PARALLEL_MAX) {
			ask_group(ask, w, k);
			k = 0;
		}
	}
	if (k) ask_group(ask, w, k);
}

enum dnsq_rc dnsq_query(enum dnsq_type type, const char *name, struct dnsq_answer *out)
{
	struct dnsq_req q = { type, name, out };
	dnsq_many(&q, 1);
	return out->rc;
}

/* ---- the adapters ---- */

static enum spf_dns spf_lookup(void *ctx, enum spf_rrtype type, const char *name, struct spf_answer *out)
{
	static const enum dnsq_type map[] = {
		[SPF_RR_A] = DNSQ_A, [SPF_RR_AAAA] = DNSQ_AAAA, [SPF_RR_MX] = DNSQ_MX,
		[SPF_RR_PTR] = DNSQ_PTR, [SPF_RR_TXT] = DNSQ_TXT,
	};
	struct dnsq_answer *a;
	enum spf_dns rc;
	unsigned i;

	if ((unsigned)type >= sizeof map / sizeof *map) return SPF_DNS_TEMP;
	/* 17 KiB: on the heap, SPF's include chain already takes 100 KiB of stack. */
	if (!(a = malloc(sizeof *a))) return SPF_DNS_TEMP;
	switch (dnsq_query(map[type], name, a)) {
	case DNSQ_OK: rc = SPF_DNS_OK; break;
	case DNSQ_NODATA: rc = SPF_DNS_NODATA; break;
	case DNSQ_NXDOMAIN: rc = SPF_DNS_NXDOMAIN; break;
	default: rc = SPF_DNS_TEMP; break;
	}
	for (i = 0; i < a->n; i++)
		if (!spf_answer_add(out, a->buf + a->rr[i].off, a->rr[i].len)) break;
	if (a->overflow) out->overflow = 1;
	free(a);
	return rc;
}
const struct spf_resolver dnsq_spf = { 0, spf_lookup };

/* Appends every record of a TXT answer, each followed by a NUL.  The rc,
 * or DNSQ_TEMP when out of memory. */
static enum dnsq_rc txt_records(stralloc *out, const char *name)
{
	struct dnsq_answer *a = malloc(sizeof *a);
	enum dnsq_rc rc;
	unsigned i;

	if (!a) return DNSQ_TEMP;
	rc = dnsq_query(DNSQ_TXT, name, a);
	for (i = 0; i < a->n; i++)
		if (!stralloc_catb(out, a->buf + a->rr[i].off, a->rr[i].len) || !stralloc_0(out)) {
			rc = DNSQ_TEMP;
			break;
		}
	free(a);
	return rc;
}

static int dkim_txt(void *ctx, const char *name, stralloc *out)
{
	switch (txt_records(out, name)) {
	case DNSQ_OK: case DNSQ_NODATA: return DKIM_DNS_OK;
	case DNSQ_NXDOMAIN: return DKIM_DNS_NONE;
	default: return DKIM_DNS_TEMP;
	}
}
const struct dkim_dns dnsq_dkim = { dkim_txt, 0 };

static int dmarc_txt(void *ctx, stralloc *out, const char *name)
{
	if (!stralloc_copys(out, "")) return -1;
	return txt_records(out, name) == DNSQ_TEMP ? -1 : 0;
}

/* RFC 9091 2.1: a domain exists for np= when it has an A, AAAA or MX
 * record; the three questions go out together. */
static int dmarc_exists(void *ctx, const char *domain)
{
	struct dnsq_answer *a = malloc(3 * sizeof *a);
	struct dnsq_req q[3];
	int temp = 0, found = 0;
	unsigned i;

	if (!a) return -1;
	q[0] = (struct dnsq_req){ DNSQ_A, domain, &a[0] };
	q[1] = (struct dnsq_req){ DNSQ_AAAA, domain, &a[1] };
	q[2] = (struct dnsq_req){ DNSQ_MX, domain, &a[2] };
	dnsq_many(q, 3);
	for (i = 0; i < 3; i++) {
		if (a[i].rc == DNSQ_OK) found = 1;
		if (a[i].rc == DNSQ_TEMP) temp = 1;
	}
	free(a);
	return found ? 1 : temp ? -1 : 0;
}
const struct dmarc_dns dnsq_dmarc = { 0, dmarc_txt, dmarc_exists };

/* Every record of the answer joined: A records as 4 bytes each, TXT
 * records' text one after the other, as dns_ip4 and dns_txt give them. */
static int joined(enum dnsq_type type, stralloc *out, const char *name)
{
	struct dnsq_answer *a = malloc(sizeof *a);
	int r = 0;
	unsigned i;

	if (!a || !stralloc_copys(out, "")) {
		free(a);
		return -1;
	}
	if (dnsq_query(type, name, a) == DNSQ_TEMP) r = -1;
	for (i = 0; i < a->n && r == 0; i++)
		if (!stralloc_catb(out, a->buf + a->rr[i].off, a->rr[i].len)) r = -1;
	free(a);
	return r;
}

static int dnsbl_a(void *ctx, stralloc *out, const char *name)
{
	(void)ctx;
	return joined(DNSQ_A, out, name);
}

static int dnsbl_txt(void *ctx, stralloc *out, const char *name)
{
	(void)ctx;
	return joined(DNSQ_TXT, out, name);
}
const struct dnsbl_dns dnsq_dnsbl = { 0, dnsbl_a, dnsbl_txt };

int dnsq_dnsbl_ask(const struct dnsbl_list *l, const char *ip, struct dnsbl_query *q)
{
	struct dnsq_req req[DNSBL_ZONES_MAX];
	unsigned zone[DNSBL_ZONES_MAX];
	struct dnsq_answer *a;
	unsigned i, k, n = 0;
	char ips[DNSQ_RRS_MAX * 4];

	if (dnsbl_queries(l, q, ip) < 0) return -1;
	if (!(a = malloc(DNSBL_ZONES_MAX * sizeof *a))) return -1;
	for (i = 0; i < l->n && i < DNSBL_ZONES_MAX; i++) {
		if (!q[i].qname[0]) continue;   /* could not be made: left unasked */
		req[n] = (struct dnsq_req){ DNSQ_A, q[i].qname, &a[n] };
		zone[n++] = i;
	}
	dnsq_many(req, n);
	for (k = 0; k < n; k++) {
		size_t len = 0;
		for (i = 0; i < a[k].n; i++, len += 4)
			memcpy(ips + len, a[k].buf + a[k].rr[i].off, 4);
		dnsbl_answer(l, q, zone[k], a[k].rc == DNSQ_TEMP ? -1 : 0, ips, len);
	}
	free(a);
	return 0;
}

void dnsq_prefetch(const enum dnsq_type *type, const char *const *name, unsigned n)
{
	struct dnsq_req q[DNSQ_PARALLEL_MAX];
	struct dnsq_answer *a;
	unsigned i;

	if (n > DNSQ_PARALLEL_MAX) n = DNSQ_PARALLEL_MAX;
	if (!n) return;
	/* not zeroed: only the bytes an answer fills are touched */
	if (!(a = malloc(n * sizeof *a))) return;
	for (i = 0; i < n; i++) {
		q[i].type = type[i];
		q[i].name = name[i];
		q[i].ans = &a[i];
	}
	dnsq_many(q, n);
	free(a);
}
