/*
 * The session: one command loop, one dispatch table, TLS, and the end.
 *
 * Each command line is read with a bound (POP3_LINE_MAX) and the idle
 * timeout (before login also within the login deadline,
 * pop3d-preauth-timeout, counted from the connection: a client that
 * trickles a byte now and then cannot hold the process), split by
 * pop3cmd_parse, looked up in the table, checked against
 * the state (a bit set per command) and its own argument check, and run.
 * Replies are buffered and go out when we next wait for input, so a
 * pipelining client (RFC 2449 PIPELINING) gets them in batches.
 *
 * A session that ends in any way but QUIT in the TRANSACTION state (EOF,
 * timeout, error) leaves the Maildir exactly as it was: deletions happen
 * only in the UPDATE state (RFC 1939 section 6).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <tls.h>
#include "exitcode.h"
#include "log.h"
#include "pop3d.h"
#include "tlsserver.h"

struct command {
	const char *keyword;
	unsigned states;             /* ST_* bits it is valid in */
	int (*check)(void);
	void (*run)(void);
};

/* RFC 1939 sections 4-7, RFC 2449 (CAPA), RFC 2595 (STLS), RFC 5034 (AUTH).
 * APOP is not offered: it needs the clear-text password on the server. */
static const struct command commands[] = {
	{"CAPA", ST_AUTH | ST_TRANS, check_none, do_capa},
	{"STLS", ST_AUTH, check_none, do_stls},
	{"USER", ST_AUTH, check_user, do_user},
	{"PASS", ST_AUTH, check_pass, do_pass},
	{"AUTH", ST_AUTH, check_auth, do_auth},
	{"QUIT", ST_AUTH | ST_TRANS, check_none, do_quit},
	{"STAT", ST_TRANS, check_none, do_stat},
	{"LIST", ST_TRANS, check_optmsg, do_list},
	{"RETR", ST_TRANS, check_msg, do_retr},
	{"TOP", ST_TRANS, check_top, do_top},
	{"DELE", ST_TRANS, check_msg, do_dele},
	{"NOOP", ST_TRANS, check_none, do_noop},
	{"RSET", ST_TRANS, check_none, do_rset},
	{"UIDL", ST_TRANS, check_optmsg, do_uidl},
};

static void error_reply(enum reply_id id)
{
	reply(id);
	if (++S.errors >= POP3_ERRORS_MAX) {
		reply(R_BYE_ERRORS);
		session_end("errors", EXIT_DONE);
	}
}

static void dispatch(void)
{
	size_t i;
	int r = pop3cmd_parse(&S.cmd, S.line.s, S.line.len);

	if (r == POP3CMD_BADCHAR) { error_reply(R_BADCHAR); return; }
	if (r == POP3CMD_TOOLONG) { error_reply(R_TOOLONG); return; }
	if (r != POP3CMD_OK) { error_reply(r == POP3CMD_KEYWORD ? R_UNKNOWN : R_SYNTAX); return; }
	for (i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		const struct command *c = &commands[i];
		if (strcmp(c->keyword, S.cmd.keyword)) continue;
		if (!(c->states & S.state)) { error_reply(R_BADSTATE); return; }
		if (c->check() < 0) return;
		c->run();
		return;
	}
	error_reply(R_UNKNOWN);
}

void session_run(void)
{
	/* ends at the hand-over: the session after a login (-L) has none */
	stream_deadline(&S.io, (unsigned)S.conf.preauth_timeout);
	if (S.implicit_tls && tlsserver_start(&S.io, &S.tlsctx, S.conf.certpath.s, S.conf.keypath.s, S.ip) < 0)
		session_end("tls-failed", EXIT_TEMP);
	reply(R_GREETING, S.conf.me.s);
	session_loop();
}

void session_loop(void)
{
	for (;;) {
		int r = stream_getline(&S.io, &S.line, POP3_LINE_MAX);
		if (r == STREAM_TOOLONG) {
			error_reply(R_TOOLONG);
			continue;
		}
		if (r == STREAM_TIMEOUT) {
			reply(S.state == ST_AUTH ? R_BYE_LOGIN_TIMEOUT : R_BYE_TIMEOUT);
			session_end(S.state == ST_AUTH ? "login-timeout" : "timeout", EXIT_DONE);
		}
		if (r == STREAM_EOF) session_end("eof", EXIT_DONE);
		if (r != STREAM_OK) session_end("read-error", EXIT_DONE);
		dispatch();
		/* A PASS line holds a password: gone before anything else runs. */
		if (S.line.s) explicit_bzero(S.line.s, S.line.a);
		if (S.dead) session_end("write-error", EXIT_DONE);
		if (S.over) session_end("quit", EXIT_DONE);
	}
}

_Noreturn void session_end(const char *reason, int code)
{
	char n1[24], n2[24], n3[24], n4[24];   /* 20-digit numbers */

	if (S.state == ST_TRANS) {
		snprintf(n1, sizeof n1, "%lu", S.ml.n);
		snprintf(n2, sizeof n2, "%lu", S.retrieved);
		snprintf(n3, sizeof n3, "%lu", reason && !strcmp(reason, "quit") ? S.deleted : 0UL);
		snprintf(n4, sizeof n4, "%llu", S.bytes);
		log_event("logout", "user", S.user, "ip", S.ip, "reason", reason, "messages", n1,
			  "retrieved", n2, "deleted", n3, "bytes", n4, (char *)0);
	} else {
		log_event("end", "ip", S.ip, "reason", reason, (char *)0);
	}
	/* The lock goes before the last reply: a client that saw QUIT's +OK
	 * and logs in again at once must not meet [IN-USE]. */
	if (S.lockfd >= 0) close(S.lockfd);
	if (!S.dead) stream_close(&S.io);
	_exit(code);
}
