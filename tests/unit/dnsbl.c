/* Unit tests of lib/dnsbl: query names (IPv4, IPv6, mapped), the zone
 * file parser (valid, hostile, bounds), answers against code ranges, score,
 * verdict, TXT reasons, and dnsbl_check through a fake resolver. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tap.h"
#include "dnsbl.h"

static void qname_tests(void)
{
	char q[DNSBL_QNAME_MAX];
	char zone[DNSBL_ZONE_MAX + 1];

	ok(dnsbl_qname(q, "192.0.2.99", "zen.example") == 0, "IPv4 query name");
	is_str(q, "99.2.0.192.zen.example", "IPv4 octets reversed (RFC 5782 2.1)");
	ok(dnsbl_qname(q, "::ffff:127.0.0.2", "bl.example") == 0, "mapped IPv4");
	is_str(q, "2.0.0.127.bl.example", "mapped IPv4 is queried as IPv4");
	ok(dnsbl_qname(q, "2001:db8:1:2:3:4:567:89ab", "bl.example") == 0, "IPv6 query name");
	is_str(q, "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.bl.example",
	       "IPv6 nibbles reversed (RFC 5782 2.4 example)");
	ok(dnsbl_qname(q, "::1", "x") == 0 && strlen(q) == 64 + 1, "IPv6 ::1 has 32 nibbles");
	ok(dnsbl_qname(q, "1.2.3", "x") < 0, "short IPv4 refused");
	ok(dnsbl_qname(q, "1.2.3.4 ", "x") < 0, "trailing space refused");
	ok(dnsbl_qname(q, "fe80::1%eth0", "x") < 0, "scoped address refused");
	ok(dnsbl_qname(q, "", "x") < 0, "empty address refused");
	ok(dnsbl_qname(q, "1.2.3.4.example", "x") < 0, "name instead of address refused");
	memset(zone, 'a', DNSBL_ZONE_MAX);
	zone[DNSBL_ZONE_MAX] = 0;
	ok(dnsbl_qname(q, "ffff::1", zone) == 0 && strlen(q) == 253, "longest zone fits an IPv6 name in 253");
}

struct bad { const char *name, *text; unsigned line; const char *why; };

static const struct bad bad[] = {
	{"zone without weight", "zen.example\n", 1, "zone needs a weight"},
	{"weight not a number", "a.example ten\n", 1, "invalid weight"},
	{"weight too large", "a.example 1001\n", 1, "weight out of range"},
	{"weight overflow", "a.example 99999999999999999999\n", 1, "weight out of range"},
	{"sign alone", "a.example -\n", 1, "invalid weight"},
	{"four fields", "a.example 1 127.0.0.2 x\n", 1, "too many fields (zone weight [codes])"},
	{"code not an address", "a.example 1 127.0.0.x\n", 1, "invalid return code"},
	{"code outside 127/8", "\n# c\na.example 1 10.0.0.2\n", 3, "return code outside 127.0.0.0/8"},
	{"backwards range", "a.example 1 127.0.0.9-127.0.0.2\n", 1, "return code range backwards"},
	{"empty code", "a.example 1 127.0.0.2,,127.0.0.3\n", 1, "empty return code"},
	{"trailing comma", "a.example 1 127.0.0.2,\n", 1, "empty return code"},
	{"too many ranges", "a.example 1 127.0.0.1,127.0.0.2,127.0.0.3,127.0.0.4,127.0.0.5,"
	 "127.0.0.6,127.0.0.7,127.0.0.8,127.0.0.9\n", 1, "too many return code ranges"},
	{"bad zone char", "a_b!.example 1\n", 1, "invalid zone name"},
	{"empty label", "a..example 1\n", 1, "invalid zone name"},
	{"two final dots", "a.example.. 1\n", 1, "invalid zone name"},
	{"leading hyphen", "-a.example 1\n", 1, "invalid zone name"},
	{"zone listed twice", "a.example 1\nA.EXAMPLE. 2\n", 2, "zone listed twice"},
	{"NUL byte", "a.example 1\nb.exa\0mple 1\n", 2, "NUL byte in file"},
	{"long label", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example 1\n",
	 1, "zone name label too long"},
};

static void parse_tests(void)
{
	struct dnsbl_list l;
	const char *why;
	unsigned line, i;
	static const char good[] =
		"# block lists\n"
		"zen.spamhaus.org 10 127.0.0.2-127.0.0.11\r\n"
		"\t bl.example.net.\t5   127.0.0.2,127.0.0.4-127.0.0.7  \n"
		"\n"
		"List.DNSWL.org -10 127.0.0.0-127.0.255.254\n"
		"plain.example +3";
	char *big;

	ok(dnsbl_parse(&l, good, sizeof good - 1, &why, &line) == 0, "valid zone file");
	is_int(l.n, 4, "four zones");
	is_str(l.z[0].name, "zen.spamhaus.org", "zone 1 name");
	is_int(l.z[0].weight, 10, "zone 1 weight");
	is_int(l.z[0].nranges, 1, "zone 1 one range");
	is_int(l.z[0].line, 2, "zone 1 line");
	is_str(l.z[1].name, "bl.example.net", "final dot dropped");
	is_int(l.z[1].nranges, 2, "two ranges");
	is_str(l.z[2].name, "list.dnswl.org", "zone lower-cased");
	is_int(l.z[2].weight, -10, "negative weight (allowlist)");
	is_int(l.z[3].weight, 3, "plus sign, no final newline");
	is_int(l.z[3].nranges, 0, "no codes: default");
	ok(dnsbl_parse(&l, "", 0, &why, &line) == 0 && l.n == 0, "empty file");

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char name[128];
		int r = dnsbl_parse(&l, bad[i].text, strlen(bad[i].text) + (strstr(bad[i].name, "NUL") ? 8 : 0),
				    &why, &line);
		snprintf(name, sizeof name, "refused: %s", bad[i].name);
		ok(r < 0, name);
		is_str(why, bad[i].why, "  reason");
		is_int(line, bad[i].line, "  line");
	}

	big = malloc(DNSBL_LINE_MAX + 10);
	memset(big, 'a', DNSBL_LINE_MAX + 9);
	big[DNSBL_LINE_MAX + 9] = '\n';
	ok(dnsbl_parse(&l, big, DNSBL_LINE_MAX + 10, &why, &line) < 0 && !strcmp(why, "line too long"),
	   "line over DNSBL_LINE_MAX refused");
	free(big);
	{
		stralloc s = {0};
		char b[64];
		for (i = 0; i <= DNSBL_ZONES_MAX; i++) {
			snprintf(b, sizeof b, "z%u.example 1\n", i);
			stralloc_cats(&s, b);
		}
		ok(dnsbl_parse(&l, s.s, s.len, &why, &line) < 0 && !strcmp(why, "too many zones")
		   && line == DNSBL_ZONES_MAX + 1, "zone count bounded");
		stralloc_free(&s);
	}
	big = malloc(DNSBL_FILE_MAX + 1);
	memset(big, '\n', DNSBL_FILE_MAX + 1);
	ok(dnsbl_parse(&l, big, DNSBL_FILE_MAX + 1, &why, &line) < 0 && !strcmp(why, "file too large"),
	   "file size bounded");
	free(big);
}

/* Fake resolver: a table of name -> A answers (or -1 tempfail) and TXT. */
struct rr { const char *name; int rc; const char *a; size_t alen; const char *txt; };
static const struct rr *fake;
static unsigned a_calls, txt_calls;

static int fake_a(void *ctx, stralloc *out, const char *name)
{
	const struct rr *r;
	a_calls++;
	for (r = fake; r->name; r++)
		if (!strcmp(r->name, name)) {
			if (r->rc < 0) return -1;
			return stralloc_copyb(out, r->a, r->alen) ? 0 : -1;
		}
	return 0;
}

static int fake_txt(void *ctx, stralloc *out, const char *name)
{
	const struct rr *r;
	txt_calls++;
	for (r = fake; r->name; r++)
		if (!strcmp(r->name, name) && r->txt) return stralloc_copys(out, r->txt) ? 0 : -1;
	return 0;
}

static void check_tests(void)
{
	struct dnsbl_list l;
	struct dnsbl_query q[DNSBL_ZONES_MAX];
	struct dnsbl_result r;
	char reason[DNSBL_REASON_MAX + 1];
	const char *why;
	unsigned line;
	static const char zones[] =
		"zen.example 10 127.0.0.2-127.0.0.11\n"
		"small.example 3\n"
		"wl.example -8 127.0.10.0-127.0.10.3\n"
		"down.example 4\n";
	static const struct rr rrs[] = {
		/* 192.0.2.1: listed by zen (two A records, the second counts) */
		{"1.2.0.192.zen.example", 0, "\x7f\x00\x00\x0c\x7f\x00\x00\x04", 8,
		 "Listed\r\n see\thttps://zen.example/q?1.2.0.192 \x01\xff"},
		/* and by small with the refused-resolver code, which must not count */
		{"1.2.0.192.small.example", 0, "\x7f\xff\xff\xfe", 4, 0},
		{"1.2.0.192.down.example", -1, 0, 0, 0},
		/* 192.0.2.2: zen and small and the allowlist */
		{"2.2.0.192.zen.example", 0, "\x7f\x00\x00\x02", 4, "zen says no"},
		{"2.2.0.192.small.example", 0, "\x7f\x00\x00\x02", 4, "small says no"},
		{"2.2.0.192.wl.example", 0, "\x7f\x00\x0a\x02", 4, 0},
		/* 192.0.2.3: small only, 127.0.0.1 does not count, 10.x neither */
		{"3.2.0.192.small.example", 0, "\x0a\x00\x00\x02\x7f\x00\x00\x01", 8, 0},
		{"3.2.0.192.zen.example", 0, "\x7f\x00\x00\x0c", 4, 0},
		/* 2001:db8::1 on zen */
		{"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.zen.example", 0,
		 "\x7f\x00\x00\x03", 4, "v6 listed"},
		{0, 0, 0, 0, 0},
	};
	struct dnsbl_dns dns = {0, fake_a, fake_txt};

	fake = rrs;
	ok(dnsbl_parse(&l, zones, sizeof zones - 1, &why, &line) == 0, "zones for check");

	a_calls = txt_calls = 0;
	ok(dnsbl_check(&l, "192.0.2.1", &dns, q, &r, reason) == 0, "check 192.0.2.1");
	is_int(a_calls, 4, "one A query per zone");
	is_int(q[0].status, DNSBL_LISTED, "zen lists (second A record in range)");
	is_int(q[0].code[3], 4, "the counting code kept");
	is_int(q[1].status, DNSBL_NOTLISTED, "127.255.255.254 does not count by default");
	is_int(q[2].status, DNSBL_NOTLISTED, "allowlist: NXDOMAIN");
	is_int(q[3].status, DNSBL_TEMPFAIL, "tempfail recorded");
	is_int(r.score, 10, "score");
	is_int(r.tempfail, 1, "one zone did not answer");
	is_int(r.listed, 0, "reason from zen");
	is_str(reason, "Listed see https://zen.example/q?1.2.0.192 ??", "TXT reason sanitized");
	is_int(txt_calls, 1, "one TXT query");
	is_int(dnsbl_verdict(r.score, 10), DNSBL_REJECT, "score at threshold rejects");
	is_int(dnsbl_verdict(r.score, 11), DNSBL_MARK, "below threshold marks");
	is_int(dnsbl_verdict(r.score, 0), DNSBL_MARK, "threshold 0 never rejects");

	ok(dnsbl_check(&l, "192.0.2.2", &dns, q, &r, reason) == 0, "check 192.0.2.2");
	is_int(r.score, 10 + 3 - 8, "allowlist lowers the score");
	is_str(reason, "zen says no", "reason from the heaviest block zone");
	is_int(dnsbl_verdict(r.score, 10), DNSBL_MARK, "allowlisted below threshold");

	txt_calls = 0;
	ok(dnsbl_check(&l, "192.0.2.3", &dns, q, &r, reason) == 0, "check 192.0.2.3");
	is_int(r.score, 0, "127.0.0.1, 10.0.0.2 and out-of-range codes do not count");
	is_int(r.listed, -1, "nothing listed");
	is_int(txt_calls, 0, "no TXT query when nothing is listed");
	is_str(reason, "", "no reason");
	is_int(dnsbl_verdict(r.score, 10), DNSBL_ACCEPT, "accept");

	ok(dnsbl_check(&l, "2001:db8::1", &dns, q, &r, reason) == 0 && r.score == 10, "IPv6 client listed");
	is_str(reason, "v6 listed", "IPv6 reason");
	ok(dnsbl_check(&l, "not-an-ip", &dns, q, &r, reason) < 0, "bad address refused");
	is_int(dnsbl_verdict(-5, 10), DNSBL_ACCEPT, "negative score accepts");

	/* The parallel way: names first, answers in any order. */
	ok(dnsbl_queries(&l, q, "192.0.2.2") == 0, "queries");
	is_str(q[2].qname, "2.2.0.192.wl.example", "query name of zone 3");
	dnsbl_answer(&l, q, 2, 0, "\x7f\x00\x0a\x02", 4);
	dnsbl_answer(&l, q, 0, 0, "\x7f\x00\x00\x02\x7f", 5);
	dnsbl_answer(&l, q, 99, 0, "\x7f\x00\x00\x02", 4);
	dnsbl_score(&l, q, &r);
	is_int(r.score, 2, "answers in any order, short tail ignored, bad index ignored");
}

static void reason_tests(void)
{
	char out[DNSBL_REASON_MAX + 1];
	char big[1000];

	dnsbl_reason(out, "", 0);
	is_str(out, "", "empty TXT");
	dnsbl_reason(out, " \r\n\t ", 5);
	is_str(out, "", "only white space");
	dnsbl_reason(out, "a\0b\r\n.\r\n250 ok", 14);
	is_str(out, "a?b . 250 ok", "NUL and CRLF cannot end the reply line");
	memset(big, 'x', sizeof big);
	dnsbl_reason(out, big, sizeof big);
	is_int(strlen(out), DNSBL_REASON_MAX, "reason bounded");
}

int main(void)
{
	qname_tests();
	parse_tests();
	check_tests();
	reason_tests();
	return tap_done();
}
