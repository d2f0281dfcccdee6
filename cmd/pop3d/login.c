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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "exitcode.h"
#include "handoff.h"
#include "log.h"
#include "pop3d.h"

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
	if (S.io.tls) { reply(R_STLS_ACTIVE); return; }
	if (!S.conf.tls_available) { reply(R_STLS_NONE); return; }
	if (session_tls_setup() < 0) { reply(R_STLS_FAIL); return; }
	reply(R_STLS_GO);
	/* session_tls flushes the +OK, drops anything pipelined after STLS
	 * (RFC 2595 section 4) and shakes hands. */
	if (session_tls() < 0) session_end("tls-failed", EXIT_DONE);
	S.user[0] = 0;
	log_event("tls", "ip", S.ip, "version", stream_tls_version(&S.io), "cipher",
		  stream_tls_cipher(&S.io), (char *)0);
}

void do_user(void)
{
	/* The same answer for every name: whether it exists is PASS's secret. */
	strcpy(S.user, S.cmd.arg[0]);   /* fits: check_user */
	reply(R_USER_OK);
}

/* Hands name and password to posthorn-mailauth, which serves the rest of
 * the session as the mail owner; we get control back only when it did
 * not start. */
static void login(const char *name, const char *password)
{
	int r = handoff_login(&S.io, "pop3d", name, password, S.method, 0);

	if (r == HANDOFF_TEMP) {
		log_event("login-fail", "user", name, "ip", S.ip, "method", S.method, "reason", "temporary",
			  (char *)0);
		reply(R_LOGIN_TEMP);
		return;
	}
	if (r == HANDOFF_INUSE) {
		reply(R_IN_USE);
		return;
	}
	{
		char f[16];   /* a 10-digit number */
		snprintf(f, sizeof f, "%u", ++S.fails);
		log_event("login-fail", "user", name, "ip", S.ip, "method", S.method, "reason", "auth", "fails", f,
			  (char *)0);
		S.user[0] = 0;
		if (S.fails >= POP3_FAILS_MAX) {
			reply(R_BYE_FAILS);
			session_end("login-failures", EXIT_DONE);
		}
		reply(R_LOGIN_FAIL);
	}
}

/* -L: run by posthorn-mailauth as the mail owner after a good login.  The
 * state pipe gives how the client logged in and what it had pipelined; the
 * environment gives who it is.  A mailbox we cannot open ends the process
 * before a word to the client: the login half answers for us. */
void session_resume(void)
{
	static struct loginstate st;
	static char method[16], tls[200];
	const char *user = getenv("POSTHORN_USER"), *maildir = getenv("POSTHORN_MAILDIR");
	int r;

	if (!user || !maildir || strlen(user) > AUTH_LOGIN_MAX || handoff_read_state(&st) < 0) _exit(HANDOFF_TEMP);
	if (!loginstate_value(&st, "method", method, sizeof method)) strcpy(method, "-");
	if (!loginstate_value(&st, "tls", tls, sizeof tls)) strcpy(tls, "-");
	S.method = method;
	strcpy(S.user, user);
	if (stream_preload(&S.io, st.pipelined, st.pipelinedlen)) _exit(HANDOFF_TEMP);
	if ((r = mailbox_open(maildir))) _exit(r);
	handoff_ready();
	S.state = ST_TRANS;
	log_event("login", "user", S.user, "ip", S.ip, "method", S.method, "tls", strcmp(tls, "-") ? tls : "no",
		  (char *)0);
	reply(R_LOGIN_OK, S.ml.n);
	session_loop();
}

void do_pass(void)
{
	char name[AUTH_LOGIN_MAX + 1];

	strcpy(name, S.user);   /* fits: the same size */
	S.method = "user";
	login(name, S.cmd.rest);
}

/* RFC 5034 section 4: AUTH PLAIN [initial-response]; "=" is an empty
 * initial response, "*" from the client cancels. */
void do_auth(void)
{
	static stralloc authzid, authcid, passwd;
	const char *resp;
	size_t len;
	int ok;

	if (!S.cmd.nargs) {
		/* RFC 1734's AUTH without arguments, still sent by some clients. */
		reply(R_AUTH_LIST);
		reply(R_CAPA_LINE, "PLAIN");
		reply(R_END);
		return;
	}
	if (strcasecmp(S.cmd.arg[0], "PLAIN")) { reply(R_AUTH_MECH); return; }
	if (S.cmd.nargs == 2) {
		resp = S.cmd.arg[1];
		if (!strcmp(resp, "=")) resp = "";
		len = strlen(resp);
	} else {
		int r;
		reply(R_AUTH_GO);
		r = stream_getline(&S.io, &S.line, AUTH_PLAIN_MAX + 2);
		if (r == STREAM_TOOLONG) { reply(R_LOGIN_FAIL); return; }
		if (r == STREAM_TIMEOUT) {
			reply(R_BYE_LOGIN_TIMEOUT);
			session_end("login-timeout", EXIT_DONE);
		}
		if (r != STREAM_OK) session_end("eof", EXIT_DONE);
		len = S.line.len;
		if (len && S.line.s[len - 1] == '\n') len--;
		if (len && S.line.s[len - 1] == '\r') len--;
		S.line.s[len] = 0;
		resp = S.line.s;
		if (!strcmp(resp, "*")) { reply(R_AUTH_CANCEL); return; }
	}
	S.method = "plain";
	ok = auth_plain_decode(resp, len, &authzid, &authcid, &passwd) == 0;
	/* We log in as authcid only: acting for another user (a non-empty
	 * authzid that differs) is not offered. */
	if (ok && authzid.len && strcasecmp(authzid.s, authcid.s)) ok = 0;
	/* A malformed response goes through the same check (and delay) as a
	 * wrong password, under a name that cannot exist. */
	login(ok ? authcid.s : "-", ok ? passwd.s : "");
	if (passwd.s) explicit_bzero(passwd.s, passwd.a);
}
