/*
 * DNSBL / DNSWL lookups of client addresses (RFC 5782): zone file, query
 * names, answers, score.  See dnsbl.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <stralloc.h>
#include "conf.h"
#include "dnsbl.h"
#include "textfile.h"

static int is_space(char c) { return c == ' ' || c == '\t'; }

/* A zone name: LDH labels of 1..63 bytes (RFC 1035 2.3.1, with the digits
 * first RFC 1123 allows; '_' is tolerated, some private lists use it),
 * lower-cased into out, one final dot dropped. */
static const char *zone_name(char *out, const char *s, size_t n)
{
	size_t i, label = 0;

	if (n && s[n - 1] == '.') n--;
	if (!n) return "empty zone name";
	if (n > DNSBL_ZONE_MAX) return "zone name too long";
	for (i = 0; i < n; i++) {
		char c = s[i];
		if (c == '.') {
			if (!label || s[i - 1] == '-') return "invalid zone name";
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'
			   || (c == '-' && label)) {
			label++;
		} else if (c >= 'A' && c <= 'Z') {
			c = (char)(c - 'A' + 'a');
			label++;
		} else {
			return "invalid zone name";
		}
		if (label > 63) return "zone name label too long";
		out[i] = c;
	}
	if (s[n - 1] == '-' || s[n - 1] == '.') return "invalid zone name";
	out[n] = 0;
	return 0;
}

/* A weight: optional sign, decimal digits, |w| <= DNSBL_WEIGHT_MAX. */
static const char *weight(int *w, const char *s, size_t n)
{
	size_t i = 0;
	int neg = 0, v = 0;

	if (n && (s[0] == '-' || s[0] == '+')) { neg = s[0] == '-'; i++; }
	if (i == n) return "invalid weight";
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9') return "invalid weight";
		v = v * 10 + (s[i] - '0');
		if (v > DNSBL_WEIGHT_MAX) return "weight out of range";
	}
	*w = neg ? -v : v;
	return 0;
}

static int ip4_cmp(const unsigned char *a, const unsigned char *b) { return memcmp(a, b, 4); }

/* One IPv4 address of a code list, in 127.0.0.0/8 (RFC 5782 2.3). */
static const char *code(unsigned char out[4], const char *s, size_t n)
{
	char buf[16];

	if (n >= sizeof buf) return "invalid return code";
	memcpy(buf, s, n);
	buf[n] = 0;
	if (inet_pton(AF_INET, buf, out) != 1) return "invalid return code";
	if (out[0] != 127) return "return code outside 127.0.0.0/8";
	return 0;
}

/* "A[-B][,C[-D]]..." into z's ranges. */
static const char *codes(struct dnsbl_zone *z, const char *s, size_t n)
{
	size_t i = 0;

	while (i <= n) {
		size_t j = i, dash;
		const char *why;
		struct dnsbl_range *r;
		while (j < n && s[j] != ',') j++;
		if (j == i) return "empty return code";
		if (z->nranges == DNSBL_RANGES_MAX) return "too many return code ranges";
		r = &z->range[z->nranges];
		for (dash = i; dash < j && s[dash] != '-'; dash++) ;
		if ((why = code(r->lo, s + i, dash - i))) return why;
		if (dash < j) {
			if ((why = code(r->hi, s + dash + 1, j - dash - 1))) return why;
			if (ip4_cmp(r->lo, r->hi) > 0) return "return code range backwards";
		} else {
			memcpy(r->hi, r->lo, 4);
		}
		z->nranges++;
		i = j + 1;
	}
	return 0;
}

static const char *zone_line(struct dnsbl_list *l, const char *s, size_t n, unsigned lineno)
{
	const char *f[4];
	size_t fl[4];
	unsigned nf = 0, i;
	size_t p = 0;
	struct dnsbl_zone *z;
	const char *why;

	while (p < n) {
		while (p < n && is_space(s[p])) p++;
		if (p == n) break;
		if (nf == 4) return "too many fields (zone weight [codes])";
		f[nf] = s + p;
		while (p < n && !is_space(s[p])) p++;
		fl[nf] = (size_t)(s + p - f[nf]);
		nf++;
	}
	if (nf < 2) return "zone needs a weight";
	if (nf > 3) return "too many fields (zone weight [codes])";
	if (l->n == DNSBL_ZONES_MAX) return "too many zones";
	z = &l->z[l->n];
	memset(z, 0, sizeof *z);
	if ((why = zone_name(z->name, f[0], fl[0]))) return why;
	for (i = 0; i < l->n; i++)
		if (!strcmp(l->z[i].name, z->name)) return "zone listed twice";
	if ((why = weight(&z->weight, f[1], fl[1]))) return why;
	if (nf == 3 && (why = codes(z, f[2], fl[2]))) return why;
	z->line = lineno;
	l->n++;
	return 0;
}

int dnsbl_parse(struct dnsbl_list *l, const char *text, size_t len, const char **why, unsigned *line)
{
	size_t p = 0;
	unsigned lineno = 0;

	l->n = 0;
	*why = 0;
	*line = 0;
	if (len > DNSBL_FILE_MAX) { *why = "file too large"; return -1; }
	while (p < len) {
		size_t e = p, b, n;
		lineno++;
		while (e < len && text[e] != '\n') e++;
		n = e - p;
		if (n > DNSBL_LINE_MAX) { *why = "line too long"; *line = lineno; return -1; }
		if (memchr(text + p, 0, n)) { *why = "NUL byte in file"; *line = lineno; return -1; }
		if (n && text[p + n - 1] == '\r') n--;
		for (b = 0; b < n && is_space(text[p + b]); b++) ;
		if (b < n && text[p + b] != '#') {
			if ((*why = zone_line(l, text + p + b, n - b, lineno))) { *line = lineno; return -1; }
		}
		p = e + 1;
	}
	return 0;
}

int dnsbl_load(struct dnsbl_list *l, const char **why, unsigned *line)
{
	stralloc path = {0}, text = {0};
	int r;

	l->n = 0;
	*why = 0;
	*line = 0;
	if (!conf_path(&path, DNSBL_FILE)) { *why = "out of memory"; return -1; }
	r = textfile_read(path.s, DNSBL_FILE_MAX, &text, why);
	stralloc_free(&path);
	if (r > 0 && dnsbl_parse(l, text.s ? text.s : "", text.len, why, line) < 0) r = -1;
	{ int e = errno; stralloc_free(&text); errno = e; }
	return r;
}

int dnsbl_qname(char out[DNSBL_QNAME_MAX], const char *ip, const char *zone)
{
	unsigned char a[16];
	static const char hex[] = "0123456789abcdef";
	size_t len = 0, zl = strlen(zone);
	int i;

	out[0] = 0;
	if (inet_pton(AF_INET, ip, a) == 1) {
		len = 0;
	} else if (inet_pton(AF_INET6, ip, a) == 1) {
		static const unsigned char mapped[12] = {0,0,0,0,0,0,0,0,0,0,0xff,0xff};
		if (!memcmp(a, mapped, 12)) {
			memmove(a, a + 12, 4);
		} else {
			/* RFC 5782 2.4: 32 nibbles, least significant first. */
			if (64 + zl >= DNSBL_QNAME_MAX) return -1;
			for (i = 15; i >= 0; i--) {
				out[len++] = hex[a[i] & 15]; out[len++] = '.';
				out[len++] = hex[a[i] >> 4]; out[len++] = '.';
			}
			memcpy(out + len, zone, zl + 1);
			return 0;
		}
	} else {
		return -1;
	}
	/* RFC 5782 2.1: the octets in reverse order. */
	for (i = 3; i >= 0; i--) {
		unsigned v = a[i];
		if (v >= 100) out[len++] = (char)('0' + v / 100);
		if (v >= 10) out[len++] = (char)('0' + v / 10 % 10);
		out[len++] = (char)('0' + v % 10);
		out[len++] = '.';
	}
	if (len + zl >= DNSBL_QNAME_MAX) { out[0] = 0; return -1; }
	memcpy(out + len, zone, zl + 1);
	return 0;
}

int dnsbl_queries(const struct dnsbl_list *l, struct dnsbl_query *q, const char *ip)
{
	unsigned i;
	int r = 0;

	for (i = 0; i < l->n; i++) {
		memset(&q[i], 0, sizeof q[i]);
		if (dnsbl_qname(q[i].qname, ip, l->z[i].name) < 0) r = -1;
	}
	return r;
}

int dnsbl_code_counts(const struct dnsbl_zone *z, const unsigned char c[4])
{
	unsigned i;

	if (!z->nranges)
		return c[0] == 127 && !(c[1] == 0 && c[2] == 0 && c[3] == 1)
			&& !(c[1] == 255 && c[2] == 255);
	for (i = 0; i < z->nranges; i++)
		if (ip4_cmp(c, z->range[i].lo) >= 0 && ip4_cmp(c, z->range[i].hi) <= 0) return 1;
	return 0;
}

void dnsbl_answer(const struct dnsbl_list *l, struct dnsbl_query *q, unsigned i,
		  int rc, const char *a, size_t len)
{
	size_t k;

	if (i >= l->n) return;
	if (rc < 0) { q[i].status = DNSBL_TEMPFAIL; return; }
	q[i].status = DNSBL_NOTLISTED;
	for (k = 0; k + 4 <= len && k < 4 * DNSBL_ANSWERS_MAX; k += 4) {
		if (dnsbl_code_counts(&l->z[i], (const unsigned char *)a + k)) {
			q[i].status = DNSBL_LISTED;
			memcpy(q[i].code, a + k, 4);
			return;
		}
	}
}

void dnsbl_score(const struct dnsbl_list *l, const struct dnsbl_query *q, struct dnsbl_result *r)
{
	unsigned i;

	r->score = 0;
	r->listed = -1;
	r->tempfail = 0;
	for (i = 0; i < l->n; i++) {
		if (q[i].status == DNSBL_TEMPFAIL) r->tempfail++;
		if (q[i].status != DNSBL_LISTED) continue;
		/* |weight| <= 1000 and at most 32 zones: no overflow. */
		r->score += l->z[i].weight;
		if (l->z[i].weight > 0 && (r->listed < 0 || l->z[i].weight > l->z[r->listed].weight))
			r->listed = (int)i;
	}
}

enum dnsbl_verdict dnsbl_verdict(int score, int threshold)
{
	if (threshold > 0 && score >= threshold) return DNSBL_REJECT;
	if (score > 0) return DNSBL_MARK;
	return DNSBL_ACCEPT;
}

void dnsbl_reason(char out[DNSBL_REASON_MAX + 1], const char *txt, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len && n < DNSBL_REASON_MAX; i++) {
		unsigned char c = (unsigned char)txt[i];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			if (n && out[n - 1] != ' ') out[n++] = ' ';
		} else {
			out[n++] = c > ' ' && c < 0x7f ? (char)c : '?';
		}
	}
	while (n && out[n - 1] == ' ') n--;
	out[n] = 0;
}

int dnsbl_check(const struct dnsbl_list *l, const char *ip, const struct dnsbl_dns *dns,
		struct dnsbl_query *q, struct dnsbl_result *r, char reason[DNSBL_REASON_MAX + 1])
{
	stralloc out = {0};
	unsigned i;
	int rc;

	reason[0] = 0;
	r->score = 0;
	r->listed = -1;
	r->tempfail = 0;
	if (dnsbl_queries(l, q, ip) < 0) return -1;
	for (i = 0; i < l->n; i++) {
		out.len = 0;
		rc = dns->a(dns->ctx, &out, q[i].qname);
		dnsbl_answer(l, q, i, rc, out.s, rc < 0 ? 0 : out.len);
	}
	dnsbl_score(l, q, r);
	if (r->listed >= 0) {
		out.len = 0;
		if (dns->txt(dns->ctx, &out, q[r->listed].qname) == 0)
			dnsbl_reason(reason, out.s, out.len);
	}
	stralloc_free(&out);
	return 0;
}
