/* loginstate: the login half's record for its session; see loginstate.h. */
#include <string.h>
#include "loginstate.h"

int loginstate_parse(struct loginstate *st)
{
	const char *end;

	st->pipelined = 0;
	st->pipelinedlen = 0;
	if (st->text.len > LOGINSTATE_MAX || !stralloc_0(&st->text)) return -1;
	st->text.len--;
	/* The lines end at the first empty one; a state that starts with it
	 * has no lines at all. */
	if (st->text.len && st->text.s[0] == '\n') end = st->text.s;
	else if ((end = memmem(st->text.s, st->text.len, "\n\n", 2))) end++;
	else return -1;
	st->pipelined = end + 1;
	st->pipelinedlen = st->text.len - (size_t)(st->pipelined - st->text.s);
	return 0;
}

const char *loginstate_value(const struct loginstate *st, const char *key, char *out, size_t cap)
{
	size_t k = strlen(key);
	const char *p = st->text.s, *stop = st->pipelined;

	if (!p || !stop || !cap) return 0;
	while (p < stop && *p != '\n') {
		const char *eol = memchr(p, '\n', (size_t)(stop - p));
		if (!eol) return 0;
		if ((size_t)(eol - p) > k && !memcmp(p, key, k) && p[k] == ' ') {
			size_t n = (size_t)(eol - p) - k - 1;
			if (n >= cap) n = cap - 1;
			memcpy(out, p + k + 1, n);
			out[n] = 0;
			return out;
		}
		p = eol + 1;
	}
	return 0;
}
