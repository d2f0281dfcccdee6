/*
 * Fuzz target for lib/dkim: the input is read as a tag-list (every offset
 * must lie inside it, in order), as a DKIM-Signature and as a key record,
 * as one header field for both header canonicalizations, and as a body
 * for both body canonicalizations -- whole and again a few bytes at a
 * time, which must give the same bytes; the relaxed form must hold no
 * doubled space and no space before a CRLF.  Then as a whole message for
 * the verifier, whose resolver answers with the input itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "dkim.h"

static stralloc out, whole, pieces;
static struct dkim v;
static struct dkim_sig sig;
static const char *in;
static size_t inlen;

static void put(void *arg, const char *s, size_t n)
{
	if (!stralloc_catb(arg, s, n)) abort();
}

static int txt(void *ctx, const char *name, stralloc *o)
{
	(void)ctx;
	if (strlen(name) > 255) abort();
	if (!stralloc_catb(o, in, inlen) || !stralloc_0(o)) abort();
	return DKIM_DNS_OK;
}

static void body(int canon, long limit)
{
	struct dkim_body b;
	size_t p, step;

	whole.len = pieces.len = 0;
	dkim_body_init(&b, canon, put, &whole);
	if (limit >= 0) { b.has_limit = 1; b.limit = (unsigned long long)limit; }
	dkim_body_feed(&b, in, inlen);
	dkim_body_end(&b);
	dkim_body_init(&b, canon, put, &pieces);
	if (limit >= 0) { b.has_limit = 1; b.limit = (unsigned long long)limit; }
	for (p = 0; p < inlen; p += step) {
		step = 1 + p % 5;
		if (step > inlen - p) step = inlen - p;
		dkim_body_feed(&b, in + p, step);
	}
	dkim_body_end(&b);
	if (whole.len != pieces.len || (whole.len && memcmp(whole.s, pieces.s, whole.len))) abort();
	if (limit >= 0 && whole.len > (size_t)limit) abort();
	if (limit < 0 && canon == DKIM_SIMPLE && (whole.len < 2 || memcmp(whole.s + whole.len - 2, "\r\n", 2))) abort();
	if (limit < 0 && canon == DKIM_RELAXED && whole.len &&
	    (memmem(whole.s, whole.len, "  ", 2) || memmem(whole.s, whole.len, " \r\n", 3))) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dkim_tag tag[DKIM_TAGS_MAX];
	struct dkim_key key;
	struct dkim_dns dns = {txt, 0};
	size_t n, k, pos;

	in = (const char *)data;
	inlen = size;
	if (dkim_taglist(in, size, tag, DKIM_TAGS_MAX, &n) == DKIM_OK)
		for (k = 0; k < n; k++)
			if (tag[k].nlo >= tag[k].nhi || tag[k].nhi >= tag[k].rawlo || tag[k].rawlo > tag[k].vlo ||
			    tag[k].vlo > tag[k].vhi || tag[k].vhi > tag[k].rawhi || tag[k].rawhi > size ||
			    (k && tag[k].nlo <= tag[k - 1].rawhi))
				abort();
	if (dkim_sig_parse(&sig, in, size) == DKIM_OK &&
	    (sig.b_rawhi > size || !sig.nh || sig.d[0] == 0 || sig.s[0] == 0)) abort();
	if (dkim_key_parse(&key, in, size) == DKIM_OK && key.plen > sizeof key.p) abort();
	for (k = DKIM_SIMPLE; k <= DKIM_RELAXED; k++) {
		out.len = 0;
		if (dkim_canon_header(&out, (int)k, in, size)) abort();
		if (out.len < 2 || memcmp(out.s + out.len - 2, "\r\n", 2)) abort();
	}
	body(DKIM_SIMPLE, -1);
	body(DKIM_RELAXED, -1);
	body(DKIM_RELAXED, size / 3);

	/* the whole input as a message: fields up to the first empty line */
	dkim_init(&v);
	for (pos = 0; pos < size; ) {
		const char *nl = memchr(in + pos, '\n', size - pos);
		size_t end = nl ? (size_t)(nl - in) + 1 : size;
		if (end - pos <= 2 && (in[pos] == '\n' || in[pos] == '\r')) { pos = end; break; }
		if (dkim_header(&v, in + pos, end - pos)) abort();
		pos = end;
	}
	dkim_headers_end(&v);
	dkim_body(&v, in + pos, size - pos);
	dkim_finish(&v, &dns, 1700000000);
	for (k = 0; k < v.nsig; k++)
		if (v.sig[k].result == DKIM_NONE || !dkim_result_str(v.sig[k].result)) abort();
	dkim_free(&v);
	return 0;
}
