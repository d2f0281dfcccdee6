/*
 * The AUTHORIZATION state: CAPA, STLS (RFC 2595), USER/PASS (RFC 1939
 * section 7), AUTH PLAIN with or without an initial response (RFC 5034,
 * RFC 4616).
 *
 * Logins are refused before TLS unless the config file pop3d-cleartext (or
 * $POP3D_CLEARTEXT, which tcprules can set per client) allows them; CAPA
 * then offers neither USER nor SASL, so a client knows to use STLS first.
 * Every failed login costs the client pop3d-faildelay seconds (the wait is
 * posthorn-mailauth's, where a login half cannot skip it), is logged, and
 * gets the same [AUTH] reply whatever was wrong; after POP3_FAILS_MAX we
 * hang up.  The name and password are checked by posthorn-mailauth (with
 * auth_check, which takes the same time for a name that does not exist),
 * not by this process: it runs as an account that can read no mailbox,
 * and the mailbox is served by the process mailauth starts (handoff.h).
 */
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "auth.h"
#include "exitcode.h"
#include "handoff.h"
#include "pop3d.h"
#include "srvopts.h"

int check_none(void)
{
	if (S.cmd.nargs) { reply(R_ARGS); return -1; }
	return 0;
}

/* USER, PASS and AUTH: only over TLS unless allowed in the clear. */
int check_login(void)
{
	if (!S.io.tls && !S.conf.cleartext_ok) {
		reply(R_CLEARTEXT);
		return -1;
	}
	return 0;
}

int check_user(void)
{
	if (check_login() < 0) return -1;
	if (S.cmd.nargs != 1) { reply(R_ARGS); return -1; }
	if (strlen(S.cmd.arg[0]) > AUTH_LOGIN_MAX) { reply(R_USER_BAD); return -1; }
	return 0;
}

int check_pass(void)
{
	if (check_login() < 0) return -1;
	if (!S.user[0]) { reply(R_PASS_NOUSER); return -1; }
	if (!S.cmd.restlen) { reply(R_ARGS); return -1; }
	return 0;
}

int check_auth(void)
{
	if (check_login() < 0) return -1;
	if (S.cmd.nargs > 2) { reply(R_ARGS); return -1; }
	return 0;
}

static int login_offered(void) { return S.io.tls || S.conf.cleartext_ok; }

void do_capa(void)
{
	reply(R_CAPA);
	reply(R_CAPA_LINE, "TOP");
	reply(R_CAPA_LINE, "UIDL");
	reply(R_CAPA_LINE, "RESP-CODES");
	reply(R_CAPA_LINE, "AUTH-RESP-CODE");
	reply(R_CAPA_LINE, "PIPELINING");
	if (S.state == ST_AUTH && login_offered()) {
		reply(R_CAPA_LINE, "USER");
		reply(R_CAPA_LINE, "SASL PLAIN");
	}
	if (S.state == ST_AUTH && !S.io.tls && S.conf.tls_available) reply(R_CAPA_LINE, "STLS");
	reply(R_CAPA_LINE, "IMPLEMENTATION posthorn");
	reply(R_END);
}

void do_stls(void)
{
	static const enum reply_id said[] = {
		[SRVTLS_GO] = R_STLS_GO, [SRVTLS_ACTIVE] = R_STLS_ACTIVE, [SRVTLS_NONE] = R_STLS_NONE,
		[SRVTLS_FAIL] = R_STLS_FAIL,
	};
	enum srvtls r = srvtls_check(&S.io, &S.conf, &S.tlsctx, S.ip);

	reply(said[r]);
	if (r != SRVTLS_GO) return;
	/* RFC 2595 section 4: what was pipelined after STLS is dropped */
	if (srvtls_start(&S.io, &S.conf, &S.tlsctx, S.ip) < 0) session_end("tls-failed", EXIT_DONE);
	S.user[0] = 0;
}

void do_user(void)
{
	/* The same answer for every name: whether it exists is PASS's secret. */
	strcpy(S.user, S.cmd.arg[0]);   /* fits: check_user */
	reply(R_USER_OK);
}

/* Hands name and password to posthorn-mailauth, which serves the rest of
 * the session as the mail owner; we get control back only when it did
 * not start.  method ("user", "plain") is for the logs. */
static void login(const char *method, const char *name, const char *password)
{
	int r;

	S.method = method;
	r = handoff_login(&S.io, "pop3d", name, password, S.method, 0);

	if (r == HANDOFF_BAD) S.fails++;
	handoff_log_fail(r, name, S.method, S.ip, S.fails);
	if (r == HANDOFF_INUSE) { reply(R_IN_USE); return; }
	if (r != HANDOFF_BAD) { reply(R_LOGIN_TEMP); return; }
	S.user[0] = 0;
	if (S.fails >= POP3_FAILS_MAX) {
		reply(R_BYE_FAILS);
		session_end("login-failures", EXIT_DONE);
	}
	reply(R_LOGIN_FAIL);
}

/* -L: run by posthorn-mailauth as the mail owner after a good login.  The
 * state pipe gives how the client logged in and what it had pipelined; the
 * environment gives who it is.  A mailbox we cannot open ends the process
 * before a word to the client: the login half answers for us. */
void session_resume(void)
{
	static struct handoff_session h;
	int r;

	if (handoff_resume(&h, &S.io) < 0) _exit(HANDOFF_TEMP);
	memcpy(S.user, h.user, sizeof S.user);
	S.method = h.method;
	if ((r = mailbox_open(h.maildir))) _exit(r);
	handoff_serving(&h, S.ip);
	S.state = ST_TRANS;
	reply(R_LOGIN_OK, S.ml.n);
	session_loop();
}

void do_pass(void)
{
	char name[AUTH_LOGIN_MAX + 1];

	strcpy(name, S.user);   /* fits: the same size */
	login("user", name, S.cmd.rest);
}

/* The response to AUTH's "+ " into S.line: it, or null when the client
 * cancelled ("*") or the line was too long (both answered). */
static const char *auth_continuation(size_t *len)
{
	int r;

	reply(R_AUTH_GO);
	r = stream_getline(&S.io, &S.line, AUTH_PLAIN_MAX + 2);
	if (r == STREAM_TOOLONG) { reply(R_LOGIN_FAIL); return 0; }
	if (r == STREAM_TIMEOUT) {
		reply(R_BYE_LOGIN_TIMEOUT);
		session_end("login-timeout", EXIT_DONE);
	}
	if (r != STREAM_OK) session_end("eof", EXIT_DONE);
	*len = S.line.len;
	if (*len && S.line.s[*len - 1] == '\n') (*len)--;
	if (*len && S.line.s[*len - 1] == '\r') (*len)--;
	S.line.s[*len] = 0;
	if (!strcmp(S.line.s, "*")) { reply(R_AUTH_CANCEL); return 0; }
	return S.line.s;
}

/* RFC 5034 section 4: AUTH PLAIN [initial-response]; "*" from the client
 * cancels.  "=", an empty initial response, is refused as any malformed
 * response is (auth_plain_exchange): PLAIN needs a name and a password. */
void do_auth(void)
{

	if (!S.cmd.nargs) {
		/* RFC 1734's AUTH without arguments, still sent by some clients. */
		reply(R_AUTH_LIST);
		reply(R_CAPA_LINE, "PLAIN");
		reply(R_END);
		return;
	}
	if (strcasecmp(S.cmd.arg[0], "PLAIN")) { reply(R_AUTH_MECH); return; }
	auth_plain_exchange(S.cmd.nargs == 2 ? S.cmd.arg[1] : 0, auth_continuation, login);
}
