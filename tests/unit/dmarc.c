/* Unit tests of lib/dmarc: the record parser (valid, defaults, RFC 7489
 * 6.6.3 fallbacks, hostile input), organizational domains from the system's
 * Public Suffix List, alignment, discovery and the policy result through a
 * fake resolver (subdomain sp=, np=, pct= sampling). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tap.h"
#include "dmarc.h"

static int parse(struct dmarc_record *r, const char *s, const char **why)
{
	return dmarc_parse(r, s, strlen(s), why);
}

static void parse_tests(void)
{
	struct dmarc_record r;
	const char *why;
	char big[DMARC_RECORD_MAX + 100];

	is_int(parse(&r, "v=DMARC1; p=reject", &why), 1, "minimal record");
	is_int(r.p, DMARC_P_REJECT, "p=reject");
	is_int(r.sp, DMARC_P_UNSET, "sp absent");
	is_int(r.np, DMARC_P_UNSET, "np absent");
	is_int(r.adkim, 'r', "adkim default relaxed");
	is_int(r.aspf, 'r', "aspf default relaxed");
	is_int(r.pct, 100, "pct default 100");
	is_str(r.fo, "0", "fo default 0");
	is_int(r.ri, 86400, "ri default");

	is_int(parse(&r, " v = DMARC1 ;P=Quarantine;sp=none; np=reject;adkim=s;aspf=S;pct=25;"
		     "rua=mailto:a@example.com,mailto:b@example.net!10m;ruf=mailto:f@example.com;"
		     "fo=1:d;ri=3600;x_new=what ever;", &why), 1, "full record, white space, final ;");
	is_int(r.p, DMARC_P_QUARANTINE, "p, value case-insensitive");
	is_int(r.sp, DMARC_P_NONE, "sp");
	is_int(r.np, DMARC_P_REJECT, "np (RFC 9091)");
	is_int(r.adkim, 's', "adkim=s");
	is_int(r.aspf, 's', "aspf=S lower-cased");
	is_int(r.pct, 25, "pct=25");
	is_str(r.rua, "mailto:a@example.com,mailto:b@example.net!10m", "rua kept as text");
	is_str(r.ruf, "mailto:f@example.com", "ruf kept as text");
	is_str(r.fo, "1:d", "fo=1:d");
	is_int(r.ri, 3600, "ri=3600");

	is_int(parse(&r, "v=DMARC1", &why), -1, "no p, no rua: unusable");
	is_str(why, "no valid p=", "  reason");
	is_int(parse(&r, "v=DMARC1; p=bogus", &why), -1, "invalid p, no rua: unusable");
	is_int(parse(&r, "v=DMARC1; p=bogus; rua=mailto:d@example.com", &why), 1,
	       "invalid p with valid rua: p=none (RFC 7489 6.6.3)");
	ok(r.p == DMARC_P_NONE && r.p_assumed, "  p=none assumed");
	is_int(parse(&r, "v=DMARC1; rua=mailto:d@example.com", &why), 1, "absent p with valid rua");
	is_int(parse(&r, "v=DMARC1; p=reject; sp=bogus", &why), -1, "invalid sp, no rua: unusable");
	is_str(why, "invalid sp=", "  reason");
	is_int(parse(&r, "v=DMARC1; p=reject; sp=bogus; rua=mailto:x@example.com", &why), 1,
	       "invalid sp with rua: p=none");
	ok(r.p == DMARC_P_NONE && r.sp == DMARC_P_UNSET, "  p=none, no sp");
	is_int(parse(&r, "v=DMARC1; p=none; rua=not a uri", &why), 1, "bad rua does not matter with a valid p");
	is_int(parse(&r, "v=DMARC1; p=bogus; rua=nouri", &why), -1, "rua without scheme is not valid");
	is_int(parse(&r, "v=DMARC1; p=bogus; rua=:x", &why), -1, "rua with empty scheme is not valid");
	is_int(parse(&r, "v=DMARC1; p=reject; pct=101; adkim=x; aspf=; fo=2; np=maybe; ri=-1", &why), 1,
	       "invalid optional values fall back");
	ok(r.pct == 100 && r.adkim == 'r' && r.aspf == 'r' && !strcmp(r.fo, "0") && r.np == DMARC_P_UNSET
	   && r.ri == 86400, "  to their defaults");
	is_int(parse(&r, "v=DMARC1; p=reject; pct=0", &why), 1, "pct=0");
	is_int(r.pct, 0, "  pct is 0");
	is_int(parse(&r, "v=DMARC1; p=reject; pct=99999999999999999999", &why), 1, "huge pct ignored");
	is_int(r.pct, 100, "  pct default");

	is_int(parse(&r, "p=reject; v=DMARC1", &why), 0, "v not first: not a DMARC record");
	is_int(parse(&r, "v=dmarc1; p=reject", &why), 0, "version is case-sensitive");
	is_int(parse(&r, "v=DMARC10; p=reject", &why), 0, "v=DMARC10 is not DMARC1");
	is_int(parse(&r, "v=spf1 -all", &why), 0, "SPF record is not a DMARC record");
	is_int(parse(&r, "", &why), 0, "empty TXT");
	is_int(parse(&r, "v=DMARC1; p=reject; p=none", &why), -1, "tag twice: invalid");
	is_int(parse(&r, "v=DMARC1; p=reject; v=DMARC1", &why), -1, "v twice: invalid");
	is_int(parse(&r, "v=DMARC1; p=reject; garbage", &why), -1, "tag without value");
	is_int(parse(&r, "v=DMARC1; p=reject; =x", &why), -1, "empty tag name");
	is_int(parse(&r, "v=DMARC1; p=reject\r\n; rua=x", &why), -1, "CRLF in record refused");
	is_int(parse(&r, "v=DMARC1; p=reject; rua=mailto:\xc3\xa9@x", &why), -1, "8-bit byte refused");
	is_int(dmarc_parse(&r, "v=DMARC1; p=reject\0; x", 21, &why), -1, "NUL byte refused");

	memset(big, 'a', sizeof big);
	memcpy(big, "v=DMARC1; p=reject; rua=mailto:", 31);
	is_int(dmarc_parse(&r, big, DMARC_RECORD_MAX + 1, &why), -1, "record over DMARC_RECORD_MAX refused");
	is_int(dmarc_parse(&r, big, DMARC_RECORD_MAX, &why), 1, "record at DMARC_RECORD_MAX accepted");
	is_int(strlen(r.rua), DMARC_URIS_MAX, "rua bounded");
}

static void org_tests(void)
{
	char o[DMARC_DOMAIN_MAX + 1];
	char longd[300];

	ok(dmarc_org_domain(o, "example.com") == 0 && !strcmp(o, "example.com"), "org of example.com");
	ok(dmarc_org_domain(o, "a.b.Example.COM.") == 0 && !strcmp(o, "example.com"), "org of a subdomain, case, final dot");
	ok(dmarc_org_domain(o, "mail.example.co.uk") == 0 && !strcmp(o, "example.co.uk"),
	   "org of mail.example.co.uk is example.co.uk (PSL)");
	ok(dmarc_org_domain(o, "example.co.uk") == 0 && !strcmp(o, "example.co.uk"), "org of example.co.uk");
	ok(dmarc_org_domain(o, "co.uk") == 0 && !strcmp(o, "co.uk"), "a public suffix is its own org");
	ok(dmarc_org_domain(o, "x.y.city.kawasaki.jp") == 0 && !strcmp(o, "city.kawasaki.jp"),
	   "PSL exception rule (!city.kawasaki.jp)");
	ok(dmarc_org_domain(o, "a.b.foo.appspot.com") == 0 && !strcmp(o, "foo.appspot.com"),
	   "private section suffix (appspot.com)");
	ok(dmarc_org_domain(o, "") < 0, "empty refused");
	ok(dmarc_org_domain(o, "a..b") < 0, "empty label refused");
	ok(dmarc_org_domain(o, "a b.example") < 0, "space refused");
	memset(longd, 'a', sizeof longd);
	longd[sizeof longd - 1] = 0;
	ok(dmarc_org_domain(o, longd) < 0, "too long refused");

	ok(dmarc_aligned("mail.example.com", "example.com", 'r'), "relaxed: subdomain aligned");
	ok(dmarc_aligned("example.com", "news.example.com", 'r'), "relaxed: parent aligned");
	ok(!dmarc_aligned("mail.example.com", "example.com", 's'), "strict: subdomain not aligned");
	ok(dmarc_aligned("EXAMPLE.com.", "example.com", 's'), "strict: case and final dot ignored");
	ok(!dmarc_aligned("example.net", "example.com", 'r'), "other domain not aligned");
	ok(!dmarc_aligned("a.co.uk", "b.co.uk", 'r'), "siblings under a public suffix not aligned");
	ok(dmarc_aligned("x.example.co.uk", "y.example.co.uk", 'r'), "siblings under example.co.uk aligned");
	ok(!dmarc_aligned("", "example.com", 'r'), "empty identity not aligned");
}

/* Fake DNS: name -> TXT records (NUL-separated), -1 tempfail; and a list of
 * domains that exist. */
struct txt { const char *name; int rc; const char *recs; size_t len; };
static const struct txt txts[] = {
#define R(n, s) {n, 0, s, sizeof s - 1}
	R("_dmarc.example.com", "v=DMARC1; p=reject; sp=quarantine; np=reject; rua=mailto:r@example.com\0"
	  "some other txt\0"),
	R("_dmarc.own.example.com", "v=DMARC1; p=none\0"),
	R("_dmarc.example.co.uk", "v=DMARC1; p=quarantine; adkim=s; aspf=s\0"),
	R("_dmarc.spless.example", "v=DMARC1; p=reject\0"),
	R("_dmarc.half.example", "v=DMARC1; p=reject; pct=50\0"),
	R("_dmarc.quar.example", "v=DMARC1; p=quarantine; pct=10\0"),
	R("_dmarc.two.example", "v=DMARC1; p=reject\0v=DMARC1; p=none\0"),
	R("_dmarc.broken.example", "v=DMARC1; p=nope\0"),
	R("_dmarc.sub.two.example", "v=DMARC1; p=none\0"),
	R("_dmarc.noise.example", "hello\0v=spf1 -all\0"),
	{"_dmarc.down.example", -1, 0, 0},
	{0, 0, 0, 0},
};
static const char *const existing[] = {"mail.example.com", "example.com", "sub.spless.example", 0};
static unsigned txt_calls, exists_calls;

static int fake_txt(void *ctx, stralloc *out, const char *name)
{
	const struct txt *t;
	txt_calls++;
	out->len = 0;
	for (t = txts; t->name; t++)
		if (!strcmp(t->name, name)) {
			if (t->rc < 0) return -1;
			return stralloc_copyb(out, t->recs, t->len) ? 0 : -1;
		}
	return 0;
}

static int fake_exists(void *ctx, const char *domain)
{
	unsigned i;
	exists_calls++;
	for (i = 0; existing[i]; i++)
		if (!strcmp(existing[i], domain)) return 1;
	return 0;
}

static const struct dmarc_dns dns = {0, fake_txt, fake_exists};

static void check(struct dmarc_result *r, const char *from, const char *spf, const char *dkim, unsigned rnd)
{
	const char *d[1] = {dkim};
	struct dmarc_auth a = {spf, d, dkim ? 1 : 0};
	dmarc_check(from, &a, &dns, rnd, r);
}

static void check_tests(void)
{
	struct dmarc_result r;
	struct dmarc_record rec;
	char dom[DMARC_DOMAIN_MAX + 1];
	const char *why;

	check(&r, "example.com", "example.com", 0, 0);
	is_int(r.status, DMARC_PASS, "SPF aligned: pass");
	ok(r.spf_aligned && !r.dkim_aligned, "  SPF aligned only");
	is_int(r.apply, DMARC_P_NONE, "  nothing to apply");
	is_str(r.policy_domain, "example.com", "  record of example.com");

	check(&r, "example.com", "bounces.example.com", 0, 0);
	is_int(r.status, DMARC_PASS, "SPF relaxed alignment with a subdomain");
	check(&r, "Example.COM", 0, "mail.example.com", 0);
	is_int(r.status, DMARC_PASS, "DKIM relaxed alignment, From case ignored");
	ok(!r.spf_aligned && r.dkim_aligned, "  DKIM aligned only");

	check(&r, "example.com", "example.net", "example.org", 0);
	is_int(r.status, DMARC_FAIL, "unaligned: fail");
	is_int(r.policy, DMARC_P_REJECT, "  p=reject");
	is_int(r.apply, DMARC_P_REJECT, "  reject applied");
	is_str(dmarc_status_name(r.status), "fail", "  status name");
	is_str(dmarc_policy_name(r.apply), "reject", "  policy name");

	check(&r, "mail.example.com", 0, 0, 0);
	is_int(r.status, DMARC_FAIL, "subdomain without record: fail");
	is_str(r.policy_domain, "example.com", "  record of the org domain");
	is_int(r.policy, DMARC_P_QUARANTINE, "  sp=quarantine for an existing subdomain");
	exists_calls = 0;
	check(&r, "ghost.example.com", 0, 0, 0);
	is_int(r.policy, DMARC_P_REJECT, "np=reject for a non-existent subdomain (RFC 9091)");
	is_int(exists_calls, 1, "  existence asked once");
	check(&r, "own.example.com", 0, 0, 0);
	is_str(r.policy_domain, "own.example.com", "subdomain with its own record");
	is_int(r.policy, DMARC_P_NONE, "  its p= applies, not the org's sp=");

	check(&r, "sub.spless.example", 0, 0, 0);
	is_int(r.policy, DMARC_P_REJECT, "no sp=: p= applies to subdomains");
	exists_calls = 0;
	check(&r, "ghost.spless.example", 0, 0, 0);
	is_int(r.policy, DMARC_P_REJECT, "no np=, no sp=: p= applies to non-existent subdomains");
	is_int(exists_calls, 0, "  existence not asked without np=");

	check(&r, "mail.example.co.uk", "example.co.uk", "example.co.uk", 0);
	is_str(r.policy_domain, "example.co.uk", "org domain example.co.uk found through the PSL");
	is_int(r.status, DMARC_FAIL, "strict alignment: parent domain is not aligned");
	is_int(r.policy, DMARC_P_QUARANTINE, "  p=quarantine (no sp)");
	check(&r, "example.co.uk", "example.co.uk", 0, 0);
	is_int(r.status, DMARC_PASS, "strict alignment: exact match passes");
	txt_calls = 0;
	check(&r, "other.co.uk", 0, 0, 0);
	is_int(r.status, DMARC_NONE, "no record: none");
	is_int(txt_calls, 1, "  org domain not asked again when it is the From domain");
	txt_calls = 0;
	check(&r, "a.b.unknown.co.uk", 0, 0, 0);
	is_int(txt_calls, 2, "From, then the org domain unknown.co.uk");

	check(&r, "half.example", 0, 0, 49);
	ok(r.status == DMARC_FAIL && r.apply == DMARC_P_REJECT && !r.sampled_out, "pct=50, rnd 49: reject");
	check(&r, "half.example", 0, 0, 50);
	ok(r.apply == DMARC_P_QUARANTINE && r.sampled_out, "pct=50, rnd 50: quarantine (RFC 7489 6.6.4)");
	is_int(r.policy, DMARC_P_REJECT, "  the published policy is still reject");
	check(&r, "quar.example", 0, 0, 10);
	is_int(r.apply, DMARC_P_NONE, "pct=10, rnd 10: quarantine becomes none");
	check(&r, "quar.example", 0, 0, 9);
	is_int(r.apply, DMARC_P_QUARANTINE, "pct=10, rnd 9: quarantine");
	check(&r, "half.example", "half.example", 0, 99);
	is_int(r.apply, DMARC_P_NONE, "pass is never sampled");

	check(&r, "two.example", 0, 0, 0);
	is_int(r.status, DMARC_PERMERROR, "two records: no policy (permerror)");
	check(&r, "sub.two.example", 0, 0, 0);
	is_int(r.status, DMARC_FAIL, "subdomain's own record found first");
	check(&r, "x.two.example", 0, 0, 0);
	is_int(r.status, DMARC_PERMERROR, "org domain with two records");
	check(&r, "broken.example", 0, 0, 0);
	is_int(r.status, DMARC_PERMERROR, "unusable record: permerror");
	is_str(r.why, "no valid p=", "  why");
	check(&r, "noise.example", 0, 0, 0);
	is_int(r.status, DMARC_NONE, "only other TXT records: none");
	check(&r, "down.example", 0, 0, 0);
	is_int(r.status, DMARC_TEMPERROR, "DNS failure: temperror");
	check(&r, "bad domain", 0, 0, 0);
	is_int(r.status, DMARC_PERMERROR, "invalid From domain");

	is_int(dmarc_discover("ghost.example.com", &dns, &rec, dom, &why), DMARC_FOUND, "discover");
	is_str(dom, "example.com", "  at the org domain");
}

int main(void)
{
	parse_tests();
	org_tests();
	check_tests();
	return tap_done();
}
