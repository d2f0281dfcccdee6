/*
 * auth: login checks against users.cdb and SASL PLAIN; contract in auth.h.
 */
#include <string.h>
#include <textcode.h>
#include "addr.h"
#include "auth.h"
#include "passwd.h"
#include "userdb.h"

/* A yescrypt hash of a password nobody knows, verified for unknown users so
 * that a miss costs as much time as a wrong password. */
static const char dummy_hash[] =
	"$y$j9T$3WZT4hWWGLA1FLvOijQTo1$lh.GCj2gSurwbQH0ksD6xvy7BtH/Gu4gKE9tXfTUbE/";

int auth_check(const char *cdbpath, const char *login, const char *password, struct userrec *user)
{
	struct addr a;
	stralloc key = {0};
	size_t n = strlen(login);
	int r, found = 0;

	if (n && n <= AUTH_LOGIN_MAX && addr_parse(&a, login, n, ADDR_ALLOW_UTF8) == ADDR_OK &&
	    addr_key(&key, &a)) {
		r = userdb_get(cdbpath, key.s, key.len, user);
		if (r == USERDB_TEMP || r == USERDB_CORRUPT) {
			stralloc_free(&key);
			return AUTH_TEMP;
		}
		found = r == USERDB_FOUND && user->kind == USERREC_USER && user->hash[0];
	}
	stralloc_free(&key);
	if (!found) {
		passwd_verify(password, dummy_hash);
		return AUTH_FAIL;
	}
	return passwd_verify(password, user->hash) ? AUTH_OK : AUTH_FAIL;
}

int auth_b64_decode(const char *b64, size_t len, stralloc *out, size_t max)
{
	size_t used, outlen = 0;

	/* 3 bytes for every 4 characters; reject before allocating. */
	if (len > (max + 2) / 3 * 4 + 4) return -1;
	if (!stralloc_ready(out, len / 4 * 3 + 4)) return -1;
	used = scan_base64(b64, out->s, &outlen);
	if (used != len || outlen > max) return -1;
	if (memchr(out->s, 0, outlen)) return -1;
	out->len = outlen;
	return stralloc_0(out) ? (out->len--, 0) : -1;
}

int auth_plain_decode(const char *b64, size_t len, stralloc *authzid, stralloc *authcid, stralloc *passwd)
{
	stralloc raw = {0};
	size_t used, rawlen = 0;
	const char *p, *z1, *z2, *end;
	int rc = -1;

	if (len > AUTH_PLAIN_MAX) return -1;
	if (!stralloc_ready(&raw, len / 4 * 3 + 4)) return -1;
	used = scan_base64(b64, raw.s, &rawlen);
	if (used != len) goto out;
	p = raw.s;
	end = raw.s + rawlen;
	z1 = memchr(p, 0, rawlen);
	if (!z1) goto out;
	z2 = memchr(z1 + 1, 0, (size_t)(end - z1 - 1));
	if (!z2 || memchr(z2 + 1, 0, (size_t)(end - z2 - 1))) goto out;
	if (z1 - p > AUTH_LOGIN_MAX || z2 - z1 - 1 > AUTH_LOGIN_MAX || end - z2 - 1 > PASSWD_MAX) goto out;
	if (z2 == z1 + 1 || end == z2 + 1) goto out;
	if (!stralloc_copyb(authzid, p, (size_t)(z1 - p)) || !stralloc_0(authzid)) goto out;
	if (!stralloc_copyb(authcid, z1 + 1, (size_t)(z2 - z1 - 1)) || !stralloc_0(authcid)) goto out;
	if (!stralloc_copyb(passwd, z2 + 1, (size_t)(end - z2 - 1)) || !stralloc_0(passwd)) goto out;
	authzid->len--;
	authcid->len--;
	passwd->len--;
	rc = 0;
out:
	if (raw.s) memset(raw.s, 0, raw.a);
	stralloc_free(&raw);
	return rc;
}
