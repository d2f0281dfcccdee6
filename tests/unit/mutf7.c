/* Unit tests of lib/mutf7: valid and invalid names, conversions both
 * ways, round trips over the BMP and random text, hostile input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tap.h"
#include "mutf7.h"

static int check(const char *s)
{
	return mutf7_check(s, strlen(s));
}

static void to8(const char *m, const char *want, const char *name)
{
	stralloc out = {0};
	int r = mutf7_to_utf8(m, strlen(m), &out);
	if (!tap_ok(r == MUTF7_OK && out.len == strlen(want) && !memcmp(out.s, want, out.len), name))
		printf("#   %s: got %d '%.*s'\n", m, r, (int)out.len, out.s ? out.s : "");
	stralloc_free(&out);
}

static void from8(const char *u, const char *want, const char *name)
{
	stralloc out = {0};
	int r = mutf7_from_utf8(u, strlen(u), &out);
	if (!tap_ok(r == MUTF7_OK && out.len == strlen(want) && !memcmp(out.s, want, out.len) && !out.s[out.len], name))
		printf("#   got %d '%.*s', want '%s'\n", r, (int)out.len, out.s ? out.s : "", want);
	stralloc_free(&out);
}

/* UTF-8 of c into b; its length. */
static size_t utf8(unsigned long c, char *b)
{
	if (c < 0x80) { b[0] = (char)c; return 1; }
	if (c < 0x800) { b[0] = (char)(0xc0 | c >> 6); b[1] = (char)(0x80 | (c & 0x3f)); return 2; }
	if (c < 0x10000) {
		b[0] = (char)(0xe0 | c >> 12); b[1] = (char)(0x80 | ((c >> 6) & 0x3f)); b[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	b[0] = (char)(0xf0 | c >> 18); b[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	b[2] = (char)(0x80 | ((c >> 6) & 0x3f)); b[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

/* UTF-8 -> mUTF-7 -> check -> UTF-8 gives the text back, and the name
 * back again. */
static int round_trip(const char *u, size_t len)
{
	stralloc m = {0}, back = {0}, m2 = {0};
	int good = mutf7_from_utf8(u, len, &m) == MUTF7_OK && mutf7_check(m.s, m.len) == MUTF7_OK &&
		   mutf7_to_utf8(m.s, m.len, &back) == MUTF7_OK && back.len == len && !memcmp(back.s, u, len) &&
		   mutf7_from_utf8(back.s, back.len, &m2) == MUTF7_OK && m2.len == m.len && !memcmp(m2.s, m.s, m.len);
	stralloc_free(&m);
	stralloc_free(&back);
	stralloc_free(&m2);
	return good;
}

int main(void)
{
	stralloc out = {0};
	char big[MUTF7_MAX + 8], buf[64];
	unsigned long c, bad;
	unsigned i, k;

	/* ---- valid names ---- */
	is_int(check("INBOX"), MUTF7_OK, "plain ASCII");
	is_int(check(""), MUTF7_OK, "empty (callers refuse empty names themselves)");
	is_int(check(" !\"#$%'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~"), MUTF7_OK, "every printable but '&'");
	is_int(check("&-"), MUTF7_OK, "&- is '&'");
	is_int(check("a&-b&-&-"), MUTF7_OK, "several &-");
	is_int(check("&ZeVnLIqe-"), MUTF7_OK, "Japanese");
	is_int(check("~peter/mail/&U,BTFw-/&ZeVnLIqe-"), MUTF7_OK, "RFC 3501 5.1.3's example");
	is_int(check("&AOQA5A-"), MUTF7_OK, "two characters in one shift");
	is_int(check("&AOQ-&-&AOQ-"), MUTF7_OK, "shift, &-, shift");
	is_int(check("&2D3eAA-"), MUTF7_OK, "a surrogate pair (U+1F600)");
	
	/* ---- invalid names ---- */
	is_int(check("\xc3\xa4"), MUTF7_BYTE, "raw UTF-8 bytes");
	is_int(check("a\xff"), MUTF7_BYTE, "an 8-bit byte");
	is_int(mutf7_check("a\0b", 3), MUTF7_CONTROL, "a NUL");
	is_int(check("a\tb"), MUTF7_CONTROL, "a tab");
	is_int(check("a\x7f"), MUTF7_CONTROL, "DEL");
	is_int(check("&AOQ"), MUTF7_UNTERMINATED, "no closing -");
	is_int(check("&"), MUTF7_UNTERMINATED, "a lone & at the end");
	is_int(check("a&"), MUTF7_UNTERMINATED, "a lone & after text");
	is_int(check("&AOQ&-"), MUTF7_BASE64, "& inside a shift");
	is_int(check("&AO/-"), MUTF7_BASE64, "'/' is not modified BASE64");
	is_int(check("&AOQ=-"), MUTF7_BASE64, "no = padding");
	is_int(check("&AO Q-"), MUTF7_BASE64, "a space inside a shift");
	is_int(check("&A-"), MUTF7_BITS, "6 bits: no whole unit");
	is_int(check("&AA-"), MUTF7_BITS, "12 bits: no whole unit");
	is_int(check("&AOR-"), MUTF7_BITS, "padding bits set");
	is_int(check("&AOQA-"), MUTF7_BITS, "a spare character after the last unit");
	is_int(check("&AOQA5-"), MUTF7_BITS, "half a unit after the first");
	is_int(check("&AGE-"), MUTF7_DIRECT, "'a' encoded");
	is_int(check("&ACY-"), MUTF7_DIRECT, "'&' encoded");
	is_int(check("&AC4-"), MUTF7_DIRECT, "'.' encoded (would hide a delimiter)");
	is_int(check("&AC8-"), MUTF7_DIRECT, "'/' encoded");
	is_int(check("&AOQAYQ-"), MUTF7_DIRECT, "ASCII after a character in one shift");
	is_int(check("&AAA-"), MUTF7_CONTROL, "U+0000 encoded");
	is_int(check("&AAo-"), MUTF7_CONTROL, "LF encoded");
	is_int(check("&AH8-"), MUTF7_CONTROL, "DEL encoded");
	is_int(check("&AIU-"), MUTF7_CONTROL, "C1 NEL encoded");
	is_int(check("&AIA-"), MUTF7_CONTROL, "U+0080 (C1) encoded");
	is_int(check("&AKA-"), MUTF7_OK, "U+00A0, the first after C1");
	is_int(check("&2D0-"), MUTF7_SURROGATE, "a lone high surrogate");
	is_int(check("&3gA-"), MUTF7_SURROGATE, "a lone low surrogate");
	is_int(check("&2D3YPQ-"), MUTF7_SURROGATE, "two high surrogates");
	is_int(check("&2D0A5A-"), MUTF7_SURROGATE, "a high surrogate then a letter");
	is_int(check("&AOQ-&AOQ-"), MUTF7_ADJACENT, "two shifts in a row");
	memset(big, 'a', sizeof big);
	is_int(mutf7_check(big, MUTF7_MAX), MUTF7_OK, "MUTF7_MAX bytes");
	is_int(mutf7_check(big, MUTF7_MAX + 1), MUTF7_TOOLONG, "one more");
	ok(strlen(mutf7_error(MUTF7_BYTE)) > 5 && strlen(mutf7_error(-99)) > 0, "error texts");

	/* ---- mUTF-7 -> UTF-8 ---- */
	to8("&ZeVnLIqe-", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "Japanese to UTF-8");
	to8("~peter/mail/&U,BTFw-/&ZeVnLIqe-", "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
	    "the RFC example to UTF-8");
	to8("Entw&APw-rfe", "Entw\xc3\xbcrfe", "a German name");
	to8("a&-b", "a&b", "&- to &");
	to8("&2D3eAA-", "\xf0\x9f\x98\x80", "a surrogate pair to 4 bytes");
	to8("&2,,f,w-", "\xf4\x8f\xbf\xbf", "U+10FFFF");
	to8("&,,8-", "\xef\xbf\xbf", "U+FFFF");
	stralloc_copys(&out, "junk");
	is_int(mutf7_to_utf8("&AGE-", 5, &out), MUTF7_DIRECT, "an invalid name does not convert");
	is_int(out.len, 0, "and leaves out empty");

	/* ---- UTF-8 -> mUTF-7 ---- */
	from8("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "&ZeVnLIqe-", "Japanese from UTF-8");
	from8("Entw\xc3\xbcrfe", "Entw&APw-rfe", "a German name from UTF-8");
	from8("Tom & Jerry", "Tom &- Jerry", "& becomes &-");
	from8("\xc3\xa4\xc3\xa4", "&AOQA5A-", "a run is one shift");
	from8("\xc3\xa4&\xc3\xa4", "&AOQ-&-&AOQ-", "& between two runs");
	from8("\xf0\x9f\x98\x80", "&2D3eAA-", "U+1F600 as a pair");
	from8("x\xf0\x9f\x98\x80\xc3\xa4y", "x&2D3eAADk-y", "a pair and a BMP character in one shift");
	from8("", "", "empty");
	is_int(mutf7_from_utf8("\xc0\xaf", 2, &out), MUTF7_UTF8, "an overlong form");
	is_int(mutf7_from_utf8("\xe0\x80\xaf", 3, &out), MUTF7_UTF8, "a 3-byte overlong form");
	is_int(mutf7_from_utf8("\xed\xa0\x80", 3, &out), MUTF7_UTF8, "an encoded surrogate");
	is_int(mutf7_from_utf8("\xf4\x90\x80\x80", 4, &out), MUTF7_UTF8, "above U+10FFFF");
	is_int(mutf7_from_utf8("\xe6\x97", 2, &out), MUTF7_UTF8, "a cut sequence");
	is_int(mutf7_from_utf8("\x80", 1, &out), MUTF7_UTF8, "a lone continuation byte");
	is_int(mutf7_from_utf8("\xff", 1, &out), MUTF7_UTF8, "0xff");
	is_int(mutf7_from_utf8("a\nb", 3, &out), MUTF7_CONTROL, "a control character");
	is_int(mutf7_from_utf8("\xc2\x85", 2, &out), MUTF7_CONTROL, "a C1 control character");
	is_int(mutf7_from_utf8(big, MUTF7_MAX + 1, &out), MUTF7_TOOLONG, "input over MUTF7_MAX");
	{
		/* 500 x U+00E4: 1000 bytes of UTF-8, 1336 of mUTF-7 (16 bits a
		 * character, 6 a byte): over the bound; 350 of them make 936 */
		char u[MUTF7_MAX];
		for (i = 0; i < 500; i++) { u[2 * i] = '\xc3'; u[2 * i + 1] = '\xa4'; }
		is_int(mutf7_from_utf8(u, 1000, &out), MUTF7_TOOLONG, "a result over MUTF7_MAX");
		is_int(out.len, 0, "and out is empty");
		is_int(mutf7_from_utf8(u, 700, &out), MUTF7_OK, "a long result within the bound");
		ok(out.len <= MUTF7_MAX && mutf7_check(out.s, out.len) == MUTF7_OK, "and valid");
	}

	/* ---- round trips ---- */
	bad = 0;
	for (c = 0x20; c < 0x10000; c++) {
		size_t n;
		if (c == 0x7f) c = 0xa0;
		if (c == 0xd800) c = 0xe000;
		n = utf8(c, buf);
		n += utf8('x', buf + n);
		n += utf8(c, buf + n);
		if (!round_trip(buf, n)) bad++;
	}
	is_int(bad, 0, "every BMP character round trips (alone, and two runs)");
	bad = 0;
	for (c = 0x10000; c <= 0x10ffff; c += 0x111) {
		size_t n = utf8(c, buf);
		n += utf8(0xe4, buf + n);
		if (!round_trip(buf, n)) bad++;
	}
	is_int(bad, 0, "characters above the BMP round trip");
	srand(3501);
	bad = 0;
	for (i = 0; i < 2000; i++) {
		static const unsigned long pool[] = {'a', 'Z', '&', '-', '.', ' ', '~', 0xa0, 0xe4, 0xfc, 0x3b1, 0x65e5,
						     0xfeff, 0xfffd, 0x1f600, 0x10ffff};
		size_t n = 0, len = (size_t)(rand() % 12);
		char u[64];
		for (k = 0; k < len; k++) n += utf8(pool[rand() % 16], u + n);
		if (!round_trip(u, n)) bad++;
	}
	is_int(bad, 0, "random texts round trip");

	/* ---- hostile input: random bytes never crash, and what passes the
	 * check converts and comes back unchanged ---- */
	bad = 0;
	for (i = 0; i < 20000; i++) {
		static const char alpha[] = "&-AOQZeVn2D3e,+/=a. \x80\xff";
		char m[32];
		size_t len = (size_t)(rand() % 16);
		stralloc back = {0};
		for (k = 0; k < len; k++) m[k] = alpha[rand() % (sizeof alpha - 1)];
		if (mutf7_check(m, len) == MUTF7_OK) {
			if (mutf7_to_utf8(m, len, &out) != MUTF7_OK || mutf7_from_utf8(out.s, out.len, &back) != MUTF7_OK ||
			    back.len != len || memcmp(back.s, m, len))
				bad++;
		} else if (mutf7_to_utf8(m, len, &out) == MUTF7_OK) {
			bad++;
		}
		stralloc_free(&back);
	}
	is_int(bad, 0, "random names: valid ones round trip, invalid ones do not convert");
	stralloc_free(&out);
	return tap_done();
}
