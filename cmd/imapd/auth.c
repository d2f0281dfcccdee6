/*
 * Any-state and not-authenticated commands: CAPABILITY, NOOP, LOGOUT, ID
 * (RFC 2971), STARTTLS (RFC 3501 6.2.1), LOGIN, AUTHENTICATE PLAIN with
 * SASL-IR (RFC 4959, RFC 4616), ENABLE (RFC 5161), NAMESPACE (RFC 2342);
 * and what a login leads to: the hand-over to posthorn-mailauth, and the
 * session process (-L) it starts as the mail owner in the user's Maildir.
 *
 * Logins are refused before TLS unless the config file imapd-cleartext
 * (or $IMAPD_CLEARTEXT, which tcprules can set per client) allows them:
 * CAPABILITY then says LOGINDISABLED and offers no AUTH=, so a client knows
 * to use STARTTLS first.  Every failed login costs imapd-faildelay seconds (posthorn-mailauth waits them), is
 * logged, and gets the same reply whatever was wrong; after IMAP_FAILS_MAX
 * we hang up.  The password is checked by posthorn-mailauth, not here: this
 * process runs as an account that can read no mailbox (handoff.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "exitcode.h"
#include "log.h"
#include "handoff.h"
#include "commands.h"
#include "reply.h"
#include "session.h"

void log_error(const char *op, const char *detail)
{
	log_event("error", "user", S.user, "ip", S.ip, "op", op, "error", strerror(errno), "detail", detail,
		  (char *)0);
}

static int noargs(void)
{
	if (S.nargs) { reply(R_BAD_ARGS); return -1; }
	return 0;
}

void do_capability(void)
{
	if (noargs() < 0) return;
	outf("* CAPABILITY %s\r\n", capabilities());
	reply(R_OK_CAPA);
}

void do_noop(void)
{
	if (noargs() < 0) return;
	reply(R_OK_NOOP);
}

void do_logout(void)
{
	if (noargs() < 0) return;
	untagged(R_BYE_LOGOUT);
	S.over = 1;      /* no untagged updates after the BYE */
	reply(R_OK_LOGOUT);
}

void do_id(void)
{
	if (S.nargs != 1 || (S.args->type != IMAP_LIST && !imap_arg_nil(S.args))) { reply(R_BAD_ARGS); return; }
	out("* ID (\"name\" \"posthorn\")\r\n");
	reply(R_OK_ID);
}

void do_enable(void)
{
	/* none of the extensions we offer needs enabling */
	if (!S.nargs) { reply(R_BAD_ARGS); return; }
	out("* ENABLED\r\n");
	reply(R_OK_ENABLE);
}

void do_namespace(void)
{
	if (noargs() < 0) return;
	out("* NAMESPACE ((\"\" \".\")) NIL NIL\r\n");
	reply(R_OK_NAMESPACE);
}

void do_starttls(void)
{
	if (noargs() < 0) return;
	if (S.io.tls) { reply(R_BAD_TLS_ACTIVE); return; }
	if (!S.conf.tls_available) { reply(R_NO_TLS_NONE); return; }
	if (session_tls_setup() < 0) { reply(R_NO_TLS_FAIL); return; }
	reply(R_OK_STARTTLS);
	reply_send();
	/* session_tls flushes the OK and drops anything pipelined after the
	 * command (RFC 3501 6.2.1), then shakes hands */
	if (session_tls() < 0) session_end("tls-failed", EXIT_DONE);
	log_event("tls", "ip", S.ip, "version", stream_tls_version(&S.io), "cipher", stream_tls_cipher(&S.io),
		  (char *)0);
}

static int login_allowed(void)
{
	if (!S.io.tls && !S.conf.cleartext_ok) {
		reply(R_NO_LOGINDISABLED);
		return 0;
	}
	return 1;
}

/* Hands name and password to posthorn-mailauth, which serves the rest of
 * the session as the mail owner (handoff.h); we get control back only
 * when it did not start. */
static void login(const char *name, const char *password)
{
	int r = handoff_login(&S.io, "imapd", name, password, S.method, S.cmd.tag);

	if (r != HANDOFF_BAD) {
		log_event("login-fail", "user", name, "ip", S.ip, "method", S.method, "reason", "temporary",
			  (char *)0);
		reply(R_NO_LOGIN_TEMP);
		return;
	}
	{
		char n[16];
		snprintf(n, sizeof n, "%u", ++S.fails);
		log_event("login-fail", "user", name, "ip", S.ip, "method", S.method, "reason", "auth", "fails", n,
			  (char *)0);
		if (S.fails >= IMAP_FAILS_MAX) {
			reply(R_NO_LOGIN);
			reply_send();
			untagged(R_BYE_FAILS);
			session_end("login-failures", EXIT_DONE);
		}
		reply(R_NO_LOGIN);
	}
}

/* A tag as RFC 3501 allows it (astring characters but '+'). */
static int tag_ok(const char *t)
{
	if (!*t || strlen(t) > IMAP_TAG_MAX) return 0;
	for (; *t; t++)
		if (*t <= ' ' || *t > '~' || strchr("(){%*\"\\]+", *t)) return 0;
	return 1;
}

/* -L: run by posthorn-mailauth as the mail owner after a good login.  The
 * state pipe gives the login's tag and method and what the client had
 * pipelined; the environment gives who it is.  A Maildir we cannot enter
 * ends the process before a word to the client: the login half answers. */
void session_resume(void)
{
	static struct loginstate st;
	static char method[16], tls[200];
	const char *user = getenv("POSTHORN_USER"), *maildir = getenv("POSTHORN_MAILDIR");

	if (!user || !maildir || strlen(user) > AUTH_LOGIN_MAX || handoff_read_state(&st) < 0 ||
	    !loginstate_value(&st, "tag", S.cmd.tag, sizeof S.cmd.tag) || !tag_ok(S.cmd.tag))
		_exit(HANDOFF_TEMP);
	if (!loginstate_value(&st, "method", method, sizeof method)) strcpy(method, "-");
	if (!loginstate_value(&st, "tls", tls, sizeof tls)) strcpy(tls, "-");
	S.method = method;
	strcpy(S.user, user);
	if (stream_preload(&S.io, st.pipelined, st.pipelinedlen)) _exit(HANDOFF_TEMP);
	if (chdir(maildir) < 0) {
		log_error("chdir", maildir);
		_exit(HANDOFF_TEMP);
	}
	handoff_ready();
	S.state = ST_AUTH;
	log_event("login", "user", S.user, "ip", S.ip, "method", S.method, "tls", strcmp(tls, "-") ? tls : "no",
		  (char *)0);
	reply(R_OK_LOGIN, capabilities());
	session_loop();
}

void do_login(void)
{
	const struct imap_arg *u = S.args, *p = u ? u->next : 0;

	if (S.nargs != 2 || !imap_arg_string(u) || !imap_arg_string(p)) { reply(R_BAD_ARGS); return; }
	if (!login_allowed()) return;
	S.method = "login";
	if (u->len > AUTH_LOGIN_MAX || strlen(u->s) != u->len || strlen(p->s) != p->len) {
		login("-", "");
		return;
	}
	login(u->s, p->s);
}

/* RFC 3501 6.2.2, RFC 4959: AUTHENTICATE PLAIN [initial-response]; "=" is
 * an empty initial response, "*" from the client cancels. */
void do_authenticate(void)
{
	static stralloc authzid, authcid, passwd;
	const struct imap_arg *m = S.args;
	const char *resp;
	size_t len;
	int ok;

	if (S.nargs < 1 || S.nargs > 2 || m->type != IMAP_ATOM) { reply(R_BAD_ARGS); return; }
	if (!login_allowed()) return;
	if (strcasecmp(m->s, "PLAIN")) { reply(R_NO_MECH); return; }
	if (S.nargs == 2) {
		if (m->next->type != IMAP_ATOM) { reply(R_BAD_ARGS); return; }
		resp = m->next->s;
		if (!strcmp(resp, "=")) resp = "";
		len = strlen(resp);
	} else {
		int r;
		out("+ \r\n");
		r = session_readline(AUTH_PLAIN_MAX + 2);
		if (r > 0) { reply(R_BAD_ARGS); return; }
		if (r < 0) { reply(R_NO_LIMIT, "out of memory"); return; }
		resp = S.buf.s;
		len = S.buf.len;
		if (!strcmp(resp, "*")) { reply(R_BAD_AUTH_CANCEL); return; }
	}
	S.method = "plain";
	ok = auth_plain_decode(resp, len, &authzid, &authcid, &passwd) == 0;
	/* logging in as authcid only: acting for another user is not offered */
	if (ok && authzid.len && strcmp(authzid.s, authcid.s)) ok = 0;
	login(ok ? authcid.s : "-", ok ? passwd.s : "");
	if (passwd.s) explicit_bzero(passwd.s, passwd.a);
}
