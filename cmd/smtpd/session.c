/*
 * The command loop of posthorn-smtpd and its one dispatch table.
 *
 * Each verb has a check function (state and arguments: returns the reply to
 * refuse with, or R_NONE) and a do function (the work, which writes its own
 * reply), as in OpenSMTPD's smtp_session.c.  Replies are buffered and go
 * out when we next wait for input (lib/stream flushes before every read),
 * which is exactly what PIPELINING (RFC 2920) asks: a batch of pipelined
 * commands gets one batch of replies.
 *
 * Command lines may end in CRLF or a bare LF (clients that send the latter
 * exist, and a command line cannot smuggle anything); a CR or any other
 * control byte inside a line is refused.
 */
#include <string.h>
#include "log.h"
#include "reply.h"
#include "smtpcmd.h"
#include "smtpd.h"

static int check_none(struct session *s, const char *arg, size_t len)
{
	(void)s, (void)arg, (void)len;
	return R_NONE;
}

static const struct verb {
	const char *name;
	int (*check)(struct session *, const char *, size_t);
	void (*run)(struct session *, const char *, size_t);
} verbs[] = {
	{"HELO", check_helo, do_helo},
	{"EHLO", check_helo, do_ehlo},
	{"MAIL", check_mail, do_mail},
	{"RCPT", check_rcpt, do_rcpt},
	{"DATA", check_data, do_data},
	{"BDAT", check_bdat, do_bdat},
	{"RSET", check_noarg, do_rset},
	{"NOOP", check_none, do_noop},
	{"QUIT", check_noarg, do_quit},
	{"VRFY", check_none, do_vrfy},
	{"EXPN", check_none, do_expn},
	{"HELP", check_none, do_help},
	{"STARTTLS", check_starttls, do_starttls},
	{"AUTH", check_auth, do_auth},
};

int session_tls_active(const struct session *s)
{
	return s->st.tls != 0;
}

int session_auth_offered(const struct session *s)
{
	return session_tls_active(s) || s->conf->auth_cleartext;
}

void session_reset_tx(struct session *s)
{
	struct transaction *t = &s->tx;

	inject_abort(&s->inj);
	t->active = 0;
	t->sender.len = 0;
	t->smtputf8 = t->body8bit = 0;
	t->rcpts.len = 0;
	t->nrcpt = t->rcpt_tries = 0;
	t->chunking = t->failed = 0;
}

void session_lost(struct session *s, int status)
{
	s->quit = 1;
	inject_abort(&s->inj);
	switch (status) {
	case STREAM_EOF:
		s->end_reason = "eof";
		break;
	case STREAM_TIMEOUT:
		s->end_reason = "timeout";
		reply(s, R_TIMEOUT);
		break;
	default:
		s->end_reason = "error";
		log_event("error", "client", s->peer.remote_ip, "error", stream_error(&s->st), (char *)0);
	}
}

int session_readline(struct session *s)
{
	for (;;) {
		int r = stream_getline(&s->st, &s->line, SMTPD_LINE_MAX);
		if (r == STREAM_OK) return 0;
		if (r != STREAM_TOOLONG) {
			session_lost(s, r);
			return -1;
		}
		reply(s, R_LINE_TOO_LONG);
		if (s->errors >= s->conf->maxerrors) {
			reply(s, R_TOO_MANY_ERRORS);
			s->quit = 1;
			s->end_reason = "errors";
			return -1;
		}
	}
}

static void dispatch(struct session *s)
{
	const char *arg;
	size_t len, verblen, arglen, i;
	int crlf, r;

	len = smtpcmd_chomp(s->line.s, s->line.len, &crlf);
	if (smtpcmd_has_control(s->line.s, len)) {
		reply(s, R_CONTROL);
		return;
	}
	verblen = smtpcmd_verb(s->line.s, len, &arg, &arglen);
	for (i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
		const struct verb *v = &verbs[i];
		if (!smtpcmd_is(s->line.s, verblen, v->name)) continue;
		if ((r = v->check(s, arg, arglen)) != R_NONE) reply(s, r);
		else v->run(s, arg, arglen);
		return;
	}
	reply(s, R_UNKNOWN);
}

void session_run(struct session *s)
{
	if (s->conf->implicit_tls && tls_implicit(s)) return;
	reply(s, R_GREETING);
	while (!s->quit) {
		if (session_readline(s)) break;
		dispatch(s);
		if (!s->quit && s->errors >= s->conf->maxerrors) {
			reply(s, R_TOO_MANY_ERRORS);
			s->quit = 1;
			s->end_reason = "errors";
		}
	}
	session_reset_tx(s);
}
