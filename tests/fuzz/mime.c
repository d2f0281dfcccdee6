/*
 * Fuzz target for lib/mime: the MIME structure, header fields, address
 * lists and the decoders SEARCH uses, on any bytes.
 *
 * Invariants: at least one part; at most MIME_PARTS_MAX; every part's
 * header and body lie inside the message, the body right after the
 * header; a child lies inside its parent's body; nesting is within
 * MIME_DEPTH_MAX + 2; multiparts have children; line counts never exceed
 * the body size + 1.  Parsing the same bytes twice gives the same tree.
 * Decoders never read or write out of bounds (checked by ASan) and never
 * produce more than they may.
 *
 * Address lists (the whole input, and the From, To and Cc fields of its
 * header, as ENVELOPE and SEARCH read them): at most max entries for any
 * max, group starts and ends pair with no group inside a group, every
 * value is NUL-terminated within its field and holds no CR or LF; the
 * iterator gives the same entries as mime_addresses (all of them when
 * they fit, all but the forced group end when max cut them short), and
 * no more than two per input byte plus one; the same bytes parse the
 * same way twice.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "mime.h"

#define ADDRS 50

static void check_entry(const struct mime_addr *a, int *in_group)
{
	const char *f[4] = {a->name, a->adl, a->mailbox, a->host};
	size_t cap[4] = {sizeof a->name, sizeof a->adl, sizeof a->mailbox, sizeof a->host};
	unsigned k;

	for (k = 0; k < 4; k++) {
		const char *nul = memchr(f[k], 0, cap[k]);
		if (!nul || memchr(f[k], '\r', (size_t)(nul - f[k])) || memchr(f[k], '\n', (size_t)(nul - f[k]))) abort();
	}
	if (a->kind == MIME_ADDR_GROUP) {
		if (*in_group) abort();
		*in_group = 1;
	} else if (a->kind == MIME_ADDR_GROUP_END) {
		if (!*in_group) abort();
		*in_group = 0;
	} else if (a->kind != MIME_ADDR_MAILBOX) abort();
}

static void check_addresses(const char *s, size_t len, unsigned max)
{
	static struct mime_addr out[ADDRS], again[ADDRS], a;
	struct mime_addr_iter it;
	unsigned n, i, total = 0;
	int in_group = 0;

	if (max > ADDRS) max = ADDRS;
	n = mime_addresses(s, len, out, max);
	if (n > max) abort();
	for (i = 0; i < n; i++) check_entry(&out[i], &in_group);
	if (in_group) abort();
	if (mime_addresses(s, len, again, max) != n || memcmp(out, again, n * sizeof out[0])) abort();

	in_group = 0;
	mime_addr_begin(&it, s, len);
	while (mime_addr_next(&it, &a)) {
		check_entry(&a, &in_group);
		if (total < n && memcmp(&a, &out[total], sizeof a) && !(n == max && total == n - 1)) abort();
		if (++total > 2 * len + 1) abort();
	}
	if (in_group) abort();
	if (n + 1 < max && total != n) abort();   /* a group that does not fit may end the list at max - 1 */
}

static void check_part(const struct mime *m, const struct mime_part *p, size_t lo, size_t hi)
{
	const struct mime_part *c;
	unsigned n = 0;

	if (p->hdr < lo || p->hdr + p->hdrlen != p->body || p->body + p->bodylen > hi) abort();
	if (p->lines > p->bodylen + 1) abort();
	if (p->depth > MIME_DEPTH_MAX + 2) abort();
	if (!p->type || !p->subtype) abort();
	if (p->multipart && !p->child) abort();
	for (c = p->child; c; c = c->next) {
		check_part(m, c, p->body, p->body + p->bodylen);
		n++;
	}
	if (n != p->nchild) abort();
	if (p->message && p->msg) check_part(m, p->msg, p->body, p->body + p->bodylen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mime m, m2;
	stralloc out = {0};
	const char *d = (const char *)data;
	unsigned i;

	if (mime_parse(&m, d, size) < 0) return 0;
	if (!m.nparts || m.nparts > MIME_PARTS_MAX) abort();
	check_part(&m, &m.part[0], 0, size);
	if (mime_parse(&m2, d, size) < 0) return 0;
	if (m2.nparts != m.nparts) abort();
	for (i = 0; i < m.nparts; i++)
		if (m.part[i].body != m2.part[i].body || m.part[i].bodylen != m2.part[i].bodylen) abort();
	for (i = 0; i < m.nparts && i < 20; i++) {
		if (mime_part_text(&m, &m.part[i], &out) < 0) break;
	}
	check_addresses(d, size, ADDRS);
	if (size) check_addresses(d + 1, size - 1, (unsigned char)d[0] % 8);   /* small bounds: cuts in groups */
	{
		static const char *const fields[] = {"from", "to", "cc"};
		size_t h = mime_header_end(d, size);
		stralloc v = {0};
		for (i = 0; i < 3; i++)
			if (mime_field(d, h, fields[i], &v)) check_addresses(v.s, v.len, ADDRS);
		stralloc_free(&v);
	}
	out.len = 0;
	mime_decode_header(d, size, &out);
	out.len = 0;
	mime_decode_qp(d, size, &out);
	if (out.len > size) abort();
	out.len = 0;
	mime_decode_b64(d, size, &out);
	if (out.len > size) abort();
	{
		size_t h = mime_header_end(d, size);
		if (h > size) abort();
		stralloc v = {0};
		mime_field(d, h, "content-type", &v);
		stralloc_free(&v);
	}
	stralloc_free(&out);
	mime_free(&m2);
	return 0;
}
