/*
 * Fuzz target for lib/authres: the input is a header field; the first
 * line of it (up to a NUL) is also used as an authserv-id and as values
 * and comments of a field we write, which must stay one field: no line may
 * start without white space except the first, and no NUL may appear.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "authres.h"

static stralloc out;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char id[64], *v;
	size_t n = size < sizeof id - 1 ? size : sizeof id - 1, i;

	(void)authres_is_ours((const char *)data, size, "mx.example.org");
	memcpy(id, data, n);
	id[n] = 0;
	(void)authres_is_ours((const char *)data, size, id);
	v = malloc(size + 1);
	if (!v) return 0;
	memcpy(v, data, size);
	v[size] = 0;
	if (!authres_begin(&out, "mx.example.org") || !authres_add(&out, "spf", "pass", v, "smtp.mailfrom", v, (char *)0) ||
	    !authres_end(&out))
		abort();
	free(v);
	for (i = 0; i < out.len; i++) {
		if (!out.s[i]) abort();
		if (out.s[i] == '\n' && i + 1 < out.len && out.s[i + 1] != '\t') abort();
		if (out.s[i] == '\r') abort();
	}
	return 0;
}
