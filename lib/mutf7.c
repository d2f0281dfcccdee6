/*
 * Modified UTF-7 (RFC 3501 section 5.1.3): checks and conversions; the
 * rules of a valid name are in mutf7.h.
 *
 * One decoder serves mutf7_check and mutf7_to_utf8 (the check is a
 * decode that keeps nothing), so what the check accepts is exactly what
 * converts.  The encoder writes the one canonical form: each maximal run
 * of characters from U+0080 up becomes one shift.
 */
#include <stdint.h>
#include "mutf7.h"

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z') return c - 'A';
	if (c >= 'a' && c <= 'z') return c - 'a' + 26;
	if (c >= '0' && c <= '9') return c - '0' + 52;
	if (c == '+') return 62;
	if (c == ',') return 63;
	return -1;
}

static int is_control(uint32_t c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f);
}

/* Appends the UTF-8 form of c (a scalar value) to out, if out. */
static int put_utf8(stralloc *out, uint32_t c)
{
	char b[4];
	unsigned n;

	if (!out) return 1;
	if (c < 0x80) {
		b[0] = (char)c;
		n = 1;
	} else if (c < 0x800) {
		b[0] = (char)(0xc0 | c >> 6);
		b[1] = (char)(0x80 | (c & 0x3f));
		n = 2;
	} else if (c < 0x10000) {
		b[0] = (char)(0xe0 | c >> 12);
		b[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		b[2] = (char)(0x80 | (c & 0x3f));
		n = 3;
	} else {
		b[0] = (char)(0xf0 | c >> 18);
		b[1] = (char)(0x80 | ((c >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((c >> 6) & 0x3f));
		b[3] = (char)(0x80 | (c & 0x3f));
		n = 4;
	}
	return stralloc_catb(out, b, n);
}

/* The shift that starts at s[*pos] (just past its '&'), up to and
 * including its '-'; the characters go to out when out is set. */
static int decode_shift(const char *s, size_t len, size_t *pos, stralloc *out)
{
	uint32_t bits = 0, high = 0;
	unsigned nbits = 0;
	size_t i = *pos;

	for (;; i++) {
		int v;
		uint32_t u;

		if (i >= len) return MUTF7_UNTERMINATED;
		if (s[i] == '-') break;
		if ((v = b64_value((unsigned char)s[i])) < 0) return MUTF7_BASE64;
		bits = (bits << 6) | (uint32_t)v;
		nbits += 6;
		if (nbits < 16) continue;
		nbits -= 16;
		u = (bits >> nbits) & 0xffff;
		bits &= (1u << nbits) - 1;
		if (high) {
			/* the second half of a pair */
			if (u < 0xdc00 || u > 0xdfff) return MUTF7_SURROGATE;
			if (!put_utf8(out, 0x10000 + ((high - 0xd800) << 10) + (u - 0xdc00))) return MUTF7_NOMEM;
			high = 0;
		} else if (u >= 0xd800 && u <= 0xdbff) {
			high = u;
		} else if (u >= 0xdc00 && u <= 0xdfff) {
			return MUTF7_SURROGATE;
		} else if (is_control(u)) {
			return MUTF7_CONTROL;
		} else if (u < 0x80) {
			/* printable US-ASCII, which must stand for itself */
			return MUTF7_DIRECT;
		} else if (!put_utf8(out, u)) {
			return MUTF7_NOMEM;
		}
	}
	if (high) return MUTF7_SURROGATE;
	/* what is left must be the zero padding of the last unit's last
	 * character: 0, 2 or 4 bits ("&-" never gets here, so i > *pos) */
	if (nbits >= 6 || bits) return MUTF7_BITS;
	*pos = i + 1;
	return MUTF7_OK;
}

static int decode(const char *s, size_t len, stralloc *out)
{
	size_t i = 0, shift_end = (size_t)-1;   /* where the last shift ended */
	int r;

	if (len > MUTF7_MAX) return MUTF7_TOOLONG;
	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c > 0x7e) return c == 0x7f || c < 0x20 ? MUTF7_CONTROL : MUTF7_BYTE;
		if (c != '&') {
			if (out && !stralloc_append(out, (char *)&c)) return MUTF7_NOMEM;
			i++;
			continue;
		}
		if (i + 1 < len && s[i + 1] == '-') {
			if (out && !stralloc_append(out, "&")) return MUTF7_NOMEM;
			i += 2;
			continue;
		}
		if (i == shift_end) return MUTF7_ADJACENT;
		i++;
		if ((r = decode_shift(s, len, &i, out)) != MUTF7_OK) return r;
		shift_end = i;
	}
	return MUTF7_OK;
}

int mutf7_check(const char *s, size_t len)
{
	return decode(s, len, 0);
}

/* Ends out as a string, or empties it after an error. */
static int finish(stralloc *out, int r)
{
	if (r == MUTF7_OK && !stralloc_0(out)) r = MUTF7_NOMEM;
	if (r == MUTF7_OK) {
		out->len--;
		return r;
	}
	out->len = 0;
	if (out->s) out->s[0] = 0;
	return r;
}

int mutf7_to_utf8(const char *s, size_t len, stralloc *out)
{
	out->len = 0;
	return finish(out, decode(s, len, out));
}

/* The scalar value of the UTF-8 sequence at s[*pos] (RFC 3629: shortest
 * form, no surrogates, up to U+10FFFF), advancing *pos; or -1. */
static long utf8_next(const char *s, size_t len, size_t *pos)
{
	const unsigned char *p = (const unsigned char *)s + *pos;
	size_t left = len - *pos, n, k;
	uint32_t c, min;

	if (p[0] < 0x80) { *pos += 1; return p[0]; }
	if (p[0] >= 0xc2 && p[0] <= 0xdf) { n = 2; c = p[0] & 0x1f; min = 0x80; }
	else if (p[0] >= 0xe0 && p[0] <= 0xef) { n = 3; c = p[0] & 0x0f; min = 0x800; }
	else if (p[0] >= 0xf0 && p[0] <= 0xf4) { n = 4; c = p[0] & 0x07; min = 0x10000; }
	else return -1;
	if (left < n) return -1;
	for (k = 1; k < n; k++) {
		if ((p[k] & 0xc0) != 0x80) return -1;
		c = (c << 6) | (p[k] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) return -1;
	*pos += n;
	return (long)c;
}

/* The modified BASE64 of the pending bits, 6 at a time; with flush, the
 * rest padded with zero bits. */
static int put_bits(stralloc *out, uint32_t *bits, unsigned *nbits, int flush)
{
	while (*nbits >= 6) {
		*nbits -= 6;
		if (!stralloc_append(out, &b64[(*bits >> *nbits) & 0x3f])) return 0;
	}
	*bits &= (1u << *nbits) - 1;
	if (flush && *nbits) {
		if (!stralloc_append(out, &b64[(*bits << (6 - *nbits)) & 0x3f])) return 0;
		*bits = 0;
		*nbits = 0;
	}
	return 1;
}

static int encode(const char *s, size_t len, stralloc *out)
{
	size_t i = 0;
	uint32_t bits = 0;
	unsigned nbits = 0;
	int shifted = 0;

	if (len > MUTF7_MAX) return MUTF7_TOOLONG;
	while (i < len) {
		long c = utf8_next(s, len, &i);
		if (c < 0) return MUTF7_UTF8;
		if (is_control((uint32_t)c)) return MUTF7_CONTROL;
		if (c < 0x80) {
			if (shifted) {
				if (!put_bits(out, &bits, &nbits, 1) || !stralloc_append(out, "-")) return MUTF7_NOMEM;
				shifted = 0;
			}
			if (!stralloc_append(out, (const char *)&s[i - 1])) return MUTF7_NOMEM;
			if (c == '&' && !stralloc_append(out, "-")) return MUTF7_NOMEM;
		} else {
			if (!shifted) {
				if (!stralloc_append(out, "&")) return MUTF7_NOMEM;
				shifted = 1;
			}
			if (c >= 0x10000) {
				uint32_t v = (uint32_t)c - 0x10000;
				bits = (bits << 16) | (0xd800 | (v >> 10));
				nbits += 16;
				if (!put_bits(out, &bits, &nbits, 0)) return MUTF7_NOMEM;
				c = 0xdc00 | (v & 0x3ff);
			}
			bits = (bits << 16) | (uint32_t)c;
			nbits += 16;
			if (!put_bits(out, &bits, &nbits, 0)) return MUTF7_NOMEM;
		}
		if (out->len > MUTF7_MAX) return MUTF7_TOOLONG;
	}
	if (shifted && (!put_bits(out, &bits, &nbits, 1) || !stralloc_append(out, "-"))) return MUTF7_NOMEM;
	if (out->len > MUTF7_MAX) return MUTF7_TOOLONG;
	return MUTF7_OK;
}

int mutf7_from_utf8(const char *s, size_t len, stralloc *out)
{
	out->len = 0;
	return finish(out, encode(s, len, out));
}

const char *mutf7_error(int status)
{
	switch (status) {
	case MUTF7_OK: return "valid";
	case MUTF7_TOOLONG: return "name too long";
	case MUTF7_BYTE: return "8-bit byte in a name (names are modified UTF-7)";
	case MUTF7_UNTERMINATED: return "modified BASE64 without its closing '-'";
	case MUTF7_BASE64: return "character outside modified BASE64";
	case MUTF7_BITS: return "modified BASE64 that ends within a character";
	case MUTF7_SURROGATE: return "unpaired UTF-16 surrogate";
	case MUTF7_DIRECT: return "modified BASE64 for a character that stands for itself";
	case MUTF7_ADJACENT: return "two modified BASE64 runs in a row";
	case MUTF7_CONTROL: return "control character in a name";
	case MUTF7_UTF8: return "not UTF-8";
	case MUTF7_NOMEM: return "out of memory";
	}
	return "invalid";
}
