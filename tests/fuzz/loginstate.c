/*
 * Fuzz target for lib/loginstate: any bytes a login half could send its
 * session.  Parsing must stay inside the text, the pipelined part must be
 * a suffix of it, and every value found must fit its buffer and contain no
 * line end.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "loginstate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct loginstate st;
	static const char *const keys[] = {"method", "tls", "tag", "", "t"};
	char v[32];
	size_t i;

	st.text.len = 0;
	if (!stralloc_catb(&st.text, (const char *)data, size)) abort();
	if (loginstate_parse(&st)) return 0;
	if (st.pipelined < st.text.s || st.pipelined + st.pipelinedlen != st.text.s + st.text.len) abort();
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		if (!loginstate_value(&st, keys[i], v, sizeof v)) continue;
		if (strlen(v) >= sizeof v || strchr(v, '\n')) abort();
	}
	return 0;
}
