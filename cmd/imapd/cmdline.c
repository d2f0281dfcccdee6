/*
 * The first line of a command, with its tag kept even when the line is
 * too long (see cmdline.h).
 */
#include "cmdline.h"

int cmdline_first(struct stream *io, stralloc *line, char tag[IMAP_TAG_MAX + 1])
{
	static stralloc rest;
	char head[IMAP_TAG_MAX + 1];
	size_t n = 0;
	int r;

	line->len = 0;
	/* a tag of IMAP_TAG_MAX bytes and its space; no line is that short
	 * but a complete one, which ends here with its LF */
	while (n < sizeof head) {
		long k = stream_read(io, head + n, 1);
		if (k < 0) return (int)k;
		if (k == 0) return STREAM_EOF;
		if (head[n++] == ' ' || head[n - 1] == '\n') break;
	}
	if (head[n - 1] == '\n') {
		if (!stralloc_copyb(line, head, n) || !stralloc_0(line)) { line->len = 0; return STREAM_ERROR; }
		line->len--;
		return STREAM_OK;
	}
	r = stream_getline(io, &rest, IMAP_LINE_MAX - n);
	if (r == STREAM_TOOLONG) {
		if (imapparse_tag(head, n, tag) < 0) tag[0] = 0;
		return r;
	}
	if (r != STREAM_OK) return r;
	if (!stralloc_copyb(line, head, n) || !stralloc_catb(line, rest.s, rest.len) || !stralloc_0(line)) {
		line->len = 0;
		return STREAM_ERROR;
	}
	line->len--;
	return STREAM_OK;
}
