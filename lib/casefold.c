/*
 * Simple case folding of UTF-8 text (see casefold.h).
 *
 * The table holds runs of code points that fold by the same distance:
 * {first, last, delta, step}, where step 1 means every code point of the
 * run folds to itself + delta and step 2 means every other one does (the
 * upper/lower pairs of Latin Extended-A, Cyrillic and the rest, where the
 * lower case letter follows its capital).  It is sorted and disjoint, so a
 * binary search finds the one run that can hold c.  tools/casefold-table
 * prints it from the Unicode data; tests/unit/casefold.c checks it.
 */
#include "casefold.h"

struct fold_run {
	uint32_t first, last;
	int32_t delta;
	uint8_t step;
};

static const struct fold_run runs[] = {
	/* from Unicode 14.0.0, 540 code points */
	{0x00B5, 0x00B5, 775, 1},
	{0x00C0, 0x00D6, 32, 1},
	{0x00D8, 0x00DE, 32, 1},
	{0x0100, 0x012E, 1, 2},
	{0x0132, 0x0136, 1, 2},
	{0x0139, 0x0147, 1, 2},
	{0x014A, 0x0176, 1, 2},
	{0x0178, 0x0178, -121, 1},
	{0x0179, 0x017D, 1, 2},
	{0x017F, 0x017F, -268, 1},
	{0x0181, 0x0181, 210, 1},
	{0x0182, 0x0184, 1, 2},
	{0x0186, 0x0186, 206, 1},
	{0x0187, 0x0187, 1, 1},
	{0x0189, 0x018A, 205, 1},
	{0x018B, 0x018B, 1, 1},
	{0x018E, 0x018E, 79, 1},
	{0x018F, 0x018F, 202, 1},
	{0x0190, 0x0190, 203, 1},
	{0x0191, 0x0191, 1, 1},
	{0x0193, 0x0193, 205, 1},
	{0x0194, 0x0194, 207, 1},
	{0x0196, 0x0196, 211, 1},
	{0x0197, 0x0197, 209, 1},
	{0x0198, 0x0198, 1, 1},
	{0x019C, 0x019C, 211, 1},
	{0x019D, 0x019D, 213, 1},
	{0x019F, 0x019F, 214, 1},
	{0x01A0, 0x01A4, 1, 2},
	{0x01A6, 0x01A6, 218, 1},
	{0x01A7, 0x01A7, 1, 1},
	{0x01A9, 0x01A9, 218, 1},
	{0x01AC, 0x01AC, 1, 1},
	{0x01AE, 0x01AE, 218, 1},
	{0x01AF, 0x01AF, 1, 1},
	{0x01B1, 0x01B2, 217, 1},
	{0x01B3, 0x01B5, 1, 2},
	{0x01B7, 0x01B7, 219, 1},
	{0x01B8, 0x01B8, 1, 1},
	{0x01BC, 0x01BC, 1, 1},
	{0x01C4, 0x01C4, 2, 1},
	{0x01C5, 0x01C5, 1, 1},
	{0x01C7, 0x01C7, 2, 1},
	{0x01C8, 0x01C8, 1, 1},
	{0x01CA, 0x01CA, 2, 1},
	{0x01CB, 0x01DB, 1, 2},
	{0x01DE, 0x01EE, 1, 2},
	{0x01F1, 0x01F1, 2, 1},
	{0x01F2, 0x01F4, 1, 2},
	{0x01F6, 0x01F6, -97, 1},
	{0x01F7, 0x01F7, -56, 1},
	{0x01F8, 0x021E, 1, 2},
	{0x0220, 0x0220, -130, 1},
	{0x0222, 0x0232, 1, 2},
	{0x023A, 0x023A, 10795, 1},
	{0x023B, 0x023B, 1, 1},
	{0x023D, 0x023D, -163, 1},
	{0x023E, 0x023E, 10792, 1},
	{0x0241, 0x0241, 1, 1},
	{0x0243, 0x0243, -195, 1},
	{0x0244, 0x0244, 69, 1},
	{0x0245, 0x0245, 71, 1},
	{0x0246, 0x024E, 1, 2},
	{0x0345, 0x0345, 116, 1},
	{0x0370, 0x0372, 1, 2},
	{0x0376, 0x0376, 1, 1},
	{0x037F, 0x037F, 116, 1},
	{0x0386, 0x0386, 38, 1},
	{0x0388, 0x038A, 37, 1},
	{0x038C, 0x038C, 64, 1},
	{0x038E, 0x038F, 63, 1},
	{0x0391, 0x03A1, 32, 1},
	{0x03A3, 0x03AB, 32, 1},
	{0x03C2, 0x03C2, 1, 1},
	{0x03CF, 0x03CF, 8, 1},
	{0x03D0, 0x03D0, -30, 1},
	{0x03D1, 0x03D1, -25, 1},
	{0x03D5, 0x03D5, -15, 1},
	{0x03D6, 0x03D6, -22, 1},
	{0x03D8, 0x03EE, 1, 2},
	{0x03F0, 0x03F0, -54, 1},
	{0x03F1, 0x03F1, -48, 1},
	{0x03F4, 0x03F4, -60, 1},
	{0x03F5, 0x03F5, -64, 1},
	{0x03F7, 0x03F7, 1, 1},
	{0x03F9, 0x03F9, -7, 1},
	{0x03FA, 0x03FA, 1, 1},
	{0x03FD, 0x03FF, -130, 1},
	{0x0400, 0x040F, 80, 1},
	{0x0410, 0x042F, 32, 1},
	{0x0460, 0x0480, 1, 2},
	{0x048A, 0x04BE, 1, 2},
	{0x04C0, 0x04C0, 15, 1},
	{0x04C1, 0x04CD, 1, 2},
	{0x04D0, 0x052E, 1, 2},
	{0x1E00, 0x1E94, 1, 2},
	{0x1E9B, 0x1E9B, -58, 1},
	{0x1E9E, 0x1E9E, -7615, 1},
	{0x1EA0, 0x1EFE, 1, 2},
};

uint32_t casefold_cp(uint32_t c)
{
	size_t lo = 0, hi = sizeof runs / sizeof runs[0];

	if (c < 0x80) return c >= 'A' && c <= 'Z' ? c + 32 : c;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (c < runs[mid].first) hi = mid;
		else if (c > runs[mid].last) lo = mid + 1;
		else {
			if ((c - runs[mid].first) % runs[mid].step) return c;
			return (uint32_t)((int32_t)c + runs[mid].delta);
		}
	}
	return c;
}

uint32_t casefold_decode(const char *s, size_t n, size_t *pos)
{
	const unsigned char *p = (const unsigned char *)s + *pos;
	size_t avail = n - *pos, len, i;
	uint32_t c, min;

	if (p[0] < 0x80) { (*pos)++; return p[0]; }
	if (p[0] >= 0xc2 && p[0] <= 0xdf) { len = 2; c = p[0] & 0x1f; min = 0x80; }
	else if (p[0] >= 0xe0 && p[0] <= 0xef) { len = 3; c = p[0] & 0x0f; min = 0x800; }
	else if (p[0] >= 0xf0 && p[0] <= 0xf4) { len = 4; c = p[0] & 0x07; min = 0x10000; }
	else goto invalid;              /* a continuation byte, C0, C1, F5-FF */
	if (avail < len) goto invalid;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80) goto invalid;
		c = c << 6 | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) goto invalid;
	*pos += len;
	return c;
invalid:
	(*pos)++;
	return CASEFOLD_INVALID + p[0];
}

int casefold_contains(const char *hay, size_t hl, const char *needle, size_t nl)
{
	size_t start = 0;

	if (!nl) return 1;
	while (start < hl) {
		size_t h = start, k = 0, next = start;

		casefold_decode(hay, hl, &next);
		for (;;) {
			if (k == nl) return 1;
			/* what is left of hay is shorter than needle, and so is
			 * everything after this start */
			if (h == hl) return 0;
			if (casefold_cp(casefold_decode(hay, hl, &h)) != casefold_cp(casefold_decode(needle, nl, &k)))
				break;
		}
		start = next;
	}
	return 0;
}
