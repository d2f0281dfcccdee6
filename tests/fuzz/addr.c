/*
 * Fuzz target for lib/addr: every input goes through addr_parse and
 * addr_parse_path under each combination of flags.  Whatever parses must
 * format to text that parses back to the very same struct (so addr_format
 * never writes something we would refuse or read differently), and the
 * formatted text must hold no NUL and fit the path limit.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "addr.h"

static stralloc out, key;

static void check(const struct addr *a, unsigned flags)
{
	struct addr b, base;
	char ext[ADDR_LOCAL_MAX + 1];

	if (!addr_format(&out, a)) abort();
	if (strlen(out.s) != out.len || out.len > ADDR_PATH_MAX - 2) abort();
	if (addr_parse(&b, out.s, out.len, flags) != ADDR_OK) abort();
	if (memcmp(a, &b, sizeof b)) abort();
	if (!addr_key(&key, a) || key.len != out.len) abort();
	if (addr_split_ext(a, '+', &base, ext) && !addr_format(&out, &base)) abort();
	if (strlen(a->local) > ADDR_LOCAL_MAX || strlen(a->domain) > ADDR_DOMAIN_MAX) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct addr a;
	unsigned flags;

	for (flags = 0; flags < 16; flags++) {
		int err = addr_parse(&a, s, size, flags);
		if (!addr_strerror(err)) abort();
		if (!err) check(&a, flags);
		err = addr_parse_path(&a, s, size, flags);
		if (!err) check(&a, flags);
	}
	return 0;
}
