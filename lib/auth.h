#ifndef AUTH_H
#define AUTH_H
/*
 * Logins of the network programs (smtpd's AUTH, pop3d, imapd): one check
 * against users.cdb and one SASL PLAIN decoder, shared so that every server
 * answers a guesser the same way.
 *
 * A login name is a full address (alice@example.org, any case); it must name
 * a user record (not an alias) with a password hash.  For an unknown name a
 * hash of a fixed dummy password is still verified, so the time taken does
 * not tell whether the user exists.  Callers add their own delay after a
 * failure and must not say in the reply why it failed.
 */
#include <stddef.h>
#include <stralloc.h>
#include "userrec.h"

#define AUTH_LOGIN_MAX 256      /* bytes of a login name */
#define AUTH_PLAIN_MAX 2048     /* bytes of a base64 SASL PLAIN response */

enum auth_result {
	AUTH_OK = 0,       /* *user holds the record */
	AUTH_FAIL = 1,     /* wrong name or password: a permanent "no" */
	AUTH_TEMP = -1     /* users.cdb unreadable or corrupt: try again later */
};

/* Checks login/password (both NUL-terminated) against the users.cdb at
 * cdbpath.  On AUTH_OK, *user is the user's record. */
int auth_check(const char *cdbpath, const char *login, const char *password, struct userrec *user);

/* Decodes a SASL PLAIN response (RFC 4616): base64 of
 * "authzid NUL authcid NUL passwd".  authzid, authcid and passwd get the
 * three parts, each NUL-terminated (len excludes it).  Returns 0, or -1 for
 * bad base64, a missing NUL, a NUL inside a part, an empty authcid or
 * password, or parts over AUTH_LOGIN_MAX / PASSWD_MAX.  The caller should
 * wipe passwd after use. */
int auth_plain_decode(const char *b64, size_t len, stralloc *authzid, stralloc *authcid, stralloc *passwd);

/* A SASL PLAIN response as a login: auth_plain_decode, and an authzid that
 * is empty or names authcid itself (in any case, as logins are): acting
 * for another user is not offered.  0 with authcid and passwd filled, or
 * -1.  The caller should wipe passwd after use. */
int auth_plain_login(const char *b64, size_t len, stralloc *authcid, stralloc *passwd);

/* The PLAIN exchange of pop3d's AUTH and imapd's AUTHENTICATE: the
 * response is ir (the initial response, RFC 4959 and RFC 5034 4) or, when
 * ir is null, what continuation gives (it sends the "+ " and reads the
 * line; null when the client cancelled or the line could not be read, both
 * answered by it); then login("plain", name, password) with what
 * auth_plain_login gives or, for a response it refuses, the name "-"
 * (which names no user) and an empty password, so that a malformed
 * response gets the same check, delay and answer as a wrong password.  The
 * password is wiped when login returns. */
void auth_plain_exchange(const char *ir, const char *(*continuation)(size_t *len),
			 void (*login)(const char *method, const char *name, const char *password));

/* Is b64 (len bytes, no NUL needed) canonical base64 (RFC 4648 4: a
 * multiple of 4 characters, '=' padding only at the end, no stray bits)?
 * Every decoder here is that strict.  1 or 0. */
int auth_b64_valid(const char *b64, size_t len);

/* Decodes one base64 line (AUTH LOGIN steps) into out, NUL-terminated.
 * Returns 0, or -1 for bad base64, an embedded NUL, or more than max bytes. */
int auth_b64_decode(const char *b64, size_t len, stralloc *out, size_t max);
#endif
