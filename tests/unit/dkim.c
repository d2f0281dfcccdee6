/* Unit tests for lib/dkim: tag-lists, signature and key records, the
 * canonicalizations, and whole messages signed by python3-dkim
 * (data/dkim/vectors.h, made by data/dkim/gen.py) -- each fed in chunks of
 * several sizes, with CRLF and with bare LF line ends -- plus one-byte
 * changes to body, signed header, signature and key that must not pass. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "dkim.h"
#include "tap.h"
#include "unit/data/dkim/vectors.h"

#define NKEYS (sizeof keyrecs / sizeof keyrecs[0])
#define NVEC (sizeof vectors / sizeof vectors[0])

/* The fake resolver: keyrecs, with one record changed when asked. */
static const char *alt_name, *alt_txt;

static int fake_txt(void *ctx, const char *name, stralloc *out)
{
	size_t k;
	(void)ctx;
	if (strstr(name, "tempfail")) return DKIM_DNS_TEMP;
	for (k = 0; k < NKEYS; k++)
		if (!strcmp(name, keyrecs[k].name)) {
			const char *t = alt_name && !strcmp(name, alt_name) ? alt_txt : keyrecs[k].txt;
			if (!strncmp(name, "multi.", 6) && !stralloc_catb(out, "v=DKIM1; k=rsa; k=rsa\0", 22))
				return DKIM_DNS_TEMP;
			if (!stralloc_catb(out, t, strlen(t) + 1)) return DKIM_DNS_TEMP;
			return DKIM_DNS_OK;
		}
	return DKIM_DNS_NONE;
}

static struct dkim v;

/* Feeds msg (CRLF or LF lines) field by field, then its body in chunks of
 * chunk bytes; results joined by ',' into out. */
static void verify(const char *msg, size_t len, size_t chunk, unsigned long long now, char *out, size_t outsize)
{
	struct dkim_dns dns = {fake_txt, 0};
	size_t pos = 0, k;

	dkim_init(&v);
	while (pos < len) {
		size_t start = pos;
		if (msg[pos] == '\n') { pos++; break; }
		if (msg[pos] == '\r' && pos + 1 < len && msg[pos + 1] == '\n') { pos += 2; break; }
		for (;;) {   /* one field: its line and the lines that start with WSP */
			const char *nl = memchr(msg + pos, '\n', len - pos);
			pos = nl ? (size_t)(nl - msg) + 1 : len;
			if (pos >= len || (msg[pos] != ' ' && msg[pos] != '\t')) break;
		}
		dkim_header(&v, msg + start, pos - start);
	}
	dkim_headers_end(&v);
	while (pos < len) {
		size_t n = len - pos < chunk ? len - pos : chunk;
		dkim_body(&v, msg + pos, n);
		pos += n;
	}
	dkim_finish(&v, &dns, now);
	out[0] = 0;
	for (k = 0; k < v.nsig; k++) {
		if (k) strncat(out, ",", outsize - strlen(out) - 1);
		strncat(out, dkim_result_str(v.sig[k].result), outsize - strlen(out) - 1);
	}
	dkim_free(&v);
}

static char *tolf(const char *s)
{
	char *o = malloc(strlen(s) + 1), *p = o;
	if (!o) exit(1);
	for (; *s; s++)
		if (!(s[0] == '\r' && s[1] == '\n')) *p++ = *s;
	*p = 0;
	return o;
}

static void want_str(const struct dkim_vector *t, char *w, size_t n)
{
	snprintf(w, n, "%s%s%s", t->want[0], t->want[1] ? "," : "", t->want[1] ? t->want[1] : "");
}

static void test_vectors(unsigned long long now)
{
	static const size_t chunks[] = {1, 7, 1 << 20};
	char got[64], want[64], name[200];
	size_t k, c;

	for (k = 0; k < NVEC; k++) {
		const struct dkim_vector *t = &vectors[k];
		char *lf = tolf(t->msg);
		want_str(t, want, sizeof want);
		for (c = 0; c < 3; c++) {
			verify(t->msg, strlen(t->msg), chunks[c], now, got, sizeof got);
			snprintf(name, sizeof name, "%s, chunks of %zu", t->name, chunks[c]);
			is_str(got, want, name);
		}
		verify(lf, strlen(lf), 5, now, got, sizeof got);
		snprintf(name, sizeof name, "%s, LF line ends", t->name);
		is_str(got, want, name);
		free(lf);
	}
}

/* One byte changed at the first match of what after the first match of
 * after: the message must come out as want. */
static void mutate(const struct dkim_vector *t, const char *after, const char *what, char to,
		   const char *want, unsigned long long now, const char *label)
{
	char *m = strdup(t->msg), *p, got[64], name[200];
	if (!m) exit(1);
	p = strstr(m, after);
	/* no what: the first byte after `after` past whitespace, changed to
	 * `to`, or to 'B' when it is `to` already */
	if (p && !what) {
		for (p += strlen(after); *p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'; p++) ;
		if (*p == to) to = 'B';
	} else
		p = p ? strstr(p + strlen(after), what) : 0;
	snprintf(name, sizeof name, "%s: %s", t->name, label);
	if (!ok(p != 0, name)) { free(m); return; }
	*p = to;
	verify(m, strlen(m), 3, now, got, sizeof got);
	is_str(got, want, name);
	free(m);
}

static const struct dkim_vector *vec(const char *name)
{
	size_t k;
	for (k = 0; k < NVEC; k++)
		if (!strcmp(vectors[k].name, name)) return &vectors[k];
	printf("Bail out! no vector %s\n", name);
	exit(1);
}

static void test_mutations(unsigned long long now)
{
	static const char *names[] = {"rsa2048 relaxed/relaxed", "rsa2048 simple/simple",
		"ed25519 relaxed/relaxed", "ed25519 simple/simple", "empty body simple", "l= with text appended"};
	char got[64], name[200], *rec;
	size_t k, j;

	for (k = 0; k < sizeof names / sizeof names[0]; k++) {
		const struct dkim_vector *t = vec(names[k]);
		if (strstr(t->msg, "Hello"))
			mutate(t, "\r\n\r\n", "Hello", 'J', "fail", now, "a body byte");
		else
			mutate(t, "Message-ID", "\r\n\r\n", ' ', "fail", now, "a byte in the empty body");
		mutate(t, "Subject:", "test", 'b', "fail", now, "a byte of Subject");
		mutate(t, "To:", "Bob", 'R', "fail", now, "a byte of To");
		mutate(t, " b=", 0, 'A', "fail", now, "a byte of b=");
		/* a byte of the key: the record in the middle of p= */
		for (j = 0; j < NKEYS; j++) {
			const char *sel = strstr(t->msg, " s=");
			if (sel && !strncmp(keyrecs[j].name, sel + 3, strcspn(sel + 3, ";")) &&
			    keyrecs[j].name[strcspn(sel + 3, ";")] == '.')
				break;
		}
		if (!ok(j < NKEYS, "key found")) continue;
		rec = strdup(keyrecs[j].txt);
		if (!rec) exit(1);
		{
			char *p = strstr(rec, "p=") + 2 + strlen(strstr(rec, "p=") + 2) / 2;
			*p = *p == 'A' ? 'B' : 'A';
		}
		alt_name = keyrecs[j].name;
		alt_txt = rec;
		verify(t->msg, strlen(t->msg), 4096, now, got, sizeof got);
		snprintf(name, sizeof name, "%s: a byte of the key (%s)", t->name, got);
		ok(strcmp(got, "pass") != 0, name);
		alt_name = alt_txt = 0;
		free(rec);
	}
	/* an appended body under l= passes (above); a removed byte does not */
	{
		const struct dkim_vector *t = vec("l= with text appended");
		verify(t->msg, strlen(t->msg) - 40, 64, now, got, sizeof got);
		is_str(got, "fail", "l= longer than the body fails");
	}
	/* t= from the future */
	verify(vectors[0].msg, strlen(vectors[0].msg), 100, now - 100000, got, sizeof got);
	is_str(got, "permerror", "t= in the future");
	is_str(v.sig[0].reason, "signature from the future", "its reason");
	is_str(v.sig[0].d, "example.org", "d= of the result");
	is_str(v.sig[0].s, "r2048", "selector of the result");
	/* x= ten seconds after t=: expired later, checked before the key */
	{
		const char *m = vectors[0].msg, *t = strstr(m, " t=");
		char *x = malloc(strlen(m) + 64);
		unsigned long long ts = t ? strtoull(t + 3, 0, 10) : 0;
		if (!x) exit(1);
		if (ok(t != 0, "vector has t=")) {
			int n = snprintf(x, strlen(m) + 64, "%.*s x=%llu;%s", (int)(t - m), m, ts + 10, t);
			verify(x, (size_t)n, 100, ts + 100, got, sizeof got);
			is_str(v.sig[0].reason, "signature expired", "x= in the past: expired");
			verify(x, (size_t)n, 100, ts + 5, got, sizeof got);
			is_str(v.sig[0].reason, "signature mismatch", "x= in the future: checked (and x= was signed)");
		}
		free(x);
	}
}

static void test_taglist(void)
{
	struct dkim_tag tag[DKIM_TAGS_MAX];
	size_t n;
	char big[DKIM_TAGLIST_MAX + 2];
	size_t k;

	is_int(dkim_taglist("a=1; b = 2 ;c=", 14, tag, DKIM_TAGS_MAX, &n), DKIM_OK, "tag-list with spaces");
	is_int(n, 3, "three tags");
	is_int(tag[1].vhi - tag[1].vlo, 1, "value trimmed");
	is_int(dkim_taglist("a=1;;b=2;", 9, tag, DKIM_TAGS_MAX, &n), DKIM_OK, "empty specs skipped");
	is_int(dkim_taglist("a=1; a=2", 8, tag, DKIM_TAGS_MAX, &n), DKIM_ERR_DUPTAG, "duplicate tag");
	is_int(dkim_taglist("a=1; A=2", 8, tag, DKIM_TAGS_MAX, &n), DKIM_OK, "names are case-sensitive");
	is_int(dkim_taglist("a", 1, tag, DKIM_TAGS_MAX, &n), DKIM_ERR_SYNTAX, "no =");
	is_int(dkim_taglist("1a=x", 4, tag, DKIM_TAGS_MAX, &n), DKIM_ERR_SYNTAX, "name starts with a digit");
	is_int(dkim_taglist("a=x\001y", 5, tag, DKIM_TAGS_MAX, &n), DKIM_ERR_SYNTAX, "control byte in value");
	is_int(dkim_taglist("a=1;b=2;c=3", 11, tag, 2, &n), DKIM_ERR_TOOLONG, "too many tags");
	for (k = 0; k < sizeof big; k++) big[k] = 'x';
	big[0] = 'a'; big[1] = '=';
	is_int(dkim_taglist(big, sizeof big, tag, DKIM_TAGS_MAX, &n), DKIM_ERR_TOOLONG, "tag-list too long");
}

static void test_sig(void)
{
	static struct dkim_sig s;
	const char *ok1 = "v=1; a=rsa-sha256; d=Example.ORG; s=sel; h=From : To; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AAAA; c=relaxed";
	char buf[600];

#define SIG(str) dkim_sig_parse(&s, str, strlen(str))
	is_int(SIG(ok1), DKIM_OK, "signature parses");
	is_str(s.d, "example.org", "d= lower-cased");
	is_int(s.nh, 2, "two h= names");
	is_str(s.h[1], "to", "h= trimmed and lower-cased");
	is_int(s.hcanon * 10 + s.bcanon, DKIM_RELAXED * 10 + DKIM_SIMPLE, "c=relaxed is relaxed/simple");
	is_str(s.i, "example.org", "i= defaults to d=");
	snprintf(buf, sizeof buf, "%s; v=1", ok1);
	is_int(SIG(buf), DKIM_ERR_DUPTAG, "v= twice");
	snprintf(buf, sizeof buf, "%s; i=u@mail.example.org", ok1);
	is_int(SIG(buf), DKIM_OK, "i= in a subdomain");
	snprintf(buf, sizeof buf, "%s; i=u@badexample.org", ok1);
	is_int(SIG(buf), DKIM_ERR_VALUE, "i= outside d=");
	snprintf(buf, sizeof buf, "%s; t=200; x=100", ok1);
	is_int(SIG(buf), DKIM_ERR_VALUE, "x= before t=");
	snprintf(buf, sizeof buf, "%s; l=99999999999999999999", ok1);
	is_int(SIG(buf), DKIM_ERR_VALUE, "l= too large");
	snprintf(buf, sizeof buf, "%s; q=dns", ok1);
	is_int(SIG(buf), DKIM_ERR_VALUE, "q= without dns/txt");
	is_int(SIG("v=1; a=rsa-sha256; d=x.org; s=s; h=to; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AAAA"),
	       DKIM_ERR_VALUE, "From not signed");
	is_int(SIG("v=1; a=rsa-sha256; d=x.org; h=from; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AAAA"),
	       DKIM_ERR_MISSING, "no s=");
	is_int(SIG("v=1; a=rsa-md5; d=x.org; s=s; h=from; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AAAA"),
	       DKIM_ERR_VALUE, "unknown a=");
	is_int(SIG("v=1; a=rsa-sha256; d=x.org; s=s; h=from; bh=AAAA; b=AAAA"), DKIM_ERR_VALUE, "bh= of the wrong length");
	is_int(SIG("v=1; a=rsa-sha256; d=x.org; s=s; h=from; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=A*AA"),
	       DKIM_ERR_VALUE, "b= not base64");
	is_int(SIG("v=1; a=rsa-sha256; d=x.org; s=a/b; h=from; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AAAA"),
	       DKIM_ERR_VALUE, "s= with a slash");
	is_int(SIG(""), DKIM_ERR_MISSING, "empty signature");
#undef SIG
}

static void test_key(void)
{
	struct dkim_key k;
#define KEY(str) dkim_key_parse(&k, str, strlen(str))
	is_int(KEY("v=DKIM1; p=AAAA"), DKIM_OK, "key parses");
	is_int(k.type * 10 + k.sha1 + k.sha256, DKIM_KEY_RSA * 10 + 2, "rsa and both hashes by default");
	is_int(KEY("v=DKIM1; k=ed25519; h=sha256; t=y:s; p=AAAA"), DKIM_OK, "ed25519 key with flags");
	is_int(k.type, DKIM_KEY_ED25519, "k=ed25519");
	is_int(k.sha1 * 10 + k.sha256, 1, "h=sha256 only");
	is_int(k.testing + k.strict, 2, "t=y:s");
	is_int(KEY("v=DKIM1; p="), DKIM_OK, "empty p= parses");
	ok(k.revoked, "empty p= is revoked");
	is_int(KEY("p=AAAA; v=DKIM1"), DKIM_ERR_VALUE, "v= not first");
	is_int(KEY("v=DKIM2; p=AAAA"), DKIM_ERR_VALUE, "v=DKIM2");
	is_int(KEY("k=dsa; p=AAAA"), DKIM_ERR_VALUE, "k=dsa");
	is_int(KEY("s=web; p=AAAA"), DKIM_ERR_VALUE, "s= without email");
	is_int(KEY("k=rsa"), DKIM_ERR_MISSING, "no p=");
	is_int(KEY("p=AAAA; p=BBBB"), DKIM_ERR_DUPTAG, "p= twice");
	is_int(KEY("p=AA=A"), DKIM_ERR_VALUE, "data after padding");
#undef KEY
}

static stralloc sink;
static void put(void *arg, const char *s, size_t n) { (void)arg; stralloc_catb(&sink, s, n); }

static void body_case(int canon, long limit, const char *in, const char *want, const char *name)
{
	struct dkim_body b;
	size_t i;
	int pass = 1;
	for (i = 1; i <= 3; i++) {   /* whole, then in small pieces */
		size_t n = strlen(in), p = 0, step = i == 1 ? n + 1 : i;
		sink.len = 0;
		dkim_body_init(&b, canon, put, 0);
		if (limit >= 0) { b.has_limit = 1; b.limit = (unsigned long long)limit; }
		for (; p < n; p += step) dkim_body_feed(&b, in + p, n - p < step ? n - p : step);
		dkim_body_end(&b);
		if (sink.len != strlen(want) || memcmp(sink.s, want, sink.len)) pass = 0;
	}
	if (!ok(pass, name)) printf("#   got '%.*s'\n", (int)sink.len, sink.s);
}

static void header_case(int canon, const char *in, const char *want, const char *name)
{
	sink.len = 0;
	dkim_canon_header(&sink, canon, in, strlen(in));
	if (!ok(sink.len == strlen(want) && !memcmp(sink.s, want, sink.len), name))
		printf("#   got '%.*s'\n", (int)sink.len, sink.s);
}

static void test_canon(void)
{
	/* RFC 6376 3.4.5's example */
	body_case(DKIM_RELAXED, -1, " C \r\nD \t E\r\n\r\n\r\n", " C\r\nD E\r\n", "relaxed body, RFC 6376 3.4.5");
	body_case(DKIM_SIMPLE, -1, " C \r\nD \t E\r\n\r\n\r\n", " C \r\nD \t E\r\n", "simple body, RFC 6376 3.4.5");
	body_case(DKIM_SIMPLE, -1, "", "\r\n", "simple empty body is CRLF");
	body_case(DKIM_RELAXED, -1, "", "", "relaxed empty body is empty");
	body_case(DKIM_SIMPLE, -1, "\r\n\r\n", "\r\n", "simple body of empty lines");
	body_case(DKIM_RELAXED, -1, " \t\r\n  \r\n", "", "relaxed body of blank lines");
	body_case(DKIM_SIMPLE, -1, "a", "a\r\n", "simple: CRLF added");
	body_case(DKIM_RELAXED, -1, "a  ", "a\r\n", "relaxed: trailing WSP, CRLF added");
	body_case(DKIM_SIMPLE, -1, "a\n\nb\n\n", "a\r\n\r\nb\r\n", "bare LF read as CRLF");
	body_case(DKIM_SIMPLE, -1, "a\rb\r", "a\rb\r\r\n", "lone CR kept");
	body_case(DKIM_RELAXED, 3, "ab  cd\r\n", "ab ", "l= cuts");
	body_case(DKIM_SIMPLE, 0, "abc\r\n", "", "l=0");
	header_case(DKIM_RELAXED, "SubJect \t:  a \r\n\tb  c \t", "subject:a b c\r\n", "relaxed header, RFC 6376 3.4.5");
	header_case(DKIM_SIMPLE, "SubJect : a\n b", "SubJect : a\r\n b\r\n", "simple header, LF folded");
	header_case(DKIM_RELAXED, "X:", "x:\r\n", "relaxed empty value");
}

int main(void)
{
	unsigned long long now = (unsigned long long)time(0);
	test_taglist();
	test_sig();
	test_key();
	test_canon();
	test_vectors(now);
	test_mutations(now);
	return tap_done();
}
