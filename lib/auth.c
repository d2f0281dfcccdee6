/*
 * auth: login checks against users.cdb and SASL PLAIN; contract in auth.h.
 *
 * Base64 is decoded strictly (RFC 4648 section 4, as RFC 4954 4 asks of
 * AUTH): length a multiple of 4, the standard alphabet only, at most two
 * '=' and only at the end, and no stray bits in the last group.  libowfat's
 * scan_base64 accepts missing padding and reads up to a NUL rather than a
 * length, so it is not used here.
 */
#include <string.h>
#include <strings.h>
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

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z') return c - 'A';
	if (c >= 'a' && c <= 'z') return c - 'a' + 26;
	if (c >= '0' && c <= '9') return c - '0' + 52;
	if (c == '+') return 62;
	if (c == '/') return 63;
	return -1;
}

/* Decodes len characters of b64 into dst (room for len / 4 * 3 bytes; null
 * to only check); *dstlen gets the count.  0, or -1 for anything but
 * canonical base64. */
static int b64_strict(const char *b64, size_t len, char *dst, size_t *dstlen)
{
	size_t i, o = 0;

	*dstlen = 0;
	if (len % 4) return -1;
	for (i = 0; i < len; i += 4) {
		int v[4], k, pad = 0;
		unsigned long w;

		for (k = 0; k < 4; k++) {
			unsigned char c = (unsigned char)b64[i + k];
			if (c == '=' && i + 4 == len && k >= 2) {
				v[k] = 0;
				pad++;
				continue;
			}
			if (pad || (v[k] = b64_value(c)) < 0) return -1;
		}
		w = (unsigned long)v[0] << 18 | (unsigned long)v[1] << 12 | (unsigned long)v[2] << 6 | (unsigned long)v[3];
		if ((pad == 1 && (w & 0xff)) || (pad == 2 && (w & 0xffff))) return -1;
		if (dst) {
			dst[o] = (char)(w >> 16);
			if (pad < 2) dst[o + 1] = (char)(w >> 8);
			if (pad < 1) dst[o + 2] = (char)w;
		}
		o += (size_t)(3 - pad);
	}
	*dstlen = o;
	return 0;
}

int auth_b64_valid(const char *b64, size_t len)
{
	size_t n;

	return b64_strict(b64, len, 0, &n) == 0;
}

int auth_b64_decode(const char *b64, size_t len, stralloc *out, size_t max)
{
	size_t outlen = 0;

	/* 3 bytes for every 4 characters; reject before allocating. */
	if (len > (max + 2) / 3 * 4 + 4) return -1;
	if (!stralloc_ready(out, len / 4 * 3 + 4)) return -1;
	if (b64_strict(b64, len, out->s, &outlen) || outlen > max) return -1;
	if (memchr(out->s, 0, outlen)) return -1;
	out->len = outlen;
	return stralloc_0(out) ? (out->len--, 0) : -1;
}

int auth_plain_decode(const char *b64, size_t len, stralloc *authzid, stralloc *authcid, stralloc *passwd)
{
	stralloc raw = {0};
	size_t rawlen = 0;
	const char *p, *z1, *z2, *end;
	int rc = -1;

	if (len > AUTH_PLAIN_MAX) return -1;
	if (!stralloc_ready(&raw, len / 4 * 3 + 4)) return -1;
	if (b64_strict(b64, len, raw.s, &rawlen)) goto out;
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

int auth_plain_login(const char *b64, size_t len, stralloc *authcid, stralloc *passwd)
{
	stralloc authzid = {0};
	int r = auth_plain_decode(b64, len, &authzid, authcid, passwd);

	if (r == 0 && authzid.len && (authzid.len != authcid->len || strncasecmp(authzid.s, authcid->s, authcid->len)))
		r = -1;
	if (authzid.s) explicit_bzero(authzid.s, authzid.a);
	stralloc_free(&authzid);
	return r;
}

void auth_plain_exchange(const char *ir, const char *(*continuation)(size_t *len),
			 void (*login)(const char *method, const char *name, const char *password))
{
	static stralloc authcid, passwd;
	size_t len = ir ? strlen(ir) : 0;
	const char *resp = ir ? ir : continuation(&len);
	int ok;

	if (!resp) return;
	ok = auth_plain_login(resp, len, &authcid, &passwd) == 0;
	login("plain", ok ? authcid.s : "-", ok ? passwd.s : "");
	if (passwd.s) explicit_bzero(passwd.s, passwd.a);
}
