/* Unit tests for lib/dkimsign: signatures made here pass lib/dkim's
 * verifier (the keys' records from a table), rsa-sha256 and ed25519-sha256,
 * PKCS#8 and PKCS#1 keys; h= names what is there and oversigns From, To,
 * Subject, Date; the field is folded under 78 bytes; the same signature
 * whatever pieces the message comes in and whether lines end in LF or
 * CRLF; a changed message or an added Subject fails; no From, two From,
 * two addresses, a header over the bound: no signature; hostile key files
 * and selectors refused.  The keys are test keys made for this file with
 * openssl genpkey. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dkim.h"
#include "dkimsign.h"
#include "tap.h"

static const char RSA_PEM[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIIEvwIBADANBgkqhkiG9w0BAQEFAASCBKkwggSlAgEAAoIBAQC9RxQLr1ChDHEc\n"
	"zZrGfEwLx7KPjpUuOZSz94timV1rx53ipQiXPZSGTF6OM5fsdJs8puRswpictR+r\n"
	"IYVjvhMQbzl+J2BEcduF68OjUG1fIanQxmhkuThqtJD/p2Vq/MzF2cKVzUMvVvLb\n"
	"pGl4K9DTU3/BPR8mJZMcoF910NF13Tx2sj/7q6wcu7IfRS/FhPiSplmH6RcDDkSh\n"
	"Kn2naeaxfOJWmzae4vjMh+bmBqEJZ7TpoNK5qTDg4/9UXaHED3/RFH1fIuEU5EG1\n"
	"mhazLhwjYUDWzYxlEkEDM6OOOK4wu++2d8sWThW2vf06yOhCE8Yg2khY+wxVROV9\n"
	"A6JHWZV/AgMBAAECggEASiYwOiuiAJVpMolxWtSSzgKbdxW6Z3NzR9VwK149dN2s\n"
	"gn94kBc1ui7s0/RuTdmYfvg6gEjzlGB4WYg2Q07RFR0dfshaNDYOc7Za2/3D+wKr\n"
	"DfjMKLlO2q6GJ0Eiv/jtF40pZ5oT+dWsKlOMZeF0W3VYlREmxMDvksVY4ES/6dXn\n"
	"MwPMVTFQpz/qFp4Um2prbOPlzi6b9QgQCt0InzxH5SZVRl9gFsQxc9BamZ8+mq7e\n"
	"0LckCBiUGXHT5Ib+2bfwFOAiZvaZoTvK2yNl0PzK6z5Jw0VSlRnJAM34APG7xgXk\n"
	"silBKaXSiU+s8/3AuH+j8pVE6DVsWoh9Cu6q4gGbMQKBgQDiQGkB+QbtWEBuy+vF\n"
	"nYDcF50X5UTvl5T7KWgWZ/G60/h+5zom2lNSPUSznNL6QUY6LEgr9hewoOWXeQh/\n"
	"UAe3N5HugfNLQNpGMWEZMWfKzX9lDjaOtd8iwbmdMFS5a0nAJsjQ6ELSqXmTSonW\n"
	"FGTPeb4FLrFpVprvz6t8/7VjOwKBgQDWKiGadATy2e8ODeNsajHKcdRcwZFTtyKG\n"
	"68DaWj41JOiTFxuZB5WmreA+A+I5f5Xyox9emaS5NIH41YpY1DRbU88vDMxYoHlM\n"
	"wJsEcWp206WK9irOHh2KHjqUhtWwsMTmRccTCfp397AADEIikY0Yz9IP29TE1l84\n"
	"T3BMM1rqjQKBgQCoWZ8JHcCeyMUg7FGieMESg+ubhTiXQuZTQQs3aN7A0ssbunhV\n"
	"wqyvC/Hb6DxAhGN6E8scEwCrp/1OiXveJ7GmDg5jN4TOIRKJmmKSuWVuzRwXGM1V\n"
	"wVSoaxfvM7BHS+LTvMg+UiSu1fYluBf6GLCuhPr0pjrSk+Ozv4Xt++N/UwKBgQDI\n"
	"tfuAMTNiFfUAiuuU84FuZXfM5mw4tO1a3R+EhAbA77I4B/QJWx5Zc6Mw+5rMoFH7\n"
	"b/06P2wtVpRojFh4H4hh/w2w3qG0fdCwqeGeLFzGuFvw+/vp6Ddu9h2YjTU/vqsJ\n"
	"1GNZ6IQgYrVDljl1BEvj8QDBdBjX0MC0mV55S7ftEQKBgQC54Ab9l7UqLtp8+YKx\n"
	"1eVI7h6VT3hR31qrz1uigVGcoxdkGc4k0kxwwRiR+BkyxQtErd9eHq70Xgt41AG8\n"
	"mIaosr73zm7S4u7tlKYQUOSf2wItivfTaCTG4gWqf4fn4egAuCxNJ2KDqSzZy72g\n"
	"z2sBMf5c9xhn5GKCpq9GGCgcMg==\n"
	"-----END PRIVATE KEY-----\n"
	;
static const char RSA1_PEM[] =
	"-----BEGIN RSA PRIVATE KEY-----\n"
	"MIICXgIBAAKBgQC8lKc/nU4PP+5nQCvsieyIE+Y8N//q7evpuJpcBJ9HW8FogHlu\n"
	"YgDak+0q7BoKgkAaJHoLcB6WLh103734E6rsOhffl8FvDZdZTwmaAwkp+CHxGg48\n"
	"8xIfQkQnFrLtWfvqKjONDleNrI8g0siifqG6lHHGfWC2DH3sa1WkAI6s0wIDAQAB\n"
	"AoGBAJAjXyJ0bbGiP+qTVf9Z/HyWGSh19Rnv+J2QCAvFTKkSLOZfLHF+XwCyiFiC\n"
	"VfUqUSyqLM6JSBep78HhMiZngf/ygG59ul2894rDEv/QlSY/HxPfDaxYC0Y626PR\n"
	"hpfCzl9H2fOPRuzBFRp+EXtQ9mdYQIUmocdD4fE+lv+rTkyBAkEA+LRf+1rAhey2\n"
	"PaeqxNcZZljFMi2uDGPGyjntuyD3q/Be55oQjCaFEWLRlTxtFqWbujvLmac2H195\n"
	"JexxUZQEwwJBAMIcyH9ZHFmP+0Nv3IpRbeh0bCpuAI1PEouITIwRTyYnVcBF5oQ5\n"
	"G7MFFTAy7f0KvDmIzi+25NJFnLSDmRaM9rECQQC3wV3hc24oBXupFkbgZSVJL3GT\n"
	"35hnYxkvtZlm17bm/RTB/l0XkCZlcCP2Jc1cHERxV1jZUGh2ya3TTV10ru7NAkA9\n"
	"TImkbaeeQPHAIhsrMvvaZKmj3IkgFtBsb+Z8dRrhmZpi1bAuITq2FezTA8JUHofC\n"
	"Q4mZV9B69rC98LDvhiSBAkEA+ER+7TzAGsUVu2w5W/0d1zsq81uQGEDJDL5MYPYw\n"
	"ZaF2pOz2MPzmQWfD/cbBFmem2s9YI8j/y+dKvQN2bymKvg==\n"
	"-----END RSA PRIVATE KEY-----\n"
	;
static const char ED_PEM[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MC4CAQAwBQYDK2VwBCIEIEDg8qX0hrpGvnFgaq8tOPosOvmsWFWm3pUfXWxoi1n2\n"
	"-----END PRIVATE KEY-----\n"
	;
static const char EC_PEM[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgvZ/a4SLw2idcGHVl\n"
	"4/p20953t9wNRLTZKPNIydspynehRANCAASbTbrm1J9CB5bgi2cNNN+RqYXbpchp\n"
	"5SYMfR1KklpxyIGzxY1KyszTKRj0bG8h0MeJcJWbyRFj3bBR70omj8RY\n"
	"-----END PRIVATE KEY-----\n"
	;
static const char RSA_TXT[] = "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAvUcUC69QoQxxHM2axnxMC8eyj46VLjmUs/eLYplda8ed4qUIlz2UhkxejjOX7HSbPKbkbMKYnLUfqyGFY74TEG85fidgRHHbhevDo1BtXyGp0MZoZLk4arSQ/6dlavzMxdnClc1DL1by26RpeCvQ01N/wT0fJiWTHKBfddDRdd08drI/+6usHLuyH0UvxYT4kqZZh+kXAw5EoSp9p2nmsXziVps2nuL4zIfm5gahCWe06aDSuakw4OP/VF2hxA9/0RR9XyLhFORBtZoWsy4cI2FA1s2MZRJBAzOjjjiuMLvvtnfLFk4Vtr39OsjoQhPGINpIWPsMVUTlfQOiR1mVfwIDAQAB";
static const char RSA1_TXT[] = "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC8lKc/nU4PP+5nQCvsieyIE+Y8N//q7evpuJpcBJ9HW8FogHluYgDak+0q7BoKgkAaJHoLcB6WLh103734E6rsOhffl8FvDZdZTwmaAwkp+CHxGg488xIfQkQnFrLtWfvqKjONDleNrI8g0siifqG6lHHGfWC2DH3sa1WkAI6s0wIDAQAB";
static const char ED_TXT[] = "v=DKIM1; k=ed25519; p=mAzWcmOWewrzRppN9eXXMxAW+/W8r/5kuGZ41m73/WQ=";

#define NOW 1800000000ULL

static int fake_txt(void *ctx, const char *name, stralloc *out)
{
	const char *t = 0;
	(void)ctx;
	if (!strcmp(name, "r1._domainkey.example.test")) t = RSA_TXT;
	if (!strcmp(name, "p1._domainkey.example.test")) t = RSA1_TXT;
	if (!strcmp(name, "e1._domainkey.example.test")) t = ED_TXT;
	if (!t) return DKIM_DNS_NONE;
	return stralloc_catb(out, t, strlen(t) + 1) ? DKIM_DNS_OK : DKIM_DNS_TEMP;
}

/* lib/dkim's verdicts on msg, joined by ','. */
static void verify(const char *msg, size_t len, char *out, size_t outsize)
{
	static struct dkim v;
	struct dkim_dns dns = {fake_txt, 0};
	size_t pos = 0, k;

	dkim_init(&v);
	while (pos < len) {
		size_t start = pos;
		if (msg[pos] == '\n') { pos++; break; }
		if (msg[pos] == '\r' && pos + 1 < len && msg[pos + 1] == '\n') { pos += 2; break; }
		for (;;) {
			const char *nl = memchr(msg + pos, '\n', len - pos);
			pos = nl ? (size_t)(nl - msg) + 1 : len;
			if (pos >= len || (msg[pos] != ' ' && msg[pos] != '\t')) break;
		}
		dkim_header(&v, msg + start, pos - start);
	}
	dkim_headers_end(&v);
	dkim_body(&v, msg + pos, len - pos);
	dkim_finish(&v, &dns, NOW + 10);
	out[0] = 0;
	for (k = 0; k < v.nsig; k++) {
		if (k) strncat(out, ",", outsize - strlen(out) - 1);
		strncat(out, dkim_result_str(v.sig[k].result), outsize - strlen(out) - 1);
	}
	dkim_free(&v);
}

static struct dkimsign_key rsa, rsa1, ed;

/* The DKIM-Signature fields of msg fed in pieces of step (0: at once), one
 * per key given; "" when signing failed (why says why). */
static int sign(stralloc *out, const char *msg, size_t len, size_t step, const struct dkimsign_key *const *keys,
                const char **why)
{
	struct dkimsign s;
	char domain[256];
	size_t off = 0;
	int r = 0;

	out->len = 0;
	if (dkimsign_init(&s)) return *why = "init", -1;
	while (off < len) {
		size_t n = step && step < len - off ? step : len - off;
		dkimsign_feed(&s, msg + off, n);
		off += n;
	}
	dkimsign_end(&s);
	if (dkimsign_from_domain(&s, domain, sizeof domain, why)) r = -1;
	for (; !r && *keys; keys++)
		if (dkimsign_sign(&s, *keys, "example.test", NOW, out, why)) r = -1;
	dkimsign_free(&s);
	return r;
}

static const char MSG[] =
	"From: Ann <ann@Example.TEST>\n"
	"To: bob@example.org,\n"
	"  carl@example.org\n"
	"Subject:   a   test\n"
	"Date: Thu, 3 Dec 2026 12:00:00 +0000\n"
	"Message-ID: <1@example.test>\n"
	"Received: from x by y\n"
	"List-Id: <l.example.test>\n"
	"\n"
	"Hello  there  \n"
	"\n"
	"bye\n"
	"\n\n\n";

/* msg with the signature fields on top; its verdicts. */
static void signed_verdict(const stralloc *sigs, const char *msg, size_t len, char *out, size_t outsize)
{
	stralloc all = {0};
	stralloc_copy(&all, sigs);
	stralloc_catb(&all, msg, len);
	verify(all.s, all.len, out, outsize);
	stralloc_free(&all);
}

static void test_sign(void)
{
	const struct dkimsign_key *both[] = {&rsa, &ed, 0}, *one[] = {&rsa1, 0};
	stralloc a = {0}, b = {0}, crlf = {0};
	const char *why = "", *h, *p;
	char res[200];
	size_t i, line;
	int lines_ok = 1;

	ok(sign(&a, MSG, sizeof MSG - 1, 0, both, &why) == 0, "signs with an RSA and an Ed25519 key");
	signed_verdict(&a, MSG, sizeof MSG - 1, res, sizeof res);
	is_str(res, "pass,pass", "lib/dkim verifies both");
	stralloc_0(&a);
	a.len--;
	ok(strstr(a.s, "a=rsa-sha256;") && strstr(a.s, "a=ed25519-sha256;") && strstr(a.s, "c=relaxed/relaxed;") &&
	   strstr(a.s, "d=example.test;") && strstr(a.s, "s=r1;") && strstr(a.s, "s=e1;") && strstr(a.s, "t=1800000000;"),
	   "a=, c=, d=, s=, t= as asked");
	stralloc_copy(&b, &a);
	for (i = 0, line = 0; i < b.len; i++)
		if (b.s[i] != '\n' && b.s[i] != '\t') b.s[line++] = b.s[i];
	b.s[line] = 0;
	h = strstr(b.s, "h=");
	ok(h && !strncmp(h, "h=from:from:to:to:subject:subject:date:date:message-id:list-id;", 63),
	   "h=: From, To, Subject, Date oversigned, Message-ID and List-Id, not Received");
	for (p = a.s, line = 0; *p; p++) {
		if (*p == '\n') { line = 0; continue; }
		if (++line >= 78) lines_ok = 0;
	}
	ok(lines_ok, "every line of the fields under 78 bytes");
	ok(!strncmp(a.s, "DKIM-Signature: v=1;", 20) && a.s[a.len - 1] == '\n', "whole fields, LF-ended");

	for (i = 1; i < 9; i++) {
		sign(&b, MSG, sizeof MSG - 1, i, both, &why);
		if (b.len != a.len || memcmp(a.s, b.s, a.len)) break;
	}
	ok(i == 9, "the same signatures in pieces of 1 to 8 bytes");
	for (i = 0; i < sizeof MSG - 1; i++) {
		if (MSG[i] == '\n') stralloc_cats(&crlf, "\r");
		stralloc_catb(&crlf, MSG + i, 1);
	}
	sign(&b, crlf.s, crlf.len, 0, both, &why);
	ok(b.len == a.len && !memcmp(a.s, b.s, a.len), "the same with CRLF line ends");

	{
		char m[sizeof MSG];
		memcpy(m, MSG, sizeof MSG);
		*strstr(m, "bye") = 'B';
		signed_verdict(&a, m, sizeof MSG - 1, res, sizeof res);
		is_str(res, "fail,fail", "a changed body fails both");
		memcpy(m, MSG, sizeof MSG);
		*strstr(m, "a   test") = 'A';
		signed_verdict(&a, m, sizeof MSG - 1, res, sizeof res);
		is_str(res, "fail,fail", "a changed Subject fails both");
		memcpy(m, MSG, sizeof MSG);
		memcpy(strstr(m, "Received"), "X-Other:", 8);
		signed_verdict(&a, m, sizeof MSG - 1, res, sizeof res);
		is_str(res, "pass,pass", "an unsigned field may change");
	}
	{
		stralloc m = {0};
		stralloc_copy(&m, &a);
		stralloc_cats(&m, "Subject: another\n");
		stralloc_catb(&m, MSG, sizeof MSG - 1);
		verify(m.s, m.len, res, sizeof res);
		is_str(res, "fail,fail", "oversigning: an added Subject fails both");
		stralloc_copy(&m, &a);
		stralloc_cats(&m, "Cc: eve@example.org\n");
		stralloc_catb(&m, MSG, sizeof MSG - 1);
		verify(m.s, m.len, res, sizeof res);
		is_str(res, "pass,pass", "an added Cc (absent when signed, not oversigned) still passes");
		stralloc_free(&m);
	}

	ok(sign(&b, MSG, sizeof MSG - 1, 0, one, &why) == 0, "signs with a PKCS#1 RSA key");
	signed_verdict(&b, MSG, sizeof MSG - 1, res, sizeof res);
	is_str(res, "pass", "which verifies");

	{
		static const char empty[] = "From: a@example.test\nSubject: x\n\n";
		static const char nobody[] = "From: a@example.test\nSubject: x\n";
		sign(&b, empty, sizeof empty - 1, 0, both, &why);
		signed_verdict(&b, empty, sizeof empty - 1, res, sizeof res);
		is_str(res, "pass,pass", "an empty body");
		sign(&b, nobody, sizeof nobody - 1, 0, both, &why);
		signed_verdict(&b, nobody, sizeof nobody - 1, res, sizeof res);
		is_str(res, "pass,pass", "no body at all");
	}
	{
		stralloc big = {0};
		stralloc_cats(&big, "From: a@example.test\nSubject: big\n\n");
		for (i = 0; i < 20000; i++) stralloc_cats(&big, "0123456789 abc  \t\n");
		sign(&b, big.s, big.len, 4096, both, &why);
		signed_verdict(&b, big.s, big.len, res, sizeof res);
		is_str(res, "pass,pass", "a body of 360 KB");
		stralloc_free(&big);
	}
	stralloc_free(&a);
	stralloc_free(&b);
	stralloc_free(&crlf);
}

static void test_from(void)
{
	static const struct {
		const char *msg, *domain;
	} t[] = {
		{"From: Ann <ann@Sub.Example.TEST>\n\nx\n", "sub.example.test"},
		{"from:ann@example.test (Ann)\n\nx\n", "example.test"},
		{"From: \"a, b\" <ann@example.test>\n\nx\n", "example.test"},
		{"To: b@example.test\n\nx\n", 0},
		{"From: a@example.test\nFrom: b@example.test\n\nx\n", 0},
		{"From: a@example.test, b@example.test\n\nx\n", 0},
		{"From: ann\n\nx\n", 0},
		{"From: <>\n\nx\n", 0},
		{"From: a@[127.0.0.1]\n\nx\n", 0},
		{"From: undisclosed:;\n\nx\n", 0},
		{"From: a@example.test\n", "example.test"},
	};
	const struct dkimsign_key *both[] = {&rsa, &ed, 0};
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct dkimsign s;
		char d[256], label[120];
		const char *why = "";
		int r;
		stralloc out = {0};
		dkimsign_init(&s);
		dkimsign_feed(&s, t[i].msg, strlen(t[i].msg));
		dkimsign_end(&s);
		r = dkimsign_from_domain(&s, d, sizeof d, &why);
		snprintf(label, sizeof label, "From domain of %.60s", t[i].msg);
		for (char *c = label; *c; c++)
			if (*c == '\n') *c = '|';
		if (t[i].domain) ok(r == 0 && !strcmp(d, t[i].domain), label);
		else ok(r == -1 && why[0], label);
		if (!t[i].domain && strstr(t[i].msg, "From: a@example.test\nFrom"))
			ok(dkimsign_sign(&s, &rsa, "example.test", NOW, &out, &why) == -1 && out.len == 0,
			   "two From fields: dkimsign_sign refuses too");
		stralloc_free(&out);
		dkimsign_free(&s);
	}
	{
		stralloc big = {0}, out = {0};
		const char *why = "";
		stralloc_cats(&big, "From: a@example.test\n");
		for (i = 0; i < DKIMSIGN_HEADER_BYTES / 20; i++) stralloc_cats(&big, "X-Pad: 0123456789ab\n");
		stralloc_cats(&big, "\nbody\n");
		ok(sign(&out, big.s, big.len, 1000, both, &why) == -1 && out.len == 0, "a header over the bound: not signed");
		big.len = 0;
		stralloc_cats(&big, "From: a@example.test\nX-Long: ");
		for (i = 0; i < HDRSPLIT_FIELD_MAX + 10; i++) stralloc_cats(&big, "a");
		stralloc_cats(&big, "\n\nbody\n");
		ok(sign(&out, big.s, big.len, 0, both, &why) == -1 && out.len == 0, "a field line over 64 KiB: not signed");
		big.len = 0;
		stralloc_cats(&big, "From: a@example.test\nX-Long: a\n");
		for (i = 0; i < HDRSPLIT_FIELD_MAX / 10 + 10; i++) stralloc_cats(&big, " 12345678\n");
		stralloc_cats(&big, "\nbody\n");
		ok(sign(&out, big.s, big.len, 0, both, &why) == -1 && out.len == 0, "a folded field over 64 KiB: not signed");
		big.len = 0;
		stralloc_cats(&big, "From: a@example.test\nnot a field\nbody\n");
		ok(sign(&out, big.s, big.len, 0, both, &why) == -1 && out.len == 0, "a header without an empty line: not signed");
		stralloc_free(&big);
		stralloc_free(&out);
	}
}

static void test_keys(void)
{
	struct dkimsign_key k;
	const char *why = "";
	char buf[4096];
	size_t i;
	static const char *const bad_sel[] = {"", "a.b", "a/b", "../x", "a b",
	                                      "0123456789012345678901234567890123456789012345678901234567890123"};

	ok(dkimsign_key_read(&k, EC_PEM, sizeof EC_PEM - 1, "x", &why) == -1 && strstr(why, "neither"),
	   "an EC key: refused (neither RSA nor Ed25519)");
	dkimsign_key_free(&k);
	for (i = 0; i < sizeof bad_sel / sizeof bad_sel[0]; i++) {
		ok(dkimsign_key_read(&k, ED_PEM, sizeof ED_PEM - 1, bad_sel[i], &why) == -1, "a bad selector");
		dkimsign_key_free(&k);
	}
	ok(dkimsign_key_read(&k, "", 0, "x", &why) == -1, "an empty file");
	ok(dkimsign_key_read(&k, "hello", 5, "x", &why) == -1, "not PEM");
	/* cut short anywhere: refused, never a crash */
	for (i = 0; i < sizeof RSA_PEM - 1; i += 37) {
		if (dkimsign_key_read(&k, RSA_PEM, i, "x", &why) == 0) break;
		dkimsign_key_free(&k);
	}
	ok(i >= sizeof RSA_PEM - 1, "an RSA key cut short anywhere: refused");
	/* a bit flipped in the base64 of the Ed25519 key's DER header */
	memcpy(buf, ED_PEM, sizeof ED_PEM);
	buf[30] = buf[30] == 'A' ? 'B' : 'A';
	ok(dkimsign_key_read(&k, buf, sizeof ED_PEM - 1, "x", &why) == -1, "a damaged Ed25519 key");
	dkimsign_key_free(&k);
	memcpy(buf, "-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n", 60);
	ok(dkimsign_key_read(&k, buf, 59, "x", &why) == -1, "bad base64");
	memset(buf, 'A', sizeof buf);
	ok(dkimsign_key_read(&k, buf, DKIMSIGN_KEY_BYTES + 1, "x", &why) == -1, "a file over the bound");
}

int main(void)
{
	const char *why = "";

	ok(dkimsign_key_read(&rsa, RSA_PEM, sizeof RSA_PEM - 1, "r1", &why) == 0 && rsa.type == DKIM_KEY_RSA,
	   "reads an RSA PKCS#8 key");
	ok(dkimsign_key_read(&rsa1, RSA1_PEM, sizeof RSA1_PEM - 1, "p1", &why) == 0 && rsa1.type == DKIM_KEY_RSA,
	   "reads an RSA PKCS#1 key");
	ok(dkimsign_key_read(&ed, ED_PEM, sizeof ED_PEM - 1, "e1", &why) == 0 && ed.type == DKIM_KEY_ED25519,
	   "reads an Ed25519 PKCS#8 key");
	test_sign();
	test_from();
	test_keys();
	dkimsign_key_free(&rsa);
	dkimsign_key_free(&rsa1);
	dkimsign_key_free(&ed);
	return tap_done();
}
