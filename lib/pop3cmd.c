/* pop3cmd: splits a POP3 command line; contract in pop3cmd.h. */
#include <string.h>
#include "pop3cmd.h"

static int is_sep(char c) { return c == ' ' || c == '\t'; }

int pop3cmd_parse(struct pop3cmd *c, char *line, size_t len)
{
	size_t i, k, o = 0;
	const char *p, *end;

	c->keyword[0] = 0;
	c->nargs = 0;
	c->rest = "";
	c->restlen = 0;
	if (len > POP3CMD_LINE_MAX) return POP3CMD_TOOLONG;
	line[len] = 0;
	if (len && line[len - 1] == '\n') line[--len] = 0;
	if (len && line[len - 1] == '\r') line[--len] = 0;
	for (i = 0; i < len; i++) {
		unsigned char b = (unsigned char)line[i];
		if ((b < 0x20 && b != '\t') || b == 0x7f) return POP3CMD_BADCHAR;
	}
	p = line;
	end = line + len;
	while (p < end && is_sep(*p)) p++;
	if (p == end) return POP3CMD_EMPTY;
	for (k = 0; p + k < end && !is_sep(p[k]); k++) {
		char ch = p[k];
		if (k >= POP3CMD_KEYWORD_MAX) return POP3CMD_KEYWORD;
		if (ch >= 'a' && ch <= 'z') ch = (char)(ch - 32);
		if (ch < 'A' || ch > 'Z') return POP3CMD_KEYWORD;
		c->keyword[k] = ch;
	}
	c->keyword[k] = 0;
	p += k;
	if (p < end) p++;          /* the one separator after the keyword */
	c->rest = p;
	c->restlen = (size_t)(end - p);
	/* Arguments are copied into buf, NUL-terminated: at most len bytes
	 * plus one NUL each, which buf has room for. */
	while (p < end) {
		while (p < end && is_sep(*p)) p++;
		if (p == end) break;
		if (c->nargs < POP3CMD_ARGS_MAX) c->arg[c->nargs] = c->buf + o;
		while (p < end && !is_sep(*p)) {
			if (c->nargs < POP3CMD_ARGS_MAX) c->buf[o++] = *p;
			p++;
		}
		if (c->nargs < POP3CMD_ARGS_MAX) c->buf[o++] = 0;
		c->nargs++;
	}
	return POP3CMD_OK;
}

int pop3cmd_number(const char *s, unsigned long *out)
{
	unsigned long v = 0;
	size_t i;

	if (!s[0] || (s[0] == '0' && s[1])) return -1;
	for (i = 0; s[i]; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 9) return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	*out = v;
	return 0;
}
