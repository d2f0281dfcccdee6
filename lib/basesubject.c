/*
 * RFC 5256 section 2.1: the base subject.  See basesubject.h.
 *
 * Steps (2) to (6) work on a window [b, e) of the folded text; removing
 * text only moves b or e, so each step is a cheap test at one end and the
 * whole is linear in the input.
 */
#include <string.h>
#include "basesubject.h"
#include "casefold.h"
#include "mime.h"

static size_t put_utf8(uint32_t c, char *b)
{
	if (c < 0x80) { b[0] = (char)c; return 1; }
	if (c < 0x800) { b[0] = (char)(0xc0 | c >> 6); b[1] = (char)(0x80 | (c & 0x3f)); return 2; }
	if (c < 0x10000) {
		b[0] = (char)(0xe0 | c >> 12); b[1] = (char)(0x80 | (c >> 6 & 0x3f));
		b[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	b[0] = (char)(0xf0 | c >> 18); b[1] = (char)(0x80 | (c >> 12 & 0x3f));
	b[2] = (char)(0x80 | (c >> 6 & 0x3f)); b[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

/* Step (1) after the decoding: white space collapsed, folded, bounded. */
static int fold(const char *s, size_t n, stralloc *out)
{
	size_t pos = 0;
	int space = 0;

	out->len = 0;
	if (!stralloc_ready(out, BASESUBJECT_MAX + 1)) return -1;
	while (pos < n) {
		uint32_t c = casefold_decode(s, n, &pos);
		char b[4];
		size_t l;
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') { space = 1; continue; }
		if (c == 0) continue;
		if (space) {
			if (out->len + 1 > BASESUBJECT_MAX) break;
			out->s[out->len++] = ' ';
			space = 0;
		}
		if (c >= CASEFOLD_INVALID) { b[0] = (char)(c - CASEFOLD_INVALID); l = 1; }
		else if ((c = casefold_cp(c)) >= 'a' && c <= 'z') { b[0] = (char)(c - 32); l = 1; }
		else l = put_utf8(c, b);
		if (out->len + l > BASESUBJECT_MAX) break;
		memcpy(out->s + out->len, b, l);
		out->len += l;
	}
	/* a trailing space is removed by step (2) anyway */
	if (space && out->len < BASESUBJECT_MAX) out->s[out->len++] = ' ';
	return 0;
}

int basesubject_fold(const char *s, size_t n, stralloc *out)
{
	size_t b = 0;
	if (fold(s, n, out) < 0) return -1;
	/* no space at either end: "" and " " compare the same */
	while (b < out->len && out->s[b] == ' ') b++;
	while (out->len > b && out->s[out->len - 1] == ' ') out->len--;
	memmove(out->s, out->s + b, out->len - b);
	out->len -= b;
	out->s[out->len] = 0;
	return 0;
}

static int is_wsp(char c) { return c == ' ' || c == '\t'; }

/* A subj-blob at s[p..e): "[" *BLOBCHAR "]" *WSP.  Its end, or 0. */
static size_t blob(const char *s, size_t p, size_t e)
{
	size_t q;
	if (p >= e || s[p] != '[') return 0;
	for (q = p + 1; q < e && s[q] != ']'; q++)
		if (s[q] == '[') return 0;
	if (q >= e) return 0;
	for (q++; q < e && is_wsp(s[q]); q++) {}
	return q;
}

/* subj-refwd = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":", after any
 * number of subj-blobs: the end of the leader at s[p..e), or 0. */
static size_t refwd_leader(const char *s, size_t p, size_t e)
{
	size_t q;
	while ((q = blob(s, p, e))) p = q;
	if (e - p >= 2 && !memcmp(s + p, "RE", 2)) p += 2;
	else if (e - p >= 3 && !memcmp(s + p, "FWD", 3)) p += 3;
	else if (e - p >= 2 && !memcmp(s + p, "FW", 2)) p += 2;
	else return 0;
	while (p < e && is_wsp(s[p])) p++;
	if ((q = blob(s, p, e))) p = q;
	if (p < e && s[p] == ':') return p + 1;
	return 0;
}

int basesubject(const char *raw, size_t len, stralloc *out, int *refwd)
{
	static stralloc dec;
	size_t b, e, q;
	const char *s;

	*refwd = 0;
	if (len > BASESUBJECT_IN_MAX) len = BASESUBJECT_IN_MAX;
	dec.len = 0;
	if (mime_decode_header(raw, len, &dec) < 0) return -1;
	if (fold(dec.s ? dec.s : "", dec.len, out) < 0) return -1;
	s = out->s;
	b = 0;
	e = out->len;
	for (;;) {
		int more;
		/* (2) subj-trailer: "(fwd)" / WSP at the end */
		for (;;) {
			if (e > b && is_wsp(s[e - 1])) e--;
			else if (e - b >= 5 && !memcmp(s + e - 5, "(FWD)", 5)) { e -= 5; *refwd = 1; }
			else break;
		}
		/* (3)-(5) */
		do {
			more = 0;
			if (b < e && is_wsp(s[b])) { b++; more = 1; }
			else if ((q = refwd_leader(s, b, e))) { b = q; *refwd = 1; more = 1; }
			else if ((q = blob(s, b, e)) && q < e) { b = q; more = 1; }
		} while (more);
		/* (6) subj-fwd-hdr "[fwd:" ... subj-fwd-trl "]" */
		if (e - b >= 6 && !memcmp(s + b, "[FWD:", 5) && s[e - 1] == ']') {
			b += 5;
			e--;
			*refwd = 1;
			continue;
		}
		break;
	}
	memmove(out->s, out->s + b, e - b);
	out->len = e - b;
	out->s[out->len] = 0;
	return 0;
}
