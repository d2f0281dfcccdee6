/*
 * Fuzz target for lib/spf: SPF records, explanations and every other DNS
 * answer are chosen by whoever runs the sender's DNS.
 *
 * The input is a zone, one row a line: the first line is the TXT record of
 * example.com (the domain checked); each further line is "X name data" with
 * X one of T (TXT) A 6 (AAAA) M (MX) P (PTR) E (a temporary error for any
 * type), data holding records separated by '|'.  A name without rows is
 * NXDOMAIN, one with rows of other types NODATA.  The client is 192.0.2.3,
 * or 2001:db8::cb01 when the input's length is odd.
 *
 * Invariants: a result of the seven; an explanation only on fail, within
 * SPF_EXP_MAX; no more than one lookup over SPF_LOOKUP_MAX and one void
 * over SPF_VOID_MAX counted; a bounded number of queries.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ip6.h>
#include "spf.h"

#define ROWS 64

struct row { char type; const char *name; size_t namelen; const char *data; size_t datalen; };
static struct row rows[ROWS];
static int nrows;
static unsigned long queries;

static enum spf_dns fake(void *ctx, enum spf_rrtype type, const char *name, struct spf_answer *out)
{
	static const char letter[] = { [SPF_RR_A] = 'A', [SPF_RR_AAAA] = '6', [SPF_RR_MX] = 'M',
	                               [SPF_RR_PTR] = 'P', [SPF_RR_TXT] = 'T' };
	int i, seen = 0;
	if (++queries > 1000) abort();
	if (strlen(name) > SPF_NAME_MAX) abort();
	for (i = 0; i < nrows; i++) {
		const char *p, *e, *end;
		if (rows[i].namelen != strlen(name) || strncasecmp(rows[i].name, name, rows[i].namelen)) continue;
		seen = 1;
		if (rows[i].type == 'E') return SPF_DNS_TEMP;
		if (rows[i].type != letter[type]) continue;
		end = rows[i].data + rows[i].datalen;
		for (p = rows[i].data; p <= end; p = e + 1) {
			e = memchr(p, '|', (size_t)(end - p));
			if (!e) e = end;
			if (type == SPF_RR_A || type == SPF_RR_AAAA) {
				char txt[64], ip[16];
				size_t n = (size_t)(e - p);
				if (n < sizeof txt) {
					memcpy(txt, p, n);
					txt[n] = 0;
					if (scan_ip6(txt, ip) == n)
						spf_answer_add(out, type == SPF_RR_A ? ip + 12 : ip, type == SPF_RR_A ? 4 : 16);
				}
			} else
				spf_answer_add(out, p, (size_t)(e - p));
		}
		return SPF_DNS_OK;
	}
	return seen ? SPF_DNS_NODATA : SPF_DNS_NXDOMAIN;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	struct spf_resolver r = { 0, fake };
	struct spf_query q;
	struct spf_outcome out;
	enum spf_result res;

	nrows = 0;
	queries = 0;
	while (p < end && nrows < ROWS) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *sp;
		struct row *w = &rows[nrows];
		if (!nl) nl = end;
		if (!nrows) {
			*w = (struct row){ 'T', "example.com", 11, p, (size_t)(nl - p) };
			nrows++;
		} else if (nl - p >= 3 && p[1] == ' ' && (sp = memchr(p + 2, ' ', (size_t)(nl - p - 2)))) {
			*w = (struct row){ p[0], p + 2, (size_t)(sp - p - 2), sp + 1, (size_t)(nl - sp - 1) };
			nrows++;
		}
		p = nl + 1;
	}
	memset(&q, 0, sizeof q);
	scan_ip6(size & 1 ? "2001:db8::cb01" : "::ffff:192.0.2.3", (char *)q.ip);
	q.sender = "strong-bad@example.com";
	q.helo = "mx.example.org";
	q.domain = "example.com";
	q.now = 1;
	res = spf_check_host(&r, &q, &out);
	if (res != out.result || (unsigned)res > SPF_PERMERROR) abort();
	if (strlen(out.explanation) > SPF_EXP_MAX || (out.explanation[0] && res != SPF_FAIL)) abort();
	if (strlen(out.problem) >= sizeof out.problem) abort();
	if (out.lookups > SPF_LOOKUP_MAX + 1 || out.voids > SPF_VOID_MAX + 1) abort();
	return 0;
}
