/*
 * Fuzz target for lib/dkimsign: any message a user can hand posthorn-queue
 * for signing.  Signed whole and again in pieces of a size taken from the
 * input, it must give the same verdict and the same DKIM-Signature field
 * (Ed25519 signs deterministically); a field it makes has lines under 78
 * bytes, holds no NUL, and lib/dkim's verifier says pass when the field is
 * put on top of the message.  A test key (made with openssl genpkey for
 * tests/unit/dkimsign.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "dkim.h"
#include "dkimsign.h"

static const char ED_PEM[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MC4CAQAwBQYDK2VwBCIEIEDg8qX0hrpGvnFgaq8tOPosOvmsWFWm3pUfXWxoi1n2\n"
	"-----END PRIVATE KEY-----\n";
static const char ED_TXT[] = "v=DKIM1; k=ed25519; p=mAzWcmOWewrzRppN9eXXMxAW+/W8r/5kuGZ41m73/WQ=";

static struct dkimsign_key key;
static stralloc out[2], all;
static struct dkim v;

static int txt(void *ctx, const char *name, stralloc *o)
{
	(void)ctx;
	if (strcmp(name, "e1._domainkey.example.test")) return DKIM_DNS_NONE;
	return stralloc_catb(o, ED_TXT, sizeof ED_TXT) ? DKIM_DNS_OK : DKIM_DNS_TEMP;
}

static int sign(const char *buf, size_t len, size_t step, stralloc *o)
{
	struct dkimsign s;
	const char *why;
	char d[256];
	size_t off = 0;
	int r;

	o->len = 0;
	if (dkimsign_init(&s)) abort();
	while (off < len) {
		size_t n = step && step < len - off ? step : len - off;
		dkimsign_feed(&s, buf + off, n);
		off += n;
	}
	dkimsign_end(&s);
	r = dkimsign_from_domain(&s, d, sizeof d, &why);
	if (!r) r = dkimsign_sign(&s, &key, "example.test", 1800000000ULL, o, &why);
	dkimsign_free(&s);
	return r;
}

/* lib/dkim reads the message field by field as posthorn-smtpd's would */
static void verify(const char *m, size_t len)
{
	struct dkim_dns dns = {txt, 0};
	size_t pos = 0;

	dkim_init(&v);
	while (pos < len) {
		size_t start = pos;
		if (m[pos] == '\n') { pos++; break; }
		if (m[pos] == '\r' && pos + 1 < len && m[pos + 1] == '\n') { pos += 2; break; }
		for (;;) {
			const char *nl = memchr(m + pos, '\n', len - pos);
			pos = nl ? (size_t)(nl - m) + 1 : len;
			if (pos >= len || (m[pos] != ' ' && m[pos] != '\t')) break;
		}
		dkim_header(&v, m + start, pos - start);
	}
	dkim_headers_end(&v);
	dkim_body(&v, m + pos, len - pos);
	dkim_finish(&v, &dns, 1800000001ULL);
	/* the first signature is ours; a DKIM-Signature of the input may follow */
	if (!v.nsig || (v.sig[0].result != DKIM_PASS && v.sig[0].result != DKIM_NEUTRAL)) abort();
	dkim_free(&v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *why, *m = (const char *)data;
	size_t i, line = 0;
	int r0, r1;

	if (!key.type && dkimsign_key_read(&key, ED_PEM, sizeof ED_PEM - 1, "e1", &why)) abort();
	r0 = sign(m, size, 0, &out[0]);
	r1 = sign(m, size, size ? 1 + data[0] % 7 : 1, &out[1]);
	if (r0 != r1 || out[0].len != out[1].len || memcmp(out[0].s, out[1].s, out[0].len)) abort();
	if (r0) return 0;
	for (i = 0; i < out[0].len; i++) {
		if (!out[0].s[i]) abort();
		if (out[0].s[i] == '\n') line = 0;
		else if (++line >= 78 && out[0].len < 400) abort();   /* a long d= cannot fold; ours is short */
	}
	all.len = 0;
	if (!stralloc_cat(&all, &out[0]) || !stralloc_catb(&all, m, size)) abort();
	verify(all.s, all.len);
	return 0;
}
