/*
 * Fuzz target for lib/smtpreply: lines of any bytes fed one by one, as a
 * client reads a server's replies.  A complete reply has a code in
 * 200..599, at most SMTPREPLY_LINES_MAX lines and text within its bound
 * and free of control bytes; smtpreply_has never reads past the text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "smtpreply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct smtpreply r;
	const char *p = (const char *)data, *end = p + size, *param;
	size_t plen, i;

	smtpreply_reset(&r);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p + 1) : (size_t)(end - p);
		int rc = smtpreply_add(&r, p, len);
		p += len;
		if (rc < 0) {
			smtpreply_reset(&r);
			continue;
		}
		if (r.code < 200 || r.code > 599 || r.lines > SMTPREPLY_LINES_MAX || r.text.len > SMTPREPLY_TEXT_MAX + 3) abort();
		for (i = 0; i < r.text.len; i++)
			if ((unsigned char)r.text.s[i] < 32) abort();
		if (rc == 1) {
			if (smtpreply_has(&r, "SIZE", &param, &plen) &&
			    (param < r.text.s || param + plen > r.text.s + r.text.len))
				abort();
			smtpreply_reset(&r);
		}
	}
	return 0;
}
