/*
 * Fuzz target for lib/mime: the MIME structure, header fields, address
 * lists and the decoders SEARCH uses, on any bytes.
 *
 * Invariants: at least one part; at most MIME_PARTS_MAX; every part's
 * header and body lie inside the message, the body right after the
 * header; a child lies inside its parent's body; nesting is within
 * MIME_DEPTH_MAX + 2; multiparts have children; line counts never exceed
 * the body size + 1.  Parsing the same bytes twice gives the same tree.
 * Decoders and the address parser never read or write out of bounds
 * (checked by ASan) and never produce more than they may.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "mime.h"

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
	static struct mime_addr addrs[50];
	stralloc out = {0};
	const char *d = (const char *)data;
	unsigned i, n;

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
	n = mime_addresses(d, size, addrs, 50);
	if (n > 50) abort();
	for (i = 0; i < n; i++)
		if (strlen(addrs[i].name) >= sizeof addrs[i].name || strlen(addrs[i].host) >= sizeof addrs[i].host) abort();
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
