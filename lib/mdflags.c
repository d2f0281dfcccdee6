/* mdflags: the Maildir info letters; see mdflags.h. */
#include <string.h>
#include "mdflags.h"

static const struct {
	char letter;
	uint32_t bit;
} table[] = {
	{'D', MDFLAG_DRAFT}, {'F', MDFLAG_FLAGGED}, {'R', MDFLAG_ANSWERED}, {'S', MDFLAG_SEEN}, {'T', MDFLAG_DELETED},
};

const char *mdflags_info(const char *name)
{
	const char *c = strchr(name, ':');
	return c && !strncmp(c, ":2,", 3) ? c + 3 : 0;
}

uint32_t mdflags_bit(int letter)
{
	size_t i;
	for (i = 0; i < sizeof table / sizeof table[0]; i++)
		if (table[i].letter == letter) return table[i].bit;
	return 0;
}

uint32_t mdflags_of(const char *name)
{
	const char *c = mdflags_info(name);
	uint32_t f = 0;

	if (c)
		for (; *c; c++) f |= mdflags_bit((unsigned char)*c);
	return f;
}

size_t mdflags_letters(uint32_t flags, const char *keep, char *out)
{
	size_t o = 0;
	int c;

	/* one pass over A..Z: the ASCII order, and each letter once */
	for (c = 'A'; c <= 'Z'; c++) {
		uint32_t bit = mdflags_bit(c);
		if (bit ? (flags & bit) != 0 : keep && strchr(keep, c) != 0) out[o++] = (char)c;
	}
	out[o] = 0;
	return o;
}
