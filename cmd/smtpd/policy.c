/*
 * Who may send from and to which address.
 *
 * Recipients (RFC 5321 3.6, 4.1.1.3): an address in one of our domains must
 * name a user, an alias or a catch-all in users.cdb (userdb_resolve, the
 * same lookup posthorn-local makes), else 550 5.1.1 now, so we never accept
 * and then bounce.  Any other domain is relaying: allowed only when
 * $RELAYCLIENT is set (tcpserver rules for trusted networks) or the client
 * authenticated.  '%', '!', quoted '@' and source routes are refused in
 * every case (lib/addr), since a later hop could route on them.  A bare
 * "postmaster" is postmaster@ME (RFC 5321 4.5.1).
 *
 * Senders: any syntactically valid path, unless the client authenticated;
 * then it must be the user's own address (or a plus-address of it) or an
 * alias that lists the user, so one user cannot send as another.
 */
#include <string.h>
#include "addr.h"
#include "log.h"
#include "reply.h"
#include "smtpd.h"
#include "userdb.h"

static int has_8bit(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80) return 1;
	return 0;
}

static int userdb_trouble(struct session *s, int r)
{
	log_event("userdb", "file", s->conf->cdbpath.s, "error",
	          r == USERDB_CORRUPT ? userdb_corrupt_reason() : "unreadable", (char *)0);
	return R_USERDB_TEMP;
}

static int owns(struct session *s, const struct addr *a)
{
	struct userdb_hit hit;
	unsigned i;
	int r;

	if (a->empty) return R_NOT_YOUR_SENDER;
	r = userdb_resolve(s->conf->cdbpath.s, a, s->conf->delim, &hit);
	if (r == USERDB_TEMP || r == USERDB_CORRUPT) return userdb_trouble(s, r);
	if (r != USERDB_FOUND) return R_NOT_YOUR_SENDER;
	if (hit.rec.kind == USERREC_USER && !strcmp(hit.rec.name, s->auth_user.s)) return R_NONE;
	if (hit.rec.kind == USERREC_ALIAS && hit.how != USERDB_CATCHALL)
		for (i = 0; i < hit.rec.ntargets; i++)
			if (!strcmp(hit.rec.targets[i], s->auth_user.s)) return R_NONE;
	return R_NOT_YOUR_SENDER;
}

int policy_sender(struct session *s, const char *path, size_t len, unsigned addrflags, stralloc *canon)
{
	struct addr a;
	int r;

	r = addr_parse_path(&a, path, len, addrflags);
	if (r == ADDR_ERR_UTF8 && !(addrflags & ADDR_ALLOW_UTF8) && has_8bit(path, len)) return R_NEED_UTF8;
	if (r != ADDR_OK) return R_SENDER_SYNTAX;
	if (s->auth_user.len && (r = owns(s, &a)) != R_NONE) return r;
	if (!addr_format(canon, &a)) return R_QUEUE_TEMP;
	return R_NONE;
}

int policy_rcpt(struct session *s, const char *path, size_t len, unsigned addrflags, stralloc *canon)
{
	struct userdb_hit hit;
	struct addr a;
	int r;

	canon->len = 0;
	r = addr_parse_path(&a, path, len, addrflags);
	if (r == ADDR_ERR_RELAY || r == ADDR_ERR_ROUTE) return R_RELAY_TRICK;
	if (r == ADDR_ERR_UTF8 && !(addrflags & ADDR_ALLOW_UTF8) && has_8bit(path, len)) return R_NEED_UTF8;
	if (r != ADDR_OK) return R_RCPT_SYNTAX;
	if (!a.domain[0]) {
		/* only "postmaster" may come without a domain */
		stralloc pm = {0};
		if (!addr_key(&pm, &a) || strcmp(pm.s, "postmaster")) {
			stralloc_free(&pm);
			return R_RCPT_SYNTAX;
		}
		if (!stralloc_copys(&pm, "postmaster@") || !stralloc_cats(&pm, s->conf->me)) {
			stralloc_free(&pm);
			return R_QUEUE_TEMP;
		}
		r = addr_parse(&a, pm.s, pm.len, 0);
		stralloc_free(&pm);
		if (r != ADDR_OK) return R_RCPT_SYNTAX;
	}
	if (!addr_format(canon, &a)) return R_QUEUE_TEMP;
	r = userdb_resolve(s->conf->cdbpath.s, &a, s->conf->delim, &hit);
	switch (r) {
	case USERDB_FOUND:
		return R_NONE;
	case USERDB_NOUSER:
		return R_NO_USER;
	case USERDB_NODOMAIN:
		if (s->conf->relayclient || s->auth_user.len) return R_NONE;
		return R_RELAY_DENIED;
	}
	return userdb_trouble(s, r);
}
