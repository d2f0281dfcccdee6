/*
 * passwd: crypt(3) hashes through libxcrypt; contract in passwd.h.
 *
 * crypt_ra allocates its own work area, which holds material derived from
 * the password; it is wiped before it is freed.  libxcrypt reports failure
 * either as NULL or as a "*0" / "*1" token (a string no valid hash can
 * equal), so a result starting with '*' is treated as "no match" too.
 */
#include <crypt.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "passwd.h"

/* Longer than any hash libcrypt writes (CRYPT_OUTPUT_SIZE); a longer stored
 * hash is refused unread. */
#define HASH_MAX CRYPT_OUTPUT_SIZE

static void wipe_free(void *data, int size)
{
	if (data && size > 0) explicit_bzero(data, (size_t)size);
	free(data);
}

int passwd_equal(const void *a, const void *b, size_t len)
{
	const volatile unsigned char *x = a, *y = b;
	unsigned char diff = 0;
	size_t i;

	for (i = 0; i < len; i++) diff |= x[i] ^ y[i];
	return diff == 0;
}

int passwd_hash(char *out, size_t cap, const char *password)
{
	size_t plen = strnlen(password, PASSWD_MAX + 1), hlen;
	void *data = 0;
	int size = 0;
	char *salt, *h;

	if (plen == 0 || plen > PASSWD_MAX) { errno = EINVAL; return -1; }
	/* "$y$" with count 0 is yescrypt at libxcrypt's default cost; NULL
	 * random bytes make libxcrypt read them from the kernel. */
	salt = crypt_gensalt_ra("$y$", 0, 0, 0);
	if (!salt) return -1;
	errno = 0;
	h = crypt_ra(password, salt, &data, &size);
	free(salt);
	if (!h || h[0] == '*') {
		wipe_free(data, size);
		if (!errno) errno = EINVAL;
		return -1;
	}
	hlen = strlen(h);
	if (hlen + 1 > cap) {
		wipe_free(data, size);
		errno = ERANGE;
		return -1;
	}
	memcpy(out, h, hlen + 1);
	wipe_free(data, size);
	return 0;
}

int passwd_verify(const char *password, const char *hash)
{
	size_t plen, hlen;
	void *data = 0;
	int size = 0, match = 0;
	char *h;

	if (!password || !hash) return 0;
	/* "" = no login; "*..." and "!..." are the usual locked markers. */
	if (!hash[0] || hash[0] == '*' || hash[0] == '!') return 0;
	plen = strnlen(password, PASSWD_MAX + 1);
	hlen = strnlen(hash, HASH_MAX + 1);
	if (plen == 0 || plen > PASSWD_MAX || hlen > HASH_MAX) return 0;

	h = crypt_ra(password, hash, &data, &size);
	if (h && h[0] != '*' && strnlen(h, HASH_MAX + 1) == hlen)
		match = passwd_equal(h, hash, hlen);
	wipe_free(data, size);
	return match;
}
