/*
 * Fuzz target for lib/dmarc: dmarc_parse on any bytes, then the same bytes
 * as the TXT answer (NUL-separated records) of a fake resolver through
 * dmarc_check.  A usable record must have a policy, sane pct/adkim/aspf/fo
 * and bounded, NUL-terminated rua/ruf; an unusable one must say why; the
 * check must end in a known status with a policy only for pass/fail.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "dmarc.h"

static const uint8_t *answer;
static size_t answer_len;

static int fake_txt(void *ctx, stralloc *out, const char *name)
{
	/* The From domain's record is the input; the org domain has none. */
	if (strcmp(name, "_dmarc.a.example.com")) return 0;
	return stralloc_copyb(out, (const char *)answer, answer_len) ? 0 : -1;
}

static int fake_exists(void *ctx, const char *domain) { return answer_len & 1; }

static void check_record(const struct dmarc_record *r)
{
	if (r->p < DMARC_P_NONE || r->p > DMARC_P_REJECT) abort();
	if (r->sp > DMARC_P_REJECT || r->np > DMARC_P_REJECT) abort();
	if (r->pct > 100) abort();
	if ((r->adkim != 'r' && r->adkim != 's') || (r->aspf != 'r' && r->aspf != 's')) abort();
	if (strlen(r->fo) > DMARC_FO_MAX || strlen(r->rua) > DMARC_URIS_MAX
	    || strlen(r->ruf) > DMARC_URIS_MAX) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dmarc_record r;
	struct dmarc_result res;
	const char *why;
	static const char *const dkim[] = {"example.com", "x.example.net"};
	struct dmarc_auth auth = {"mail.example.org", dkim, 2};
	struct dmarc_dns dns = {0, fake_txt, fake_exists};
	int k = dmarc_parse(&r, (const char *)data, size, &why);

	if (k > 0) check_record(&r);
	else if (k < 0 && (!why || !*why)) abort();
	else if (k < -1 || k > 1) abort();

	answer = data;
	answer_len = size;
	dmarc_check(size & 2 ? "a.example.com" : "b.a.example.com", &auth, &dns, (unsigned)(size % 100), &res);
	switch (res.status) {
	case DMARC_PASS:
	case DMARC_FAIL:
		check_record(&res.rec);
		if (res.policy < DMARC_P_NONE || res.policy > DMARC_P_REJECT) abort();
		if (res.apply > res.policy) abort();
		break;
	case DMARC_NONE:
	case DMARC_TEMPERROR:
	case DMARC_PERMERROR:
		if (!res.why || !*res.why) abort();
		break;
	default:
		abort();
	}
	return 0;
}
