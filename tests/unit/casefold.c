/* Unit tests of lib/casefold: the folding table, UTF-8 decoding, and the
 * case-insensitive substring match of IMAP SEARCH. */
#include <stdio.h>
#include <string.h>
#include "tap.h"
#include "casefold.h"

static int has(const char *hay, const char *needle)
{
	return casefold_contains(hay, strlen(hay), needle, strlen(needle));
}

/* Encodes c as UTF-8 into buf (4 bytes at least); returns the length. */
static size_t enc(uint32_t c, char *buf)
{
	unsigned char *b = (unsigned char *)buf;
	if (c < 0x80) { b[0] = (unsigned char)c; return 1; }
	if (c < 0x800) { b[0] = (unsigned char)(0xc0 | c >> 6); b[1] = (unsigned char)(0x80 | (c & 0x3f)); return 2; }
	if (c < 0x10000) {
		b[0] = (unsigned char)(0xe0 | c >> 12); b[1] = (unsigned char)(0x80 | (c >> 6 & 0x3f));
		b[2] = (unsigned char)(0x80 | (c & 0x3f));
		return 3;
	}
	b[0] = (unsigned char)(0xf0 | c >> 18); b[1] = (unsigned char)(0x80 | (c >> 12 & 0x3f));
	b[2] = (unsigned char)(0x80 | (c >> 6 & 0x3f)); b[3] = (unsigned char)(0x80 | (c & 0x3f));
	return 4;
}

static uint32_t dec1(const char *s, size_t n, size_t *used)
{
	size_t pos = 0;
	uint32_t c = casefold_decode(s, n, &pos);
	*used = pos;
	return c;
}

int main(void)
{
	static const struct { uint32_t from, to; } folds[] = {
		{'A', 'a'}, {'Z', 'z'}, {'a', 'a'}, {'@', '@'}, {'[', '['},
		{0x00C4, 0x00E4}, {0x00C0, 0x00E0}, {0x00DE, 0x00FE}, {0x00D7, 0x00D7},   /* Ä À Þ; × stays */
		{0x00DF, 0x00DF}, {0x00E4, 0x00E4}, {0x00B5, 0x03BC},                     /* ß stays; µ to μ */
		{0x0100, 0x0101}, {0x0101, 0x0101}, {0x0141, 0x0142}, {0x0152, 0x0153}, /* Ā Ł Œ */
		{0x0178, 0x00FF}, {0x017F, 's'}, {0x0130, 0x0130}, {0x0131, 0x0131},    /* Ÿ ſ İ ı */
		{0x0391, 0x03B1}, {0x03A9, 0x03C9}, {0x038A, 0x03AF}, {0x03A3, 0x03C3},  /* Α Ω Ί Σ */
		{0x03C2, 0x03C3}, {0x03C3, 0x03C3}, {0x03A2, 0x03A2}, {0x0390, 0x0390},  /* ς; gap; ΐ */
		{0x0410, 0x0430}, {0x042F, 0x044F}, {0x0401, 0x0451}, {0x0400, 0x0450},  /* А Я Ё Ѐ */
		{0x0460, 0x0461}, {0x04C0, 0x04CF}, {0x04C1, 0x04C2}, {0x0500, 0x0501},  /* Ѡ Ӏ Ӂ Ԁ */
		{0x1E9E, 0x00DF}, {0x1EA0, 0x1EA1}, {0x1E00, 0x1E01},                     /* ẞ Ạ Ḁ */
		{0x4E2D, 0x4E2D}, {0x1F600, 0x1F600}, {0xFF21, 0xFF21},                   /* outside: unchanged */
		{CASEFOLD_INVALID + 0xC4, CASEFOLD_INVALID + 0xC4},
	};
	char buf[64], name[96];
	size_t i, used;
	uint32_t c;
	int idem = 1, round = 1;

	for (i = 0; i < sizeof folds / sizeof folds[0]; i++) {
		snprintf(name, sizeof name, "fold U+%04X is U+%04X", (unsigned)folds[i].from, (unsigned)folds[i].to);
		is_int(casefold_cp(folds[i].from), folds[i].to, name);
	}
	/* folding twice changes nothing; every valid code point decodes back */
	for (c = 0; c < 0x20000; c++) {
		size_t n;
		if (casefold_cp(casefold_cp(c)) != casefold_cp(c)) idem = 0;
		if (c >= 0xd800 && c <= 0xdfff) continue;
		n = enc(c, buf);
		if (dec1(buf, n, &used) != c || used != n) round = 0;
	}
	ok(idem, "folding is idempotent up to U+1FFFF");
	ok(round, "every code point up to U+1FFFF but the surrogates decodes from its UTF-8");

	/* malformed UTF-8: one byte at a time, never a code point */
	is_int(dec1("\xc3", 1, &used), CASEFOLD_INVALID + 0xc3, "truncated sequence: invalid unit");
	is_int(used, 1, "... of one byte");
	is_int(dec1("\xc3(", 2, &used), CASEFOLD_INVALID + 0xc3, "lead byte before ASCII: invalid");
	is_int(dec1("\xc0\xaf", 2, &used), CASEFOLD_INVALID + 0xc0, "overlong '/' (C0 AF): invalid");
	is_int(dec1("\xe0\x80\xaf", 3, &used), CASEFOLD_INVALID + 0xe0, "overlong 3-byte form: invalid");
	is_int(dec1("\xed\xa0\x80", 3, &used), CASEFOLD_INVALID + 0xed, "surrogate U+D800: invalid");
	is_int(dec1("\xf4\x90\x80\x80", 4, &used), CASEFOLD_INVALID + 0xf4, "above U+10FFFF: invalid");
	is_int(dec1("\xf5\x80\x80\x80", 4, &used), CASEFOLD_INVALID + 0xf5, "F5 lead byte: invalid");
	is_int(dec1("\x80", 1, &used), CASEFOLD_INVALID + 0x80, "lone continuation byte: invalid");
	is_int(dec1("\xff", 1, &used), CASEFOLD_INVALID + 0xff, "FF: invalid");
	is_int(dec1("\xf0\x9f\x98\x80", 4, &used), 0x1F600, "4-byte sequence");
	is_int(used, 4, "... read whole");

	/* matching */
	ok(has("Subject ÄRGER im Büro", "ärger"), "ÄRGER contains ärger");
	ok(has("ärger", "ÄRGER"), "ärger contains ÄRGER");
	ok(has("ΣΟΦΊΑ", "σοφία"), "ΣΟΦΊΑ contains σοφία");
	ok(has("σοφός", "ΣΟΦΟΣ") == 0, "accents count: σοφός is not ΣΟΦΟΣ");
	ok(has("ΣΟΦΟΣ", "σοφος") && has("ΣΟΦΟΣ", "σοφοσ"), "final sigma folds to sigma");
	ok(has("Привет, МИР", "мир") && has("привет", "ПРИВЕТ"), "Cyrillic");
	ok(has("ŁÓDŹ", "łódź") && has("ŒUVRE", "œuvre"), "Latin Extended-A");
	ok(has("Tiếng Việt", "TIẾNG VIỆT"), "Latin Extended Additional (Vietnamese)");
	ok(!has("straße", "STRASSE") && has("STRAßE", "straße"), "simple folding only: ß is not SS");
	ok(has("HELLO", "hello") && has("xyz", "") && !has("", "a"), "ASCII, empty needle, empty hay");
	ok(!has("ab", "abc") && has("aab", "ab"), "needle longer than hay; a match after a false start");

	/* invalid UTF-8 matches only itself, never part of a character */
	ok(!has("ÄRGER", "\xc3"), "a truncated sequence does not match the start of Ä");
	ok(!has("\xc4RGER", "ärger") && !has("\xc4RGER", "ÄRGER"), "Latin-1 Ä (invalid UTF-8) is not Ä");
	ok(has("\xc4RGER", "rger") && has("\xc4RGER", "\xc4rger"), "... but the rest matches, and the same byte does");
	ok(!has("\xe4", "\xc4") && !has("\xc4", "\xe4"), "invalid bytes do not fold");
	ok(has("x\xc3\xc3\xa4y", "ÄY"), "a broken byte before a character: matching goes on after it");
	ok(has("\xed\xa0\x80", "\xa0\x80"), "the units after an invalid lead byte are bytes of their own");
	ok(!has("ä", "\xa4"), "a continuation byte does not match inside a character");
	return tap_done();
}
