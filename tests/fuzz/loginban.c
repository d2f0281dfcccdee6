/*
 * Fuzz target for lib/loginban's file parser: a bans file is written by
 * every service account (a compromised one included), so any bytes may
 * be there.  An accepted record stays within its ring, and writing it
 * back and parsing that gives the same record; a rejected one is empty.
 * The names are fuzzed too: a name is made only of an address's bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "loginban.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct loginban_rec r, back;
	static char out[LOGINBAN_FILE_MAX];
	char ip[80], name[LOGINBAN_NAME_MAX], show[LOGINBAN_SHOW_MAX];
	size_t n, i;

	if (loginban_parse((const char *)data, size, &r) == 0) {
		if (r.nfail > LOGINBAN_FAILURES_MAX) abort();
		n = loginban_format(&r, out, sizeof out);
		if (!n || loginban_parse(out, n, &back) || memcmp(&r, &back, sizeof r)) abort();
	} else if (r.until || r.refused || r.nfail) {
		abort();
	}

	n = size < sizeof ip - 1 ? size : sizeof ip - 1;
	memcpy(ip, data, n);
	ip[n] = 0;
	if (loginban_name(ip, name) == 0) {
		for (i = 0; name[i]; i++)
			if (!strchr("0123456789abcdef.:-", name[i])) abort();
		if (loginban_show(name, show)) abort();
	}
	if (loginban_name_typed(ip, name) == 0 && loginban_show(name, show)) abort();
	loginban_show(ip, show);
	return 0;
}
