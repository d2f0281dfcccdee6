/*
 * Every reply of posthorn-pop3d, by name.  Response codes in brackets are
 * RFC 2449 section 8 (IN-USE), RFC 3206 (AUTH, SYS/TEMP, SYS/PERM): a client
 * shows [AUTH] as "wrong password" and [IN-USE] / [SYS/TEMP] as "try again
 * later".  The login failure text is the same whatever went wrong with the
 * name or the password, so it tells a guesser nothing.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "pop3d.h"

static const char *const text[R_COUNT] = {
	[R_GREETING]     = "+OK %s POP3 server ready",
	[R_BYE]          = "+OK bye",
	[R_BYE_TIMEOUT]  = "-ERR autologout: idle for too long",
	[R_BYE_LOGIN_TIMEOUT] = "-ERR autologout: no login in time",
	[R_BYE_ERRORS]   = "-ERR too many errors, closing",
	[R_BYE_FAILS]    = "-ERR [AUTH] too many failed logins, closing",
	[R_TOOLONG]      = "-ERR line too long",
	[R_BADCHAR]      = "-ERR control character in command",
	[R_SYNTAX]       = "-ERR syntax error",
	[R_UNKNOWN]      = "-ERR unknown command",
	[R_BADSTATE]     = "-ERR command not valid in this state",
	[R_ARGS]         = "-ERR wrong arguments",
	[R_CAPA]         = "+OK capability list follows",
	[R_CAPA_LINE]    = "%s",
	[R_END]          = ".",
	[R_STLS_GO]      = "+OK begin TLS negotiation",
	[R_STLS_ACTIVE]  = "-ERR TLS already active",
	[R_STLS_NONE]    = "-ERR STLS not available",
	[R_STLS_FAIL]    = "-ERR [SYS/TEMP] TLS not available now",
	[R_CLEARTEXT]    = "-ERR [AUTH] login refused without TLS: use STLS first",
	[R_USER_OK]      = "+OK send PASS",
	[R_USER_BAD]     = "-ERR [AUTH] bad user name",
	[R_PASS_NOUSER]  = "-ERR give USER first",
	[R_AUTH_LIST]    = "+OK SASL mechanisms follow",
	[R_AUTH_MECH]    = "-ERR unsupported authentication mechanism",
	[R_AUTH_GO]      = "+ ",
	[R_AUTH_CANCEL]  = "-ERR authentication cancelled",
	[R_LOGIN_OK]     = "+OK logged in, %lu messages",
	[R_LOGIN_FAIL]   = "-ERR [AUTH] authentication failed",
	[R_LOGIN_TEMP]   = "-ERR [SYS/TEMP] unable to check the password now, try again later",
	[R_IN_USE]       = "-ERR [IN-USE] mailbox in use by another session",
	[R_SYS_TEMP]     = "-ERR [SYS/TEMP] unable to open the mailbox, try again later",
	[R_SYS_PERM]     = "-ERR [SYS/PERM] mail server misconfigured, tell the postmaster",
	[R_STAT]         = "+OK %lu %llu",
	[R_LIST]         = "+OK %lu messages",
	[R_LIST_ONE]     = "+OK %lu %llu",
	[R_LIST_LINE]    = "%lu %llu",
	[R_UIDL]         = "+OK unique-id listing follows",
	[R_UIDL_ONE]     = "+OK %lu %s",
	[R_UIDL_LINE]    = "%lu %s",
	[R_RETR]         = "+OK %llu octets",
	[R_TOP]          = "+OK top of message follows",
	[R_NOMSG]        = "-ERR no such message",
	[R_DELETED]      = "-ERR message %lu already deleted",
	[R_MSG_GONE]     = "-ERR message %lu was removed by another program",
	[R_MSG_TEMP]     = "-ERR [SYS/TEMP] unable to read message %lu",
	[R_DELE]         = "+OK message %lu deleted",
	[R_NOOP]         = "+OK",
	[R_RSET]         = "+OK %lu messages",
	[R_QUIT]         = "+OK bye, %lu messages deleted",
	[R_QUIT_PARTIAL] = "-ERR [SYS/TEMP] some deleted messages not removed",
};

/* RFC 2449 section 4: a response line is at most 512 octets with CRLF. */
#define REPLY_MAX 512

void reply(enum reply_id id, ...)
{
	char buf[REPLY_MAX + 1];
	va_list ap;
	int n;

	va_start(ap, id);
	n = vsnprintf(buf, REPLY_MAX - 1, text[id], ap);
	va_end(ap);
	if (n < 0) n = 0;
	if (n > REPLY_MAX - 2) n = REPLY_MAX - 2;   /* cut, never overflow */
	buf[n++] = '\r';
	buf[n++] = '\n';
	reply_raw(buf, (size_t)n);
}

void reply_raw(const char *buf, size_t len)
{
	if (S.dead) return;
	if (stream_put(&S.io, buf, len)) S.dead = 1;
}
