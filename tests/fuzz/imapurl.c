/*
 * Fuzz target for lib/imapurl, which reads the URLs of CATENATE (RFC
 * 4469) that clients send.
 *
 * Invariants: an accepted URL has a UID, NUL-terminated fields within
 * their bounds, no control bytes in the decoded mailbox and section; and
 * every prefix of the input gets an answer without a read past its end.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "imapurl.h"

static void check(const char *s, size_t n)
{
	struct imapurl u;
	size_t i;

	if (imapurl_parse(s, n, &u) < 0) return;
	if (!u.uid || strlen(u.mailbox) > IMAPURL_MAILBOX_MAX || strlen(u.section) > IMAPURL_SECTION_MAX ||
	    strlen(u.host) > IMAPURL_HOST_MAX || strlen(u.user) > IMAPURL_USER_MAX)
		abort();
	if (u.mailbox_given && !u.mailbox[0]) abort();
	for (i = 0; u.mailbox[i]; i++)
		if ((unsigned char)u.mailbox[i] < 0x20) abort();
	for (i = 0; u.section[i]; i++)
		if ((unsigned char)u.section[i] < 0x20) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a copy of exactly size bytes, so ASan sees any read past the end */
	char *s = malloc(size ? size : 1);
	size_t cut;

	if (!s) return 0;
	memcpy(s, data, size);
	check(s, size);
	for (cut = 0; cut < size && cut < 64; cut++) check(s, cut);
	free(s);
	return 0;
}
