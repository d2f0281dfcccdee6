/*
 * Unit tests of lib/dnsq's packet parser: answers of each type, CNAME
 * chains, RCODEs, and hostile packets (truncated, compression loops, too
 * many records, huge TXT, wrong types, NUL bytes, lying counts).
 *
 * With arguments it is tests/dnsq.t's client of a real DNS server:
 *   dnsq.t --query [-t MS] [-m] TYPE NAME [TYPE NAME ...]
 * asks each question (one after the other, or with -m all at once through
 * dnsq_many) and prints per question "TYPE NAME RC" and one "  RECORD"
 * line per record, then "sent N" (queries that went to the network).
 *   dnsq.t --adapter spf|dkim|dmarc-txt|dmarc-exists|dnsbl-a|dnsbl-txt TYPE NAME
 * prints what that adapter returns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ip4.h>
#include <ip6.h>
#include "tap.h"
#include "dnsq.h"

/* ---- a packet builder ---- */

struct pkt {
	unsigned char b[70000];
	size_t len;
};

static void put(struct pkt *p, const void *s, size_t n) { memcpy(p->b + p->len, s, n); p->len += n; }
static void put16(struct pkt *p, unsigned v) { p->b[p->len++] = (unsigned char)(v >> 8); p->b[p->len++] = (unsigned char)v; }

/* "a.b" as labels; "" the root. */
static void put_name(struct pkt *p, const char *name)
{
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t n = dot ? (size_t)(dot - name) : strlen(name);
		p->b[p->len++] = (unsigned char)n;
		put(p, name, n);
		name += n + (dot != 0);
	}
	p->b[p->len++] = 0;
}

static void header(struct pkt *p, unsigned rcode, unsigned an, const char *qname, unsigned qtype)
{
	p->len = 0;
	put16(p, 0x1234);
	put16(p, 0x8180 | rcode);   /* QR RD RA */
	put16(p, 1);
	put16(p, an);
	put16(p, 0);
	put16(p, 0);
	put_name(p, qname);
	put16(p, qtype);
	put16(p, 1);
}

/* An RR header; the caller adds rdlen bytes. */
static void rr(struct pkt *p, const char *owner, unsigned type, unsigned rdlen)
{
	put_name(p, owner);
	put16(p, type);
	put16(p, 1);
	put16(p, 0);
	put16(p, 300);
	put16(p, rdlen);
}

static void rr_a(struct pkt *p, const char *owner, unsigned char last)
{
	unsigned char ip[4] = {192, 0, 2, last};
	rr(p, owner, 1, 4);
	put(p, ip, 4);
}

/* A TXT record of the strings given, each written as its own string. */
static void rr_txt(struct pkt *p, const char *owner, const char *const *s, unsigned n)
{
	unsigned i, len = 0;
	for (i = 0; i < n; i++) len += 1 + (unsigned)strlen(s[i]);
	rr(p, owner, 16, len);
	for (i = 0; i < n; i++) {
		p->b[p->len++] = (unsigned char)strlen(s[i]);
		put(p, s[i], strlen(s[i]));
	}
}

static enum dnsq_rc parse(struct pkt *p, enum dnsq_type t, struct dnsq_answer *a)
{
	return dnsq_parse((const char *)p->b, p->len, t, a);
}

static int rec_is(const struct dnsq_answer *a, unsigned i, const void *s, size_t n)
{
	return i < a->n && a->rr[i].len == n && !memcmp(a->buf + a->rr[i].off, s, n);
}

static struct pkt P;
static struct dnsq_answer A;

static void answers(void)
{
	static const char *two[] = {"v=spf1 ", "include:a.example ", "-all"};
	static const char *one[] = {"v=spf1 -all"};
	static const char *other[] = {"hello"};

	header(&P, 0, 2, "ex.test", 16);
	rr_txt(&P, "ex.test", two, 3);
	rr_txt(&P, "EX.Test", one, 1);
	is_int(parse(&P, DNSQ_TXT, &A), DNSQ_OK, "TXT: OK");
	is_int(A.n, 2, "two TXT records kept apart");
	ok(rec_is(&A, 0, "v=spf1 include:a.example -all", 29), "a record of three strings joined without separator");
	ok(rec_is(&A, 1, "v=spf1 -all", 11), "the second record (owner in other case: RFC 4343)");

	header(&P, 0, 1, "ex.test", 16);
	rr_txt(&P, "other.test", other, 1);
	is_int(parse(&P, DNSQ_TXT, &A), DNSQ_NODATA, "a record of an unrelated owner is ignored: NODATA");

	header(&P, 3, 0, "nx.test", 1);
	is_int(parse(&P, DNSQ_A, &A), DNSQ_NXDOMAIN, "RCODE 3: NXDOMAIN");
	header(&P, 0, 0, "nx.test", 1);
	is_int(parse(&P, DNSQ_A, &A), DNSQ_NODATA, "RCODE 0, no answer: NODATA");
	header(&P, 2, 0, "nx.test", 1);
	is_int(parse(&P, DNSQ_A, &A), DNSQ_TEMP, "SERVFAIL: TEMP");
	header(&P, 5, 0, "nx.test", 1);
	is_int(parse(&P, DNSQ_A, &A), DNSQ_TEMP, "REFUSED: TEMP");

	/* A, AAAA */
	header(&P, 0, 2, "h.test", 1);
	rr_a(&P, "h.test", 1);
	rr_a(&P, "h.test", 2);
	is_int(parse(&P, DNSQ_A, &A), DNSQ_OK, "A: OK");
	ok(A.n == 2 && rec_is(&A, 0, "\300\0\2\1", 4) && rec_is(&A, 1, "\300\0\2\2", 4), "two A records of 4 bytes");
	header(&P, 0, 1, "h.test", 28);
	rr(&P, "h.test", 28, 16);
	put(&P, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\1", 16);
	is_int(parse(&P, DNSQ_AAAA, &A), DNSQ_OK, "AAAA: OK");
	ok(rec_is(&A, 0, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\1", 16), "AAAA: 16 bytes");

	/* MX with a compressed name: the exchange's labels point back into
	 * the question ("mx" then a pointer to "h.test" at offset 12). */
	header(&P, 0, 2, "h.test", 15);
	rr(&P, "h.test", 15, 2 + 3 + 2);
	put16(&P, 10);
	put(&P, "\2mx\300\14", 5);
	rr(&P, "h.test", 15, 3);
	put16(&P, 0);
	put(&P, "", 1);
	is_int(parse(&P, DNSQ_MX, &A), DNSQ_OK, "MX: OK");
	ok(rec_is(&A, 0, "mx.h.test", 9) && A.rr[0].pref == 10, "MX name decompressed, preference 10");
	ok(rec_is(&A, 1, "", 0) && A.rr[1].pref == 0, "null MX (RFC 7505): the root is \"\"");

	header(&P, 0, 1, "1.2.0.192.in-addr.arpa", 12);
	rr(&P, "1.2.0.192.in-addr.arpa", 12, 10);
	put(&P, "\5we.i\\\2rd\0", 10);   /* a label "we.i\", a label "rd", the root */
	is_int(parse(&P, DNSQ_PTR, &A), DNSQ_OK, "PTR: OK");
	ok(rec_is(&A, 0, "we\\046i\\092.rd", 14), "PTR: '.' and '\\' in a label written \\DDD");

	/* CNAME chain, out of order: q -> b -> c; c has the A. */
	header(&P, 0, 4, "q.test", 1);
	rr_a(&P, "c.test", 7);
	rr(&P, "b.test", 5, 8);
	put_name(&P, "c.test");
	rr(&P, "q.test", 5, 8);
	put_name(&P, "b.test");
	rr_a(&P, "x.test", 9);
	is_int(parse(&P, DNSQ_A, &A), DNSQ_OK, "CNAME chain in any order: OK");
	ok(A.n == 1 && rec_is(&A, 0, "\300\0\2\7", 4), "the A of the chain's end, not the unrelated one");

	header(&P, 0, 2, "q.test", 1);
	rr(&P, "q.test", 5, 8);
	put_name(&P, "b.test");
	rr(&P, "b.test", 5, 8);
	put_name(&P, "q.test");
	is_int(parse(&P, DNSQ_A, &A), DNSQ_NODATA, "a CNAME loop: no record, NODATA");
}

static void hostile(void)
{
	static const char *one[] = {"v=DMARC1; p=reject"};
	size_t full, i;
	unsigned n;
	int bad;

	/* Every cut of a good answer is TEMP (or, at the header, TEMP too). */
	header(&P, 0, 1, "ex.test", 16);
	rr_txt(&P, "ex.test", one, 1);
	full = P.len;
	for (i = 0, bad = 0; i < full; i++) {
		P.len = i;
		if (parse(&P, DNSQ_TXT, &A) != DNSQ_TEMP) bad++;
	}
	is_int(bad, 0, "every truncation of an answer is TEMP");

	header(&P, 0, 3, "ex.test", 16);
	rr_txt(&P, "ex.test", one, 1);
	is_int(parse(&P, DNSQ_TXT, &A), DNSQ_TEMP, "ANCOUNT larger than the records: TEMP");

	header(&P, 0, 0, "ex.test", 16);
	P.b[0x02] |= 0x02;
	is_int(parse(&P, DNSQ_TXT, &A), DNSQ_TEMP, "TC bit: TEMP");
	header(&P, 0, 0, "ex.test", 16);
	P.b[0x02] &= 0x7f;
	is_int(parse(&P, DNSQ_TXT, &A), DNSQ_TEMP, "not a response: TEMP");
	header(&P, 0, 0, "ex.test", 1);
	is_int(parse(&P, DNSQ_TXT, &A), DNSQ_TEMP, "the question of another type: TEMP");
	header(&P, 0, 0, "ex.test", 16);
	P.b[5] = 2;
	is_int(parse(&P, DNSQ_TXT, &A), DNSQ_TEMP, "two questions: TEMP");

	/* Compression loops: a pointer to itself, two pointers to each
	 * other, and a label before a pointer back to that label. */
	header(&P, 0, 1, "ex.test", 1);
	n = (unsigned)P.len;
	put16(&P, 0xc000 | n);
	put16(&P, 1); put16(&P, 1); put16(&P, 0); put16(&P, 0); put16(&P, 4);
	put(&P, "\1\2\3\4", 4);
	is_int(parse(&P, DNSQ_A, &A), DNSQ_TEMP, "a pointer to itself: TEMP");
	header(&P, 0, 1, "ex.test", 1);
	n = (unsigned)P.len;
	put(&P, "\1a", 2);
	put16(&P, 0xc000 | n);
	put16(&P, 1); put16(&P, 1); put16(&P, 0); put16(&P, 0); put16(&P, 4);
	put(&P, "\1\2\3\4", 4);
	is_int(parse(&P, DNSQ_A, &A), DNSQ_TEMP, "a label and a pointer back to it: TEMP");
	header(&P, 0, 1, "ex.test", 1);
	put16(&P, 0xc000 | 0x3fff);
	put16(&P, 1); put16(&P, 1); put16(&P, 0); put16(&P, 0); put16(&P, 4);
	put(&P, "\1\2\3\4", 4);
	is_int(parse(&P, DNSQ_A, &A), DNSQ_TEMP, "a pointer past the end: TEMP");
	header(&P, 0, 1, "ex.test", 1);
	P.b[P.len++] = 0x40;
	is_int(parse(&P, DNSQ_A, &A), DNSQ_TEMP, "an extended label type: TEMP");

	/* A name over 255 bytes. */
	header(&P, 0, 0, "ex.test", 1);
	P.len = 12;
	for (i = 0; i < 5; i++) {
		P.b[P.len++] = 63;
		memset(P.b + P.len, 'a', 63);
		P.len += 63;
	}
	P.b[P.len++] = 0;
	put16(&P, 1);
	put16(&P, 1);
	is_int(parse(&P, DNSQ_A, &A), DNSQ_TEMP, "a name over 255 bytes: TEMP");

	/* Too many records: 300 A records keep DNSQ_RRS_MAX, overflow set. */
	header(&P, 0, 300, "ex.test", 1);
	for (i = 0; i < 300; i++) rr_a(&P, "ex.test", (unsigned char)i);
	is_int(parse(&P, DNSQ_A, &A), DNSQ_OK, "300 A records: OK");
	ok(A.n == DNSQ_RRS_MAX && A.overflow, "DNSQ_RRS_MAX kept, overflow said");

	/* A TXT record of 240 strings of 255 bytes: 61200 bytes. */
	header(&P, 0, 1, "ex.test", 16);
	rr(&P, "ex.test", 16, 240 * 256);
	for (i = 0; i < 240; i++) {
		P.b[P.len++] = 255;
		memset(P.b + P.len, 'x', 255);
		P.len += 255;
	}
	is_int(parse(&P, DNSQ_TXT, &A), DNSQ_OK, "a TXT record of 61200 bytes: OK");
	ok(A.n == 1 && A.rr[0].len == DNSQ_TXT_MAX + 1, "kept as DNSQ_TXT_MAX + 1 bytes: still too long for every reader");

	/* Many big TXT records: those past DNSQ_BYTES_MAX dropped. */
	header(&P, 0, 12, "ex.test", 16);
	for (i = 0; i < 12; i++) {
		rr(&P, "ex.test", 16, 20 * 256);
		for (n = 0; n < 20; n++) {
			P.b[P.len++] = 255;
			memset(P.b + P.len, 'y', 255);
			P.len += 255;
		}
	}
	parse(&P, DNSQ_TXT, &A);
	ok(A.rc == DNSQ_OK && A.overflow && A.used <= DNSQ_BYTES_MAX && A.n == DNSQ_BYTES_MAX / (20 * 255),
	   "TXT records beyond DNSQ_BYTES_MAX dropped, overflow said");

	/* TXT: a string longer than the record, an empty record. */
	header(&P, 0, 1, "ex.test", 16);
	rr(&P, "ex.test", 16, 4);
	put(&P, "\5abc", 4);
	put(&P, "de", 2);
	P.b[7] = 1;
	is_int(parse(&P, DNSQ_TXT, &A), DNSQ_TEMP, "a character-string past its record: TEMP");
	header(&P, 0, 1, "ex.test", 16);
	rr(&P, "ex.test", 16, 0);
	is_int(parse(&P, DNSQ_TXT, &A), DNSQ_TEMP, "a TXT record of no string: TEMP");
	header(&P, 0, 1, "ex.test", 16);
	rr(&P, "ex.test", 16, 5);
	put(&P, "\1\0\2a\0", 5);
	is_int(parse(&P, DNSQ_TXT, &A), DNSQ_OK, "TXT with NUL bytes: OK");
	ok(rec_is(&A, 0, "?a?", 3), "NUL bytes made '?'");

	/* Wrong types and sizes. */
	header(&P, 0, 2, "ex.test", 1);
	rr(&P, "ex.test", 28, 16);
	put(&P, "0123456789abcdef", 16);
	rr(&P, "ex.test", 46, 3);   /* an RRSIG-typed record: ignored */
	put(&P, "sig", 3);
	is_int(parse(&P, DNSQ_A, &A), DNSQ_NODATA, "records of other types ignored: NODATA");
	header(&P, 0, 1, "ex.test", 1);
	rr(&P, "ex.test", 1, 5);
	put(&P, "12345", 5);
	is_int(parse(&P, DNSQ_A, &A), DNSQ_TEMP, "an A record of 5 bytes: TEMP");
	header(&P, 0, 1, "ex.test", 1);
	put_name(&P, "ex.test");
	put16(&P, 1); put16(&P, 3); put16(&P, 0); put16(&P, 0); put16(&P, 4);
	put(&P, "1234", 4);
	is_int(parse(&P, DNSQ_A, &A), DNSQ_NODATA, "a record of class CH ignored");
	header(&P, 0, 1, "ex.test", 15);
	rr(&P, "ex.test", 15, 6);
	put16(&P, 5);
	put(&P, "\2mx\0", 4);   /* 2 + 4 = 6 */
	P.b[P.len - 1] = 'x';   /* the name runs on past its record */
	put(&P, "\0", 1);
	is_int(parse(&P, DNSQ_MX, &A), DNSQ_TEMP, "an MX name running past its record: TEMP");
	header(&P, 0, 1, "ex.test", 1);
	rr(&P, "ex.test", 1, 4000);
	put(&P, "1234", 4);
	is_int(parse(&P, DNSQ_A, &A), DNSQ_TEMP, "RDLENGTH past the packet: TEMP");
	is_int(dnsq_parse("", 0, DNSQ_A, &A), DNSQ_TEMP, "empty packet: TEMP");
	header(&P, 0, 0, "ex.test", 1);
	is_int(dnsq_parse((const char *)P.b, P.len, (enum dnsq_type)9, &A), DNSQ_TEMP, "unknown type asked: TEMP");
}

/* ---- the client for tests/dnsq.t ---- */

static const char *tname[] = {"A", "AAAA", "MX", "PTR", "TXT"};
static const char *rcname[] = {"OK", "NODATA", "NXDOMAIN", "TEMP"};

static int type_of(const char *s)
{
	unsigned i;
	for (i = 0; i < 5; i++)
		if (!strcmp(s, tname[i])) return (int)i;
	fprintf(stderr, "dnsq.t: unknown type %s\n", s);
	exit(2);
}

/* Bytes outside printable ASCII as \xHH. */
static void show(const char *s, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= ' ' && c < 127 && c != '\\') putchar(c);
		else printf("\\x%02x", c);
	}
}

static void print_answer(enum dnsq_type t, const char *name, const struct dnsq_answer *a)
{
	char ip[IP6_FMT];
	unsigned i;

	printf("%s %s %s%s\n", tname[t], name, rcname[a->rc], a->overflow ? " overflow" : "");
	for (i = 0; i < a->n; i++) {
		const char *r = a->buf + a->rr[i].off;
		printf("  ");
		if (t == DNSQ_A) ip[fmt_ip4(ip, r)] = 0, printf("%s", ip);
		else if (t == DNSQ_AAAA) ip[fmt_ip6(ip, r)] = 0, printf("%s", ip);
		else {
			if (t == DNSQ_MX) printf("%u ", a->rr[i].pref);
			show(r, a->rr[i].len);
		}
		putchar('\n');
	}
}

static int query_main(int argc, char **argv)
{
	static struct dnsq_answer ans[64];
	struct dnsq_req q[64];
	int i = 2, many = 0;
	unsigned n = 0, k;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-m")) many = 1;
		else if (!strcmp(argv[i], "-t") && i + 1 < argc) dnsq_timeout((unsigned)atoi(argv[++i]));
		else return 2;
	}
	for (; i + 1 < argc && n < 64; i += 2, n++)
		q[n] = (struct dnsq_req){ (enum dnsq_type)type_of(argv[i]), argv[i + 1], &ans[n] };
	if (many) dnsq_many(q, n);
	else
		for (k = 0; k < n; k++) dnsq_query(q[k].type, q[k].name, q[k].ans);
	for (k = 0; k < n; k++) print_answer(q[k].type, q[k].name, q[k].ans);
	printf("sent %lu\n", dnsq_sent);
	return 0;
}

static int adapter_main(int argc, char **argv)
{
	const char *which = argv[2], *name;
	stralloc out = {0};
	int r;
	size_t i;

	if (argc < 5) return 2;
	name = argv[4];
	if (!strcmp(which, "spf")) {
		static struct spf_answer sa;
		static const int map[] = { SPF_RR_A, SPF_RR_AAAA, SPF_RR_MX, SPF_RR_PTR, SPF_RR_TXT };
		r = dnsq_spf.lookup(dnsq_spf.ctx, map[type_of(argv[3])], name, &sa);
		printf("rc %d\n", r);
		for (i = 0; i < sa.n; i++) {
			printf("  ");
			show(sa.buf + sa.off[i], sa.len[i]);
			putchar('\n');
		}
		return 0;
	}
	if (!strcmp(which, "dkim")) r = dnsq_dkim.txt(dnsq_dkim.ctx, name, &out);
	else if (!strcmp(which, "dmarc-txt")) r = dnsq_dmarc.txt(dnsq_dmarc.ctx, &out, name);
	else if (!strcmp(which, "dmarc-exists")) r = dnsq_dmarc.exists(dnsq_dmarc.ctx, name);
	else if (!strcmp(which, "dnsbl-a")) r = dnsq_dnsbl.a(dnsq_dnsbl.ctx, &out, name);
	else if (!strcmp(which, "dnsbl-txt")) r = dnsq_dnsbl.txt(dnsq_dnsbl.ctx, &out, name);
	else return 2;
	printf("rc %d\n", r);
	printf("  ");
	show(out.s ? out.s : "", out.len);
	putchar('\n');
	return 0;
}

/* dnsq.t --dnsbl IP ZONEFILE-TEXT: dnsq_dnsbl_ask, then each zone's status. */
static int dnsbl_main(int argc, char **argv)
{
	static struct dnsbl_list l;
	static struct dnsbl_query q[DNSBL_ZONES_MAX];
	struct dnsbl_result r;
	const char *why;
	unsigned line, i;

	if (argc < 4 || dnsbl_parse(&l, argv[3], strlen(argv[3]), &why, &line) < 0) return 2;
	if (dnsq_dnsbl_ask(&l, argv[2], q) < 0) return 1;
	dnsbl_score(&l, q, &r);
	for (i = 0; i < l.n; i++) printf("%s %d\n", l.z[i].name, (int)q[i].status);
	printf("score %d tempfail %u sent %lu\n", r.score, r.tempfail, dnsq_sent);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 2 && !strcmp(argv[1], "--query")) return query_main(argc, argv);
	if (argc > 2 && !strcmp(argv[1], "--adapter")) return adapter_main(argc, argv);
	if (argc > 2 && !strcmp(argv[1], "--dnsbl")) return dnsbl_main(argc, argv);
	answers();
	hostile();
	return tap_done();
}
