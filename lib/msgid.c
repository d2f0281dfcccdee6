/* Message identifiers of a field; see msgid.h. */
#include "msgid.h"

size_t msgid_next(const char *s, size_t len, size_t *pos, char id[MSGID_MAX + 1])
{
	size_t p = *pos;

	while (p < len) {
		size_t k = 0;
		int bad = 0, at = 0;
		unsigned depth = 0;
		char c = s[p++];
		if (c == '(') {      /* a comment outside the brackets */
			depth = 1;
			while (p < len && depth) {
				c = s[p++];
				if (c == '\\' && p < len) p++;
				else if (c == '(') depth++;
				else if (c == ')') depth--;
			}
			continue;
		}
		if (c == '"') {      /* a quoted phrase: skip it whole */
			while (p < len && s[p] != '"') p += s[p] == '\\' ? 2 : 1;
			p++;
			continue;
		}
		if (c != '<') continue;
		while (p < len && s[p] != '>') {
			c = s[p++];
			if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
			if (c == '(') {    /* a comment inside: dropped */
				depth = 1;
				while (p < len && depth) {
					c = s[p++];
					if (c == '\\' && p < len) p++;
					else if (c == '(') depth++;
					else if (c == ')') depth--;
				}
				continue;
			}
			if (c == '<' || c == 0) bad = 1;
			if (c == '@') at = 1;
			if (k < MSGID_MAX) id[k] = c;
			k++;
		}
		if (p >= len) break;     /* never closed */
		p++;
		if (bad || !at || !k || k > MSGID_MAX) continue;
		id[k] = 0;
		*pos = p;
		return k;
	}
	*pos = len;
	return 0;
}
