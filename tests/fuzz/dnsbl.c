/*
 * Fuzz target for lib/dnsbl: the zone file parser, then answer handling.
 * The input is split at the first "\n--\n": before it, a zone file; after
 * it, A answers (4 bytes each, fed to every zone) and the rest also as a TXT
 * reason.  An accepted file must hold bounded, lower-case zones with sane
 * ranges and weights; every query name must fit; a reason must be printable
 * ASCII of at most DNSBL_REASON_MAX bytes.  A refused file must say why.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "dnsbl.h"

static void check_list(const struct dnsbl_list *l)
{
	unsigned i, k;

	if (l->n > DNSBL_ZONES_MAX) abort();
	for (i = 0; i < l->n; i++) {
		const struct dnsbl_zone *z = &l->z[i];
		size_t n = strlen(z->name);
		if (!n || n > DNSBL_ZONE_MAX || z->name[n - 1] == '.') abort();
		for (k = 0; k < n; k++)
			if (z->name[k] >= 'A' && z->name[k] <= 'Z') abort();
		if (z->weight > DNSBL_WEIGHT_MAX || z->weight < -DNSBL_WEIGHT_MAX) abort();
		if (z->nranges > DNSBL_RANGES_MAX) abort();
		for (k = 0; k < z->nranges; k++)
			if (z->range[k].lo[0] != 127 || z->range[k].hi[0] != 127
			    || memcmp(z->range[k].lo, z->range[k].hi, 4) > 0) abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dnsbl_list l;
	static struct dnsbl_query q[DNSBL_ZONES_MAX];
	struct dnsbl_result r;
	char reason[DNSBL_REASON_MAX + 1];
	const char *text = (const char *)data, *why, *rest = 0;
	size_t tlen = size, rlen = 0, i;
	unsigned line;

	for (i = 0; i + 4 <= size; i++)
		if (!memcmp(text + i, "\n--\n", 4)) {
			tlen = i + 1;
			rest = text + i + 4;
			rlen = size - i - 4;
			break;
		}
	if (dnsbl_parse(&l, text, tlen, &why, &line) < 0) {
		if (!why || !*why || line > tlen + 1) abort();
		return 0;
	}
	check_list(&l);
	if (dnsbl_queries(&l, q, "2001:db8::ff") < 0) abort();
	for (i = 0; i < l.n; i++) {
		if (strlen(q[i].qname) >= DNSBL_QNAME_MAX) abort();
		dnsbl_answer(&l, q, (unsigned)i, i % 7 == 6 ? -1 : 0, rest, rlen);
	}
	dnsbl_score(&l, q, &r);
	if (r.listed >= (int)l.n || (r.listed >= 0 && q[r.listed].status != DNSBL_LISTED)) abort();
	if (r.score > (int)l.n * DNSBL_WEIGHT_MAX || r.score < -(int)l.n * DNSBL_WEIGHT_MAX) abort();
	dnsbl_reason(reason, rest ? rest : "", rlen);
	if (strlen(reason) > DNSBL_REASON_MAX) abort();
	for (i = 0; reason[i]; i++)
		if (reason[i] < ' ' || reason[i] > '~') abort();
	return 0;
}
