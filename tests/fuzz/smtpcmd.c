/*
 * Fuzz target for lib/smtpcmd: every input is a command line.  The verb
 * split, the MAIL/RCPT parser and the number parser must stay inside the
 * input, and what they return must point into it: the path starts with '<'
 * and ends with '>', every parameter key is non-empty and made of the
 * allowed characters, values hold no '=' or space.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "smtpcmd.h"

static void check_path(const char *s, size_t len, const char *prefix)
{
	struct smtpcmd_param p[SMTPCMD_PARAMS_MAX];
	const char *path;
	size_t pathlen;
	unsigned n, i;

	if (smtpcmd_path(s, len, prefix, &path, &pathlen, p, &n) != SMTPCMD_OK) return;
	if (path < s || path + pathlen > s + len || pathlen < 2 || path[0] != '<' || path[pathlen - 1] != '>') abort();
	if (n > SMTPCMD_PARAMS_MAX) abort();
	for (i = 0; i < n; i++) {
		if (!p[i].keylen || p[i].key < s || p[i].key + p[i].keylen > s + len) abort();
		if (p[i].value && (!p[i].vallen || p[i].value + p[i].vallen > s + len ||
		                   memchr(p[i].value, '=', p[i].vallen) || memchr(p[i].value, ' ', p[i].vallen)))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *arg;
	size_t len, arglen, verb;
	unsigned long long num;
	int crlf;

	len = smtpcmd_chomp(s, size, &crlf);
	if (len > size) abort();
	verb = smtpcmd_verb(s, len, &arg, &arglen);
	if (verb > len || arg < s || arg + arglen > s + len) abort();
	smtpcmd_is(s, verb, "MAIL");
	smtpcmd_has_control(s, len);
	check_path(arg, arglen, "FROM:");
	check_path(arg, arglen, "TO:");
	check_path(s, len, "FROM:");
	if (!smtpcmd_number(s, len, &num) && (len == 0 || len > 20)) abort();
	if (!smtpcmd_strerror(SMTPCMD_ERR_PARAM)) abort();
	return 0;
}
