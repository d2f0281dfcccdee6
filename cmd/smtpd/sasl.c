/*
 * AUTH (RFC 4954) with the PLAIN (RFC 4616) and LOGIN mechanisms, each with
 * or without an initial response.  The check against users.cdb is
 * lib/auth's, shared with pop3d and imapd.
 *
 * AUTH is offered under TLS only, unless the config file
 * smtpd-auth-cleartext says 1 (RFC 8314 asks for TLS).  A failure costs
 * SMTPD_AUTH_DELAY seconds and counts toward maxerrors; after three the
 * connection is closed.  The reply never says whether the name or the
 * password was wrong, and passwords are wiped from memory after use and
 * never logged.
 *
 * Login bans (loginban.h), shared with POP3 and IMAP: a client address
 * banned for too many failed logins gets the same 535 5.7.8, after the
 * same delay, as a wrong password, without its password being checked,
 * so a guesser cannot tell a ban from a miss; each wrong password counts.
 * The ban settings are read at the first AUTH of a session, so sessions
 * that never log in (MX traffic) read nothing.
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "auth.h"
#include "conf.h"
#include "log.h"
#include "loginban.h"
#include "passwd.h"
#include "reply.h"
#include "smtpcmd.h"
#include "smtpd.h"

#define AUTH_FAILURES_MAX 3

int check_auth(struct session *s, const char *arg, size_t len)
{
	(void)arg, (void)len;
	if (!s->helo) return R_HELO_FIRST;
	if (s->auth_user.len) return R_AUTH_ALREADY;
	if (s->tx.active) return R_AUTH_IN_TX;
	if (!session_auth_offered(s)) return R_AUTH_NEED_TLS;
	return R_NONE;
}

static void wipe(stralloc *sa)
{
	if (sa->s) memset(sa->s, 0, sa->a);
	sa->len = 0;
}

/* Sends a 334 challenge and reads the client's answer into s->line
 * (without its line end).  0; 1 if the client cancelled with "*" (the
 * reply is sent); -1 if the session is over. */
static int challenge(struct session *s, const char *b64)
{
	int crlf;

	stream_puts(&s->st, "334 ");
	stream_puts(&s->st, b64);
	stream_puts(&s->st, "\r\n");
	if (session_readline(s)) return -1;
	s->line.len = smtpcmd_chomp(s->line.s, s->line.len, &crlf);
	if (s->line.len == 1 && s->line.s[0] == '*') {
		reply(s, R_AUTH_CANCELLED);
		return 1;
	}
	return 0;
}

/* "=" is an empty initial response (RFC 4954 4). */
static int empty_response(const char *b64, size_t len)
{
	return len == 1 && b64[0] == '=';
}

/* Fills login and password from a PLAIN response; reply id on failure. */
static int plain(const char *b64, size_t len, stralloc *login, stralloc *password)
{
	if (empty_response(b64, len)) return R_AUTH_FAILED;
	if (!auth_b64_valid(b64, len)) return R_AUTH_BASE64;
	/* acting for someone else is not offered: authzid empty or ourselves */
	return auth_plain_login(b64, len, login, password) ? R_AUTH_FAILED : R_NONE;
}

static int b64_line(const char *b64, size_t len, stralloc *out, size_t max)
{
	if (!auth_b64_valid(b64, len)) return R_AUTH_BASE64;
	if (auth_b64_decode(b64, len, out, max)) return R_AUTH_FAILED;
	return R_NONE;
}

/* Runs the exchange; 0 with login/password filled, a reply id, or -1 when
 * the session ended (or the client cancelled: the reply is sent). */
static int exchange(struct session *s, const char *mech, size_t mechlen, const char *ir, size_t irlen, int has_ir,
                    stralloc *login, stralloc *password)
{
	int r;

	if (smtpcmd_is(mech, mechlen, "PLAIN")) {
		if (!has_ir) {
			if ((r = challenge(s, ""))) return -1;
			ir = s->line.s;
			irlen = s->line.len;
		}
		return plain(ir, irlen, login, password);
	}
	if (smtpcmd_is(mech, mechlen, "LOGIN")) {
		if (!has_ir) {
			if ((r = challenge(s, "VXNlcm5hbWU6"))) return -1;   /* "Username:" */
			ir = s->line.s;
			irlen = s->line.len;
		}
		if ((r = b64_line(ir, irlen, login, AUTH_LOGIN_MAX)) != R_NONE) return r;
		if ((r = challenge(s, "UGFzc3dvcmQ6"))) return -1;       /* "Password:" */
		r = b64_line(s->line.s, s->line.len, password, PASSWD_MAX);
		wipe(&s->line);
		return r;
	}
	return R_AUTH_MECH;
}

/* The ban settings, read once per session at its first AUTH.  0, or -1
 * when a settings file cannot be read (logged): AUTH fails for now. */
static int bans_ready(struct loginban_conf **c)
{
	static struct loginban_conf conf;
	static int state;   /* 0 unread, 1 read, -1 unreadable */
	const char *bad;

	if (!state) {
		state = loginban_conf_read(&conf, &bad) ? -1 : 1;
		if (state < 0) log_event("config-error", "file", bad, "dir", conf_dir(), "error", strerror(errno), (char *)0);
	}
	*c = &conf;
	return state < 0 ? -1 : 0;
}

void do_auth(struct session *s, const char *arg, size_t len)
{
	static stralloc login, password;
	struct userrec user;
	struct loginban_conf *bans;
	const char *mech = arg, *ir;
	size_t mechlen = 0, irlen;
	int r, banned = 0;

	while (mechlen < len && arg[mechlen] != ' ') mechlen++;
	ir = arg + mechlen + (mechlen < len);
	irlen = len - (size_t)(ir - arg);
	if (!mechlen) {
		reply(s, R_SYNTAX);
		return;
	}
	login.len = 0;
	r = exchange(s, mech, mechlen, ir, irlen, mechlen < len, &login, &password);
	wipe(&s->line);
	if (r < 0) {
		wipe(&password);
		return;
	}
	if (r == R_NONE) {
		if (!stralloc_0(&login) || !stralloc_0(&password) || bans_ready(&bans)) r = R_AUTH_TEMP;
		else if (loginban_check(bans, s->peer.remote_ip, time(0))) banned = 1, r = R_AUTH_FAILED;
		else switch (auth_check(s->conf->cdbpath.s, login.s, password.s, &user)) {
		case AUTH_OK: r = R_NONE; break;
		case AUTH_TEMP: r = R_AUTH_TEMP; break;
		default: r = R_AUTH_FAILED;
		}
	}
	wipe(&password);
	if (r == R_NONE) {
		if (!stralloc_copys(&s->auth_user, user.name) || !stralloc_0(&s->auth_user)) {
			s->auth_user.len = 0;
			reply(s, R_AUTH_TEMP);
			return;
		}
		s->auth_user.len--;
		reply(s, R_AUTH_OK);
		return;
	}
	if (r == R_AUTH_FAILED && !bans_ready(&bans)) loginban_fail(bans, s->peer.remote_ip, time(0));
	if (r == R_AUTH_FAILED || r == R_AUTH_BASE64) {
		log_event("auth", "client", s->peer.remote_ip, "user", login.len ? login.s : 0, "result",
		          banned ? "banned" : "failed", (char *)0);
		sleep(SMTPD_AUTH_DELAY);
		if (++s->auth_failures >= AUTH_FAILURES_MAX) {
			reply(s, R_AUTH_TOO_MANY);
			s->quit = 1;
			s->end_reason = "auth-failures";
			return;
		}
	}
	reply(s, r);
}
