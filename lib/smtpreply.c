/*
 * smtpreply: multi-line SMTP replies; contract in smtpreply.h.
 */
#include <string.h>
#include <strings.h>
#include "smtpreply.h"

void smtpreply_reset(struct smtpreply *r)
{
	r->code = 0;
	r->lines = 0;
	r->text.len = 0;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }


int smtpreply_add(struct smtpreply *r, const char *line, size_t len)
{
	int code;
	size_t i;
	char sep;

	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r')) len--;
	if (len < 3 || !is_digit(line[0]) || !is_digit(line[1]) || !is_digit(line[2])) return -1;
	code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	if (code < 200 || code > 599) return -1;
	sep = len > 3 ? line[3] : ' ';
	if (sep != ' ' && sep != '-') return -1;
	if (r->lines && code != r->code) return -1;
	if (r->lines >= SMTPREPLY_LINES_MAX) return -1;
	r->code = code;
	r->lines++;
	if (r->text.len < SMTPREPLY_TEXT_MAX) {
		if (r->lines > 1 && !stralloc_cats(&r->text, " / ")) return -1;
		for (i = 0; i < len && r->text.len < SMTPREPLY_TEXT_MAX; i++) {
			char c = (unsigned char)line[i] < 32 || line[i] == 127 ? '?' : line[i];
			if (!stralloc_append(&r->text, &c)) return -1;
		}
	}
	if (!stralloc_0(&r->text)) return -1;
	r->text.len--;
	return sep == ' ';
}

int smtpreply_class(const struct smtpreply *r)
{
	return r->code / 100;
}

int smtpreply_has(const struct smtpreply *r, const char *keyword, const char **param, size_t *paramlen)
{
	const char *p = r->text.s, *end = r->text.s + r->text.len;
	size_t kl = strlen(keyword);
	int first = 1;

	while (p && p < end) {
		const char *next = strstr(p, " / ");
		const char *lend = next ? next : end;
		if (!first && lend - p >= 4 + (long)kl && !strncasecmp(p + 4, keyword, kl) &&
		    (p + 4 + kl == lend || p[4 + kl] == ' ' || p[4 + kl] == '=')) {
			if (param) {
				const char *q = p + 4 + kl;
				while (q < lend && (*q == ' ' || *q == '=')) q++;
				*param = q;
				*paramlen = (size_t)(lend - q);
			}
			return 1;
		}
		first = 0;
		p = next ? next + 3 : 0;
	}
	return 0;
}
