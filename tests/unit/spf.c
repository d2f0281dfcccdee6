/* Unit tests of lib/spf (RFC 7208 check_host) against a resolver in
 * memory: each mechanism, the modifiers, the limits of 4.6.4, the macro
 * examples of 7.4, include/redirect semantics and exp=.
 *
 * With --eval it is the posthorn side of tests/spf-oracle.t instead: it
 * reads one case from stdin -- a line "IP SENDER HELO DOMAIN", then zone
 * rows "X NAME DATA" (X: T A 6 M P; DATA holds records separated by '|',
 * or "TEMP" for a temporary error) -- and prints the result and the
 * explanation. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <ip6.h>
#include "tap.h"
#include "spf.h"

/* ---- the fake resolver: a table of (type, name) -> records ---- */

struct rr { enum spf_rrtype type; const char *name; const char *data; };
/* data: records separated by '|'; "TEMP" is a temporary error.  A name
 * with no row of the asked type but a row of another is NODATA; a name
 * with no row at all is NXDOMAIN. */
static const struct rr *zone;
static char queried[4096]; /* "TYPE name\n" of each query, in order */
static int nqueries;

static const char *tname(enum spf_rrtype t)
{
	return t == SPF_RR_A ? "A" : t == SPF_RR_AAAA ? "AAAA" : t == SPF_RR_MX ? "MX" : t == SPF_RR_PTR ? "PTR" : "TXT";
}

static enum spf_dns fake(void *ctx, enum spf_rrtype type, const char *name, struct spf_answer *out)
{
	const struct rr *z;
	int seen = 0;
	size_t q = strlen(queried);
	snprintf(queried + q, sizeof queried - q, "%s %s\n", tname(type), name);
	nqueries++;
	for (z = zone; z && z->name; z++) {
		const char *p, *e;
		if (strcasecmp(z->name, name)) continue;
		seen = 1;
		if (z->type != type) continue;
		if (!strcmp(z->data, "TEMP")) return SPF_DNS_TEMP;
		for (p = z->data;; p = e + 1) {
			char one[4096];
			e = strchr(p, '|');
			if (!e) e = p + strlen(p);
			snprintf(one, sizeof one, "%.*s", (int)(e - p), p);
			if (type == SPF_RR_A || type == SPF_RR_AAAA) {
				char ip[16];
				if (scan_ip6(one, ip) != strlen(one)) return SPF_DNS_TEMP;
				spf_answer_add(out, type == SPF_RR_A ? ip + 12 : ip, type == SPF_RR_A ? 4 : 16);
			} else
				spf_answer_add(out, one, strlen(one));
			if (!*e) break;
		}
		return SPF_DNS_OK;
	}
	return seen ? SPF_DNS_NODATA : SPF_DNS_NXDOMAIN;
}

static struct spf_outcome out;

static enum spf_result run(const struct rr *z, const char *ip, const char *sender, const char *helo, const char *domain)
{
	struct spf_resolver r = { 0, fake };
	struct spf_query q;
	memset(&q, 0, sizeof q);
	if (scan_ip6(ip, (char *)q.ip) != strlen(ip)) {
		printf("# bad test ip %s\n", ip);
		return SPF_PERMERROR;
	}
	q.sender = sender;
	q.helo = helo;
	q.domain = domain;
	q.receiver = "mx.receiver.test";
	q.now = 1234567890;
	zone = z;
	queried[0] = 0;
	nqueries = 0;
	return spf_check_host(&r, &q, &out);
}

/* A check of one record published at example.com. */
static enum spf_result rec(const char *record, const char *ip)
{
	struct rr z[] = {
		{ SPF_RR_TXT, "example.com", record },
		{ SPF_RR_A, "example.com", "192.0.2.10|192.0.2.11" },
		{ SPF_RR_AAAA, "example.com", "2001:db8::10" },
		{ SPF_RR_A, "other.test", "198.51.100.7" },
		{ SPF_RR_AAAA, "other.test", "2001:db8:1::7" },
		{ SPF_RR_MX, "example.com", "mx1.example.com|mx2.example.com" },
		{ SPF_RR_A, "mx1.example.com", "192.0.2.20" },
		{ SPF_RR_A, "mx2.example.com", "192.0.2.21" },
		{ SPF_RR_AAAA, "mx2.example.com", "2001:db8::21" },
		{ SPF_RR_A, "yes.test", "127.0.0.2" },
		{ SPF_RR_A, "temp.test", "TEMP" },
		{ SPF_RR_TXT, "exists-only-txt.test", "hello" },
		{ SPF_RR_TXT, "pass.test", "v=spf1 +all" },
		{ SPF_RR_TXT, "fail.test", "v=spf1 -all" },
		{ SPF_RR_TXT, "soft.test", "v=spf1 ~all" },
		{ SPF_RR_TXT, "neutral.test", "v=spf1 ?all" },
		{ SPF_RR_TXT, "perm.test", "v=spf1 bogus" },
		{ SPF_RR_TXT, "tempspf.test", "TEMP" },
		{ SPF_RR_TXT, "ip4.test", "v=spf1 ip4:192.0.2.0/24 -all exp=why.test" },
		{ SPF_RR_TXT, "why.test", "%{i} is not allowed for %{d}" },
		{ 0, 0, 0 },
	};
	return run(z, ip, "strong-bad@example.com", "helo.example.com", "example.com");
}

#define V4 "::ffff:192.0.2.10"
#define V4B "::ffff:203.0.113.9"

static void record_selection(void)
{
	struct rr none[] = { { SPF_RR_A, "example.com", "192.0.2.1" }, { 0, 0, 0 } };
	struct rr txt[] = { { SPF_RR_TXT, "example.com", "google-site-verification=x|v=spf10 +all|v=spf1x" }, { 0, 0, 0 } };
	struct rr two[] = { { SPF_RR_TXT, "example.com", "v=spf1 +all|v=spf1 -all" }, { 0, 0, 0 } };
	struct rr upper[] = { { SPF_RR_TXT, "example.com", "other|V=SPF1 +all" }, { 0, 0, 0 } };
	struct rr temp[] = { { SPF_RR_TXT, "example.com", "TEMP" }, { 0, 0, 0 } };
	struct rr bare[] = { { SPF_RR_TXT, "example.com", "v=spf1" }, { 0, 0, 0 } };

	is_int(run(none, V4, "a@example.com", "h.test", "example.com"), SPF_NONE, "no TXT record: none");
	is_int(run(none, V4, "a@nxdomain.test", "h.test", "nxdomain.test"), SPF_NONE, "NXDOMAIN: none");
	is_int(run(txt, V4, "a@example.com", "h.test", "example.com"), SPF_NONE, "v=spf10 and v=spf1x are no SPF records");
	is_int(run(two, V4, "a@example.com", "h.test", "example.com"), SPF_PERMERROR, "two SPF records: permerror");
	is_int(run(upper, V4, "a@example.com", "h.test", "example.com"), SPF_PASS, "V=SPF1 in capitals is selected among others");
	is_int(run(temp, V4, "a@example.com", "h.test", "example.com"), SPF_TEMPERROR, "TXT lookup fails: temperror");
	is_int(run(bare, V4, "a@example.com", "h.test", "example.com"), SPF_NEUTRAL, "empty record: neutral");
	is_int(run(upper, V4, "a@com", "h.test", "com"), SPF_NONE, "single-label domain: none (4.3)");
	is_int(run(upper, V4, "a@example..com", "h.test", "example..com"), SPF_NONE, "empty label: none");
	is_int(nqueries, 0, "an invalid domain is not queried");
	{
		char big[400];
		memset(big, 'a', sizeof big - 1);
		big[sizeof big - 1] = 0;
		memcpy(big + 100, ".test", 5);
		is_int(run(upper, V4, "x@y", "h", big), SPF_NONE, "over-long domain: none");
	}
}

static void mechanisms(void)
{
	is_int(rec("v=spf1 -all", V4), SPF_FAIL, "-all: fail");
	is_int(rec("v=spf1 ~all", V4), SPF_SOFTFAIL, "~all: softfail");
	is_int(rec("v=spf1 ?all", V4), SPF_NEUTRAL, "?all: neutral");
	is_int(rec("v=spf1 all", V4), SPF_PASS, "all: pass");
	is_int(rec("v=spf1 ALL", V4), SPF_PASS, "mechanism names are case-insensitive");
	is_int(rec("v=spf1  -all  ", V4), SPF_FAIL, "extra spaces are allowed");
	is_int(rec("v=spf1 all:x", V4), SPF_PERMERROR, "all with an argument: permerror");

	/* ip4 / ip6 */
	is_int(rec("v=spf1 ip4:192.0.2.0/24 -all", V4), SPF_PASS, "ip4/24 matches");
	is_int(rec("v=spf1 ip4:192.0.2.10 -all", V4), SPF_PASS, "ip4 without length is /32");
	is_int(rec("v=spf1 ip4:192.0.2.11 -all", V4), SPF_FAIL, "ip4 /32 other address");
	is_int(rec("v=spf1 ip4:0.0.0.0/0 -all", V4B), SPF_PASS, "ip4/0 matches everything IPv4");
	is_int(rec("v=spf1 ip4:0.0.0.0/0 -all", "2001:db8::1"), SPF_FAIL, "ip4 never matches IPv6");
	is_int(rec("v=spf1 ip4:192.0.2.0/25 -all", "::ffff:192.0.2.130"), SPF_FAIL, "ip4/25 excludes .130");
	is_int(rec("v=spf1 ip4:192.0.2.0/33 -all", V4), SPF_PERMERROR, "ip4/33: permerror");
	is_int(rec("v=spf1 ip4:192.0.2 -all", V4), SPF_PERMERROR, "ip4 with three parts: permerror");
	is_int(rec("v=spf1 ip4:192.0.2.256 -all", V4), SPF_PERMERROR, "ip4 part over 255: permerror");
	is_int(rec("v=spf1 ip4:192.0.2.0/ -all", V4), SPF_PERMERROR, "ip4 with empty length: permerror");
	is_int(rec("v=spf1 ip6:2001:db8::/32 -all", "2001:db8:ffff::1"), SPF_PASS, "ip6/32 matches");
	is_int(rec("v=spf1 ip6:2001:db8::/32 -all", "2001:db9::1"), SPF_FAIL, "ip6/32 no match");
	is_int(rec("v=spf1 ip6:2001:db8::1 -all", "2001:db8::1"), SPF_PASS, "ip6 without length is /128");
	is_int(rec("v=spf1 ip6:::/0 -all", V4), SPF_FAIL, "ip6 never matches an IPv4 client");
	is_int(rec("v=spf1 ip6:2001:db8::/129 -all", V4), SPF_PERMERROR, "ip6/129: permerror");
	is_int(rec("v=spf1 ip6:2001:zz8:: -all", V4), SPF_PERMERROR, "bad ip6: permerror");
	is_int(rec("v=spf1 ip6:192.0.2.1 -all", V4), SPF_PERMERROR, "ip6 with an IPv4 address: permerror");

	/* a */
	is_int(rec("v=spf1 a -all", V4), SPF_PASS, "a: the domain's A record");
	is_int(rec("v=spf1 a -all", V4B), SPF_FAIL, "a: other address");
	is_int(rec("v=spf1 a:other.test -all", "::ffff:198.51.100.7"), SPF_PASS, "a:other");
	is_int(rec("v=spf1 a/24 -all", "::ffff:192.0.2.99"), SPF_PASS, "a/24");
	is_int(rec("v=spf1 a -all", "2001:db8::10"), SPF_PASS, "a: AAAA for an IPv6 client");
	is_int(rec("v=spf1 a//64 -all", "2001:db8::ffff:1"), SPF_PASS, "a//64");
	is_int(rec("v=spf1 a/24//64 -all", "2001:db8::ffff:1"), SPF_PASS, "a/24//64, IPv6 client");
	is_int(rec("v=spf1 a/24//64 -all", "::ffff:192.0.2.200"), SPF_PASS, "a/24//64, IPv4 client");
	is_int(rec("v=spf1 a:other.test/24//120 -all", "2001:db8:1::99"), SPF_PASS, "a:domain/24//120");
	is_int(rec("v=spf1 a:other.test/24//120 -all", "2001:db8:1::1:99"), SPF_FAIL, "a:domain//120 no match");
	is_int(rec("v=spf1 a/33 -all", V4), SPF_PERMERROR, "a/33: permerror");
	is_int(rec("v=spf1 a: -all", V4), SPF_PERMERROR, "a: with nothing after: permerror");
	is_int(rec("v=spf1 a:temp.test -all", V4), SPF_TEMPERROR, "a: DNS error: temperror");
	is_int(rec("v=spf1 a:nothing.test -all", V4), SPF_FAIL, "a: NXDOMAIN does not match");

	/* mx */
	is_int(rec("v=spf1 mx -all", "::ffff:192.0.2.21"), SPF_PASS, "mx: second MX host");
	is_int(rec("v=spf1 mx -all", V4), SPF_FAIL, "mx: not an MX host");
	is_int(rec("v=spf1 mx/24 -all", "::ffff:192.0.2.99"), SPF_PASS, "mx/24");
	is_int(rec("v=spf1 mx -all", "2001:db8::21"), SPF_PASS, "mx: AAAA of the MX host");
	is_int(rec("v=spf1 mx:other.test -all", V4), SPF_FAIL, "mx: domain without MX");
	{
		struct rr z[] = {
			{ SPF_RR_TXT, "example.com", "v=spf1 mx -all" },
			{ SPF_RR_MX, "example.com", "m1.t|m2.t|m3.t|m4.t|m5.t|m6.t|m7.t|m8.t|m9.t|m10.t|m11.t" },
			{ SPF_RR_A, "m1.t", "192.0.2.10" }, { 0, 0, 0 },
		};
		struct rr ten[] = {
			{ SPF_RR_TXT, "example.com", "v=spf1 mx -all" },
			{ SPF_RR_MX, "example.com", "m1.t|m2.t|m3.t|m4.t|m5.t|m6.t|m7.t|m8.t|m9.t|m10.t" },
			{ SPF_RR_A, "m1.t", "192.0.2.1" }, { SPF_RR_A, "m2.t", "192.0.2.1" }, { SPF_RR_A, "m3.t", "192.0.2.1" },
			{ SPF_RR_A, "m4.t", "192.0.2.1" }, { SPF_RR_A, "m5.t", "192.0.2.1" }, { SPF_RR_A, "m6.t", "192.0.2.1" },
			{ SPF_RR_A, "m7.t", "192.0.2.1" }, { SPF_RR_A, "m8.t", "192.0.2.1" }, { SPF_RR_A, "m9.t", "192.0.2.1" },
			{ SPF_RR_A, "m10.t", "192.0.2.10" }, { 0, 0, 0 },
		};
		is_int(run(z, V4, "a@example.com", "h", "example.com"), SPF_PERMERROR, "mx: 11 MX names: permerror (4.6.4)");
		is_int(run(ten, V4, "a@example.com", "h", "example.com"), SPF_PASS, "mx: the tenth of 10 MX names is looked at");
	}

	/* ptr */
	{
		struct rr z[] = {
			{ SPF_RR_TXT, "example.com", "v=spf1 ptr -all" },
			{ SPF_RR_TXT, "other.test", "v=spf1 ptr:other.test -all" },
			{ SPF_RR_PTR, "10.2.0.192.in-addr.arpa", "liar.other.test|mail.example.com" },
			{ SPF_RR_A, "liar.other.test", "192.0.2.99" },
			{ SPF_RR_A, "mail.example.com", "192.0.2.10" },
			{ SPF_RR_PTR, "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", "v6.example.com" },
			{ SPF_RR_AAAA, "v6.example.com", "2001:db8::1" },
			{ 0, 0, 0 },
		};
		is_int(run(z, V4, "a@example.com", "h", "example.com"), SPF_PASS, "ptr: validated name under the domain");
		is_int(run(z, V4, "a@other.test", "h", "other.test"), SPF_FAIL, "ptr: a name that does not point back is not validated");
		is_int(run(z, "2001:db8::1", "a@example.com", "h", "example.com"), SPF_PASS, "ptr: IPv6 reverse name");
		is_int(run(z, V4B, "a@example.com", "h", "example.com"), SPF_FAIL, "ptr: no PTR record, no match");
	}

	/* exists */
	is_int(rec("v=spf1 exists:yes.test -all", V4), SPF_PASS, "exists: an A record");
	is_int(rec("v=spf1 exists:no.test -all", V4), SPF_FAIL, "exists: none");
	is_int(rec("v=spf1 exists:yes.test -all", "2001:db8::99"), SPF_PASS, "exists asks for A even for IPv6");
	ok(strstr(queried, "A yes.test\n") != 0, "exists: the query was of type A");
	is_int(rec("v=spf1 exists:temp.test -all", V4), SPF_TEMPERROR, "exists: DNS error: temperror");
	is_int(rec("v=spf1 exists -all", V4), SPF_PERMERROR, "exists without a domain: permerror");

	/* an IPv4-mapped client is IPv4 */
	is_int(rec("v=spf1 ip4:192.0.2.10 -all", "::ffff:192.0.2.10"), SPF_PASS, "ip4 matches an IPv4-mapped client");
	is_int(rec("v=spf1 ip6:::ffff:0:0/96 -all", "::ffff:192.0.2.10"), SPF_FAIL, "ip6 does not match an IPv4-mapped client");
}

static void syntax(void)
{
	is_int(rec("v=spf1 foo -all", V4), SPF_PERMERROR, "unknown mechanism: permerror");
	is_int(rec("v=spf1 +all foo", V4), SPF_PERMERROR, "syntax error after the match: still permerror (4.6)");
	is_int(rec("v=spf1 foo=bar -all", V4), SPF_FAIL, "unknown modifier ignored");
	is_int(rec("v=spf1 foo.bar-1=%{d} -all", V4), SPF_FAIL, "unknown modifier with a macro ignored");
	is_int(rec("v=spf1 foo=%x -all", V4), SPF_PERMERROR, "unknown modifier with a bad macro: permerror");
	is_int(rec("v=spf1 1foo=bar -all", V4), SPF_PERMERROR, "a modifier name starts with a letter");
	is_int(rec("v=spf1 -redirect=pass.test", V4), SPF_PERMERROR, "a qualifier on a modifier: permerror");
	is_int(rec("v=spf1 redirect=pass.test redirect=fail.test", V4), SPF_PERMERROR, "two redirect=: permerror");
	is_int(rec("v=spf1 exp=a.test exp=b.test -all", V4), SPF_PERMERROR, "two exp=: permerror");
	is_int(rec("v=spf1 include:", V4), SPF_PERMERROR, "include: without domain: permerror");
	is_int(rec("v=spf1 ptr/24 -all", V4), SPF_PERMERROR, "ptr takes no CIDR length");
	is_int(rec("v=spf1 -all\tfoo", V4), SPF_PERMERROR, "a tab is no separator: permerror");
	{
		char r[SPF_RECORD_MAX + 20];
		size_t n = 0;
		n += (size_t)sprintf(r, "v=spf1");
		while (n < SPF_RECORD_MAX - 10) n += (size_t)sprintf(r + n, " ip4:1.2.3.4");
		r[n] = 0;
		is_int(rec(r, V4), SPF_PERMERROR, "more than SPF_TERMS_MAX terms: permerror");
		n = (size_t)sprintf(r, "v=spf1 -all x=");
		while (n < SPF_RECORD_MAX + 5) r[n++] = 'y';
		r[n] = 0;
		is_int(rec(r, V4), SPF_PERMERROR, "a record over SPF_RECORD_MAX bytes: permerror");
		r[SPF_RECORD_MAX - 5] = 0;
		is_int(rec(r, V4), SPF_FAIL, "a record just under the bound is read");
	}
}

static void include_redirect(void)
{
	is_int(rec("v=spf1 include:pass.test -all", V4), SPF_PASS, "include of pass matches");
	is_int(rec("v=spf1 -include:pass.test +all", V4), SPF_FAIL, "-include of pass: fail");
	is_int(rec("v=spf1 include:fail.test -all", V4), SPF_FAIL, "include of fail does not match, -all does");
	is_int(rec("v=spf1 include:fail.test +all", V4), SPF_PASS, "include of fail does not match, +all does");
	is_int(rec("v=spf1 include:soft.test include:neutral.test ?all", V4), SPF_NEUTRAL, "include of softfail/neutral no match");
	is_int(rec("v=spf1 include:nothing.test +all", V4), SPF_PERMERROR, "include of a domain without record: permerror");
	is_int(rec("v=spf1 include:exists-only-txt.test +all", V4), SPF_PERMERROR, "include of a none: permerror");
	is_int(rec("v=spf1 include:perm.test +all", V4), SPF_PERMERROR, "include of a permerror: permerror");
	is_int(rec("v=spf1 include:tempspf.test +all", V4), SPF_TEMPERROR, "include of a temperror: temperror");
	is_int(rec("v=spf1 ip4:192.0.2.10 include:perm.test", V4), SPF_PASS, "terms after a match are not evaluated");

	is_int(rec("v=spf1 redirect=fail.test", V4), SPF_FAIL, "redirect: the target's result");
	is_int(rec("v=spf1 ip4:192.0.2.10 redirect=fail.test", V4), SPF_PASS, "redirect only when nothing matched");
	is_int(rec("v=spf1 redirect=fail.test ?all", V4), SPF_NEUTRAL, "redirect ignored with all");
	is_int(rec("v=spf1 redirect=nothing.test", V4), SPF_PERMERROR, "redirect to none: permerror");
	is_int(rec("v=spf1 redirect=tempspf.test", V4), SPF_TEMPERROR, "redirect to temperror");
	is_int(rec("v=spf1 redirect=ip4.test", V4B), SPF_FAIL, "redirect to a record with exp=");
	is_str(out.explanation, "203.0.113.9 is not allowed for ip4.test", "redirect: the target's exp=, with its %{d}");
	is_int(rec("v=spf1 redirect=fail.test exp=why.test", V4B), SPF_FAIL, "redirect from a record with exp=");
	is_str(out.explanation, "", "redirect: the original exp= is not used (6.2)");
	is_int(rec("v=spf1 include:ip4.test -all", V4B), SPF_FAIL, "include of a fail with exp=");
	is_str(out.explanation, "", "include: the included exp= is not used");
}

static void limits(void)
{
	char r[1024];
	int i;
	struct rr z[40];
	static char names[30][32];

	/* 10 terms that cause lookups are fine, the 11th is a permerror */
	for (i = 0; i < 12; i++) {
		snprintf(names[i], sizeof names[i], "h%d.test", i);
		z[i] = (struct rr){ SPF_RR_A, names[i], "198.51.100.1" };
	}
	z[12] = (struct rr){ SPF_RR_TXT, "example.com", r };
	z[13] = (struct rr){ 0, 0, 0 };
	strcpy(r, "v=spf1");
	for (i = 0; i < 10; i++) sprintf(r + strlen(r), " a:h%d.test", i);
	strcat(r, " -all");
	is_int(run(z, V4, "a@example.com", "h", "example.com"), SPF_FAIL, "10 DNS-lookup terms: evaluated");
	is_int(out.lookups, 10, "10 lookups counted");
	strcpy(r, "v=spf1");
	for (i = 0; i < 11; i++) sprintf(r + strlen(r), " a:h%d.test", i);
	strcat(r, " -all");
	is_int(run(z, V4, "a@example.com", "h", "example.com"), SPF_PERMERROR, "11 DNS-lookup terms: permerror");
	strcpy(r, "v=spf1");
	for (i = 0; i < 10; i++) sprintf(r + strlen(r), " a:h%d.test", i);
	strcat(r, " redirect=h10.test");
	is_int(run(z, V4, "a@example.com", "h", "example.com"), SPF_PERMERROR, "redirect= counts as a lookup");
	strcpy(r, "v=spf1");
	for (i = 0; i < 30; i++) sprintf(r + strlen(r), " ip4:198.51.100.%d", i);
	strcat(r, " -all");
	is_int(run(z, V4, "a@example.com", "h", "example.com"), SPF_FAIL, "ip4 terms cost no lookup");

	/* includes count, also nested ones, and a loop ends in permerror */
	{
		struct rr loop[] = { { SPF_RR_TXT, "example.com", "v=spf1 include:example.com -all" }, { 0, 0, 0 } };
		struct rr rloop[] = { { SPF_RR_TXT, "example.com", "v=spf1 redirect=example.com" }, { 0, 0, 0 } };
		is_int(run(loop, V4, "a@example.com", "h", "example.com"), SPF_PERMERROR, "include loop: permerror");
		is_int(out.lookups, 11, "include loop stops at the 11th lookup");
		is_int(run(rloop, V4, "a@example.com", "h", "example.com"), SPF_PERMERROR, "redirect loop: permerror");
	}

	/* void lookups: two are fine, the third is a permerror */
	is_int(rec("v=spf1 a:no1.test a:no2.test -all", V4), SPF_FAIL, "two void lookups: fine");
	is_int(out.voids, 2, "two voids counted");
	is_int(rec("v=spf1 a:no1.test a:no2.test a:no3.test -all", V4), SPF_PERMERROR, "three void lookups: permerror");
	is_int(rec("v=spf1 a:no1.test mx:other.test exists:no3.test -all", V4), SPF_PERMERROR,
	       "NODATA counts as void as well as NXDOMAIN");
	is_int(rec("v=spf1 a:no1.test a:no2.test ip4:192.0.2.10 a:no3.test -all", V4), SPF_PASS,
	       "a void lookup that is never made does not count");
}

/* The examples of RFC 7208 7.4, through exists: (which queries what the
 * macro expands to); ".m.test" makes each one a query-able name. */
static void macros(void)
{
	static const char *const ex[][2] = {
		{ "%{s}", "strong-bad@email.example.com" },
		{ "%{o}", "email.example.com" },
		{ "%{d}", "email.example.com" },
		{ "%{d4}", "email.example.com" },
		{ "%{d3}", "email.example.com" },
		{ "%{d2}", "example.com" },
		{ "%{d1}", "com" },
		{ "%{dr}", "com.example.email" },
		{ "%{d2r}", "example.email" },
		{ "%{l}", "strong-bad" },
		{ "%{l-}", "strong.bad" },
		{ "%{lr}", "strong-bad" },
		{ "%{lr-}", "bad.strong" },
		{ "%{l1r-}", "strong" },
		{ "%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com" },
		{ "%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com" },
		{ "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com" },
		{ "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com" },
		{ "%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net" },
		{ "%{h}", "mx.example.org" },
		{ "%{i}", "192.0.2.3" },
		{ "%{D}", "email.example.com" },
		{ "%{L}", "strong-bad" },
		{ "%{d99}", "email.example.com" },
		{ "%{d2R}", "example.email" },
		{ "%{l-+}", "strong.bad" },
		{ "%{p}", "unknown" },
	};
	size_t i;
	char r[256], want[300];
	struct rr z[] = { { SPF_RR_TXT, "email.example.com", r }, { 0, 0, 0 } };

	for (i = 0; i < sizeof ex / sizeof *ex; i++) {
		snprintf(r, sizeof r, "v=spf1 exists:%s.m.test -all", ex[i][0]);
		snprintf(want, sizeof want, "A %s.m.test\n", ex[i][1]);
		run(z, "::ffff:192.0.2.3", "strong-bad@email.example.com", "mx.example.org", "email.example.com");
		if (!ok(strstr(queried, want) != 0, ex[i][0])) printf("#   queried:\n%s#   want %s", queried, want);
	}
	strcpy(r, "v=spf1 exists:%{ir}.%{v}._spf.%{d2} -all");
	run(z, "2001:db8::cb01", "strong-bad@email.example.com", "mx.example.org", "email.example.com");
	ok(strstr(queried, "A 1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com\n") != 0,
	   "IPv6 %{ir}.%{v}._spf.%{d2} (7.4)");

	/* URL escaping of capitals: all but unreserved characters */
	strcpy(r, "v=spf1 exists:%{L}.%{S}.m.test -all");
	run(z, "::ffff:192.0.2.3", "a+b~c/d@email.example.com", "h.test", "email.example.com");
	ok(strstr(queried, "A a%2Bb~c%2Fd.a%2Bb~c%2Fd%40email.example.com.m.test\n") != 0, "%{L} %{S} are URL-escaped");

	/* no sender: postmaster@helo */
	strcpy(r, "v=spf1 exists:%{l}.%{o}.%{s}.m.test -all");
	run(z, "::ffff:192.0.2.3", "", "email.example.com", "email.example.com");
	ok(strstr(queried, "A postmaster.email.example.com.postmaster@email.example.com.m.test\n") != 0,
	   "empty sender: postmaster@helo");
	run(z, "::ffff:192.0.2.3", "@email.example.com", "h", "email.example.com");
	ok(strstr(queried, "A postmaster.email.example.com.postmaster@email.example.com.m.test\n") != 0,
	   "no local part: postmaster");

	/* errors */
	{
		static const char *const bad[] = {
			"%{x}", "%{d0}", "%{c}", "%{r}", "%{t}", "%x", "%", "%{d", "%{}", "%{d2r-!}", "%{ d}",
		};
		for (i = 0; i < sizeof bad / sizeof *bad; i++) {
			char name[64];
			snprintf(r, sizeof r, "v=spf1 exists:%s.m.test -all", bad[i]);
			snprintf(name, sizeof name, "bad macro %s: permerror", bad[i]);
			is_int(run(z, "::ffff:192.0.2.3", "a@email.example.com", "h", "email.example.com"), SPF_PERMERROR, name);
		}
	}
	/* %% %_ %- outside a name make it invalid as a query, but are syntax */
	strcpy(r, "v=spf1 exists:a%%b.m.test -all");
	run(z, "::ffff:192.0.2.3", "a@email.example.com", "h", "email.example.com");
	ok(strstr(queried, "A a%b.m.test\n") != 0, "%% is a percent sign");

	/* a long expansion loses labels on the left (7.3) */
	strcpy(r, "v=spf1 exists:%{s}.%{s}.%{s}.%{s}.%{s}.m.test -all");
	{
		char sender[200], *q, *nl;
		size_t n;
		memset(sender, 'x', 40);
		memcpy(sender + 40, "@email.example.com", 19);
		run(z, "::ffff:192.0.2.3", sender, "h", "email.example.com");
		q = strstr(queried, "A ");
		nl = q ? strchr(q, '\n') : 0;
		n = nl ? (size_t)(nl - q - 2) : 0;
		ok(q && n <= 253 && n > 150, "the expanded name is cut to at most 253 bytes");
		ok(q && !strncmp(q + 2, "com.", 4), "cut at a label boundary, from the left");
	}
	/* %{p}: the validated name of the client */
	{
		struct rr pz[] = {
			{ SPF_RR_TXT, "email.example.com", "v=spf1 exists:%{p}.m.test -all" },
			{ SPF_RR_PTR, "3.2.0.192.in-addr.arpa", "bogus.test|mx.email.example.com" },
			{ SPF_RR_A, "mx.email.example.com", "192.0.2.3" },
			{ 0, 0, 0 },
		};
		run(pz, "::ffff:192.0.2.3", "a@email.example.com", "h", "email.example.com");
		ok(strstr(queried, "A mx.email.example.com.m.test\n") != 0, "%{p} is the validated name");
	}
}

static void explanations(void)
{
	struct rr z[] = {
		{ SPF_RR_TXT, "example.com", "v=spf1 -all exp=explain.%{d}" },
		{ SPF_RR_TXT, "explain.example.com", "%{S} from %{c} (%{i}) at %{r} %{t}: see http://%{d}/why?%{l}%%%_%-" },
		{ SPF_RR_TXT, "two.test", "v=spf1 -all exp=twotxt.test" },
		{ SPF_RR_TXT, "twotxt.test", "one|two" },
		{ SPF_RR_TXT, "badm.test", "v=spf1 -all exp=badmacro.test" },
		{ SPF_RR_TXT, "badmacro.test", "oops %{x}" },
		{ SPF_RR_TXT, "missing.test", "v=spf1 -all exp=nowhere.test" },
		{ SPF_RR_TXT, "soft.test", "v=spf1 ~all exp=explain.example.com" },
		{ SPF_RR_TXT, "v6.test", "v=spf1 -all exp=v6why.test" },
		{ SPF_RR_TXT, "v6why.test", "%{c} %{v}" },
		{ 0, 0, 0 },
	};
	is_int(run(z, V4B, "who+me@example.com", "h", "example.com"), SPF_FAIL, "fail with exp=");
	is_str(out.explanation, "who%2Bme%40example.com from 203.0.113.9 (203.0.113.9) at mx.receiver.test 1234567890: "
	       "see http://example.com/why?who+me% %20", "exp= expanded with c r t and escapes");
	run(z, V4B, "a@two.test", "h", "two.test");
	is_str(out.explanation, "", "exp= with two TXT records: no explanation");
	is_int(run(z, V4B, "a@badm.test", "h", "badm.test"), SPF_FAIL, "exp= with a bad macro: still fail");
	is_str(out.explanation, "", "exp= with a bad macro: no explanation");
	is_int(run(z, V4B, "a@missing.test", "h", "missing.test"), SPF_FAIL, "exp= without record: still fail");
	is_str(out.explanation, "", "exp= without record: no explanation");
	is_int(out.lookups, 0, "exp= costs no lookup");
	run(z, V4B, "a@soft.test", "h", "soft.test");
	is_str(out.explanation, "", "exp= only on fail");
	run(z, "2001:db8::1", "a@v6.test", "h", "v6.test");
	is_str(out.explanation, "2001:db8::1 ip6", "%{c} of IPv6 in exp=");
}

static void answers(void)
{
	struct spf_answer a;
	char big[SPF_RECORD_MAX + 100];
	int i, n = 0;
	memset(&a, 0, sizeof a);
	memset(big, 'x', sizeof big);
	ok(spf_answer_add(&a, big, sizeof big), "a long record is kept");
	is_int(a.len[0], SPF_RECORD_MAX + 1, "... cut to SPF_RECORD_MAX + 1 bytes");
	for (i = 0; i < 1000; i++) n += spf_answer_add(&a, "1234", 4);
	ok(a.overflow && a.n == SPF_ANSWER_RRS, "an answer keeps at most SPF_ANSWER_RRS records");
	is_str(spf_result_name(SPF_SOFTFAIL), "softfail", "result names");
	is_str(spf_result_name(SPF_TEMPERROR), "temperror", "result names");
}

static int eval(void)
{
	static char input[65536], *lines[256];
	static struct rr z[256];
	char ip[100], sender[600], helo[300], domain[300];
	size_t n = fread(input, 1, sizeof input - 1, stdin);
	int nl = 0, i;
	char *p, *save = 0;

	input[n] = 0;
	for (p = strtok_r(input, "\n", &save); p && nl < 256; p = strtok_r(0, "\n", &save)) lines[nl++] = p;
	if (nl < 1 || sscanf(lines[0], "%99s %599s %299s %299s", ip, sender, helo, domain) != 4) return 2;
	if (!strcmp(sender, "-")) sender[0] = 0;
	for (i = 1; i < nl; i++) {
		char *name = lines[i] + 2, *data = strchr(name, ' ');
		static const char types[] = "TA6MP";
		const char *t = strchr(types, lines[i][0]);
		if (!data || lines[i][1] != ' ') return 2;
		*data++ = 0;
		if (lines[i][0] == 'E') {
			z[i - 1] = (struct rr){ SPF_RR_TXT, name, "TEMP" };
			continue;
		}
		if (!t) return 2;
		z[i - 1] = (struct rr){ (enum spf_rrtype[]){ SPF_RR_TXT, SPF_RR_A, SPF_RR_AAAA, SPF_RR_MX, SPF_RR_PTR }[t - types],
		                        name, data };
	}
	z[nl - 1] = (struct rr){ 0, 0, 0 };
	run(z, ip, sender, helo, domain);
	printf("%s %s\n", spf_result_name(out.result), out.explanation);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--eval")) return eval();
	record_selection();
	mechanisms();
	syntax();
	include_redirect();
	limits();
	macros();
	explanations();
	answers();
	return tap_done();
}
