/*
 * Fuzz target for lib/mdflags, which reads the flag letters of Maildir file
 * names: any program that writes the Maildir (another Maildir tool, a user
 * with a shell) chooses them.
 *
 * Invariants, with the input as a file name (cut at its first NUL):
 * mdflags_of sets only MDFLAG_ALL bits, and exactly those of the capitals
 * D F R S T after ":2,"; mdflags_letters, given them and the old letters,
 * writes at most MDFLAGS_CAPITALS_MAX capitals in strictly ascending order,
 * gives back the same bits, and keeps every other capital of the name.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "mdflags.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *name = malloc(size + 1), out[MDFLAGS_CAPITALS_MAX + 1];
	const char *info;
	uint32_t f, want = 0;
	size_t n, i;

	if (!name) return 0;
	memcpy(name, data, size);
	name[size] = 0;
	f = mdflags_of(name);
	info = mdflags_info(name);
	if (f & ~(uint32_t)MDFLAG_ALL) abort();
	if (info)
		for (i = 0; info[i]; i++) want |= mdflags_bit((unsigned char)info[i]);
	if (f != want || (!info && f)) abort();
	n = mdflags_letters(f, info, out);
	if (n > MDFLAGS_CAPITALS_MAX || strlen(out) != n) abort();
	for (i = 0; i < n; i++)
		if (out[i] < 'A' || out[i] > 'Z' || (i && out[i] <= out[i - 1])) abort();
	{
		char again[4 + MDFLAGS_CAPITALS_MAX + 1] = "x:2,";
		memcpy(again + 4, out, n + 1);
		if (mdflags_of(again) != f) abort();
	}
	if (info)
		for (i = 0; info[i]; i++)
			if (info[i] >= 'A' && info[i] <= 'Z' && !strchr(out, info[i])) abort();
	free(name);
	return 0;
}
