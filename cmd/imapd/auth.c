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
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "auth.h"
#include "exitcode.h"
#include "handoff.h"
#include "commands.h"
#include "log.h"
#include "reply.h"
#include "session.h"
#include "srvopts.h"

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

/* The names ENABLE knows, with their bit (session.h).  An extension goes
 * here once the server does what enabling it promises; a name that is not
 * here is ignored, as RFC 5161 3.1 says (its capability is not offered).
 * QRESYNC implies CONDSTORE (RFC 7162 3.2.3). */
static const struct { const char *name; unsigned bits; } enable_names[] = {
	{"UTF8=ACCEPT", EN_UTF8},   /* RFC 6855 3: folder names in UTF-8 (list.c) */
	{"CONDSTORE", EN_CONDSTORE},              /* RFC 7162 3.1 */
	{"QRESYNC", EN_QRESYNC | EN_CONDSTORE},   /* RFC 7162 3.2.3: implies CONDSTORE */
};

void do_enable(void)
{
	stralloc said = {0};
	const struct imap_arg *a;
	unsigned k, now = 0;

	if (!S.nargs) { reply(R_BAD_ARGS); return; }
	for (a = S.args; a; a = a->next) {
		const char *name;
		if (a->type != IMAP_ATOM) { reply(R_BAD_ARGS); return; }
		name = a->s;
		for (k = 0; k < sizeof enable_names / sizeof enable_names[0]; k++) {
			if (!enable_names[k].bits || strcasecmp(name, enable_names[k].name)) continue;
			/* RFC 5161 3.2: ENABLED lists only what this command turned on */
			if ((enable_names[k].bits & ~(S.enabled | now)) &&
			    (!stralloc_cats(&said, " ") || !stralloc_cats(&said, enable_names[k].name))) {
				stralloc_free(&said);
				reply(R_NO_CANNOT, "ENABLE", "out of memory");
				return;
			}
			now |= enable_names[k].bits;
		}
	}
	S.enabled |= now;
	outf("* ENABLED%.*s\r\n", (int)said.len, said.s ? said.s : "");
	stralloc_free(&said);
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
	static const enum resp_id said[] = {
		[SRVTLS_GO] = R_OK_STARTTLS, [SRVTLS_ACTIVE] = R_BAD_TLS_ACTIVE, [SRVTLS_NONE] = R_NO_TLS_NONE,
		[SRVTLS_FAIL] = R_NO_TLS_FAIL,
	};
	enum srvtls r;

	if (noargs() < 0) return;
	r = srvtls_check(&S.io, &S.conf, &S.tlsctx, S.ip);
	reply(said[r]);
	/* the answer before the handshake; RFC 3501 6.2.1: what was
	 * pipelined after the command is dropped */
	reply_send();
	if (r == SRVTLS_GO && srvtls_start(&S.io, &S.conf, &S.tlsctx, S.ip) < 0) session_end("tls-failed", EXIT_DONE);
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
 * when it did not start.  method ("login", "plain") is for the logs. */
static void login(const char *method, const char *name, const char *password)
{
	int r;

	S.method = method;
	r = handoff_login(&S.io, "imapd", name, password, S.method, S.cmd.tag);

	/* a locked mailbox (HANDOFF_INUSE) is POP3's: here any other result
	 * is a temporary failure */
	if (r == HANDOFF_BAD) S.fails++;
	handoff_log_fail(r == HANDOFF_INUSE ? HANDOFF_TEMP : r, name, S.method, S.ip, S.fails);
	if (r != HANDOFF_BAD) {
		reply(R_NO_LOGIN_TEMP);
		return;
	}
	if (S.fails >= IMAP_FAILS_MAX) {
		reply(R_NO_LOGIN);
		reply_send();
		untagged(R_BYE_FAILS);
		session_end("login-failures", EXIT_DONE);
	}
	reply(R_NO_LOGIN);
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
	static struct handoff_session h;
	/* one byte more than a tag may have: a longer one is refused, not cut */
	char tag[IMAP_TAG_MAX + 2];

	if (handoff_resume(&h, &S.io) < 0 || !loginstate_value(&h.st, "tag", tag, sizeof tag) || !tag_ok(tag))
		_exit(HANDOFF_TEMP);
	memcpy(S.cmd.tag, tag, strlen(tag) + 1);
	memcpy(S.user, h.user, sizeof S.user);
	S.method = h.method;
	if (chdir(h.maildir) < 0) {
		log_error("chdir", h.maildir);
		_exit(HANDOFF_TEMP);
	}
	handoff_serving(&h, S.ip);
	S.state = ST_AUTH;
	reply(R_OK_LOGIN, capabilities());
	session_loop();
}

void do_login(void)
{
	const struct imap_arg *u = S.args, *p = u ? u->next : 0;

	if (S.nargs != 2 || !imap_arg_string(u) || !imap_arg_string(p)) { reply(R_BAD_ARGS); return; }
	if (!login_allowed()) return;
	/* a name too long, or a NUL in a literal: the check (and delay) of a
	 * wrong password, under a name no user has */
	if (u->len > AUTH_LOGIN_MAX || strlen(u->s) != u->len || strlen(p->s) != p->len) login("login", "-", "");
	else login("login", u->s, p->s);
}

/* The response to AUTHENTICATE's "+ " (in S.buf): it, or null when the
 * client cancelled ("*") or it could not be read (both answered). */
static const char *auth_continuation(size_t *len)
{
	int r;

	out("+ \r\n");
	r = session_readline(AUTH_PLAIN_MAX + 2);
	if (r > 0) { reply(R_BAD_ARGS); return 0; }
	if (r < 0) { reply(R_NO_LIMIT, "out of memory"); return 0; }
	if (!strcmp(S.buf.s, "*")) { reply(R_BAD_AUTH_CANCEL); return 0; }
	*len = S.buf.len;
	return S.buf.s;
}

/* RFC 3501 6.2.2, RFC 4959: AUTHENTICATE PLAIN [initial-response]; "*"
 * from the client cancels.  "=", an empty initial response, is refused as
 * any malformed response is (auth_plain_exchange): PLAIN needs a name and a
 * password. */
void do_authenticate(void)
{
	const struct imap_arg *m = S.args;

	if (S.nargs < 1 || S.nargs > 2 || m->type != IMAP_ATOM) { reply(R_BAD_ARGS); return; }
	if (!login_allowed()) return;
	if (strcasecmp(m->s, "PLAIN")) { reply(R_NO_MECH); return; }
	if (S.nargs == 2 && m->next->type != IMAP_ATOM) { reply(R_BAD_ARGS); return; }
	auth_plain_exchange(S.nargs == 2 ? m->next->s : 0, auth_continuation, login);
}
