/*
 * The session: reading a command (its lines and literals, with every
 * bound), one dispatch table, TLS, and the end.
 *
 * A command is read line by line into S.buf.  A line that ends with a
 * literal announcement is checked before the literal is read: a
 * synchronizing literal over the bound gets "NO [TOOBIG]" (APPEND) or
 * "BAD [TOOBIG]" at once, and the client, which waits for our "+", sends
 * nothing more of that command (RFC 3501 7.5, RFC 7889); a
 * non-synchronizing one (LITERAL+, RFC 7888 section 4) is already on its
 * way, so we answer BAD and close the connection rather than read it.
 * So does an announcement whose size we cannot read (not digits, or over
 * 2^63-1, imapparse_literal): we cannot know where the command ends, and
 * whatever follows must never run as a command.
 * APPEND's messages (several with MULTIAPPEND, RFC 3502; literal8s,
 * RFC 3516) may be up to S.append_max bytes together; every other
 * literal IMAP_LITERAL_MAX, the whole command IMAP_CMD_MAX.
 *
 * Then imapparse_command splits it, the table gives the handler and the
 * states it is valid in, and the handler checks its arguments and runs.
 * Before a command in the selected state runs, the store is brought in
 * step with the disk (view_refresh, which tells the client nothing); after
 * it ran, dispatch sends the folder's untagged updates (view_update, with
 * EXPUNGE only where RFC 3501 7.4.1 allows) and then the tagged response
 * the handler set (reply_send): never between a command's numbering and
 * its execution.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <tls.h>
#include "cmdline.h"
#include "exitcode.h"
#include "log.h"
#include "commands.h"
#include "learn.h"
#include "reply.h"
#include "session.h"
#include "view.h"
#include "tlsserver.h"
#include "zstream.h"

struct command {
	const char *name;
	unsigned states;            /* ST_* bits it is valid in */
	unsigned uid;               /* may follow "UID" */
	int expunge_ok;             /* may be followed by untagged EXPUNGE (RFC 3501 7.4.1) */
	void (*run)(void);
};

/* RFC 3501 section 6, with RFC 2177 (IDLE), 2342 (NAMESPACE), 2971 (ID),
 * 3691 (UNSELECT), 4315 (UIDPLUS), 5161 (ENABLE), 6851 (MOVE), 9208 (QUOTA),
 * 4978 (COMPRESS). */
static const struct command commands[] = {
	{"CAPABILITY", ST_NOAUTH | ST_AUTH | ST_SELECTED, 0, 1, do_capability},
	{"NOOP", ST_NOAUTH | ST_AUTH | ST_SELECTED, 0, 1, do_noop},
	{"LOGOUT", ST_NOAUTH | ST_AUTH | ST_SELECTED, 0, 1, do_logout},
	{"ID", ST_NOAUTH | ST_AUTH | ST_SELECTED, 0, 1, do_id},
	{"STARTTLS", ST_NOAUTH, 0, 1, do_starttls},
	{"LOGIN", ST_NOAUTH, 0, 1, do_login},
	{"AUTHENTICATE", ST_NOAUTH, 0, 1, do_authenticate},
	{"ENABLE", ST_AUTH | ST_SELECTED, 0, 1, do_enable},
	{"NAMESPACE", ST_AUTH | ST_SELECTED, 0, 1, do_namespace},
	{"SELECT", ST_AUTH | ST_SELECTED, 0, 1, do_select},
	{"EXAMINE", ST_AUTH | ST_SELECTED, 0, 1, do_examine},
	{"CREATE", ST_AUTH | ST_SELECTED, 0, 1, do_create},
	{"DELETE", ST_AUTH | ST_SELECTED, 0, 1, do_delete},
	{"RENAME", ST_AUTH | ST_SELECTED, 0, 1, do_rename},
	{"SUBSCRIBE", ST_AUTH | ST_SELECTED, 0, 1, do_subscribe},
	{"UNSUBSCRIBE", ST_AUTH | ST_SELECTED, 0, 1, do_unsubscribe},
	{"LIST", ST_AUTH | ST_SELECTED, 0, 1, do_list},
	{"LSUB", ST_AUTH | ST_SELECTED, 0, 1, do_lsub},
	{"STATUS", ST_AUTH | ST_SELECTED, 0, 1, do_status},
	{"GETQUOTAROOT", ST_AUTH | ST_SELECTED, 0, 1, do_getquotaroot},
	{"GETQUOTA", ST_AUTH | ST_SELECTED, 0, 1, do_getquota},
	{"SETQUOTA", ST_AUTH | ST_SELECTED, 0, 1, do_setquota},
	{"APPEND", ST_AUTH | ST_SELECTED, 0, 1, do_append},
	{"IDLE", ST_AUTH | ST_SELECTED, 0, 1, do_idle},
	{"CHECK", ST_SELECTED, 0, 1, do_check},
	{"CLOSE", ST_SELECTED, 0, 1, do_close},
	{"UNSELECT", ST_SELECTED, 0, 1, do_unselect},
	{"EXPUNGE", ST_SELECTED, 1, 1, do_expunge},
	{"SEARCH", ST_SELECTED, 1, 0, do_search},
	{"SORT", ST_SELECTED, 1, 0, do_sort},        /* RFC 5256, 5957, 5267 */
	{"THREAD", ST_SELECTED, 1, 0, do_thread},    /* RFC 5256 */
	{"FETCH", ST_SELECTED, 1, 0, do_fetch},
	{"STORE", ST_SELECTED, 1, 0, do_store},
	{"COPY", ST_SELECTED, 1, 1, do_copy},
	{"MOVE", ST_SELECTED, 1, 1, do_move},
	{"COMPRESS", ST_AUTH | ST_SELECTED, 0, 1, do_compress},
};

static void error_reply(enum resp_id id, const char *why)
{
	reply(id, why);
	if (++S.errors >= IMAP_ERRORS_MAX) {
		reply_send();
		untagged(R_BYE_ERRORS);
		session_end("errors", EXIT_DONE);
	}
}

static const struct command *lookup(const char *name)
{
	size_t i;
	for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (!strcmp(commands[i].name, name)) return &commands[i];
	return 0;
}

static void dispatch(void)
{
	const struct command *c;
	int r = imapparse_command(&S.cmd, S.buf.s, S.buf.len);

	if (r == IMAPPARSE_EMPTY) return;
	if (r == IMAPPARSE_NOTAG) { S.cmd.tag[0] = 0; error_reply(R_BAD_SYNTAX, S.cmd.error); return; }
	if (r == IMAPPARSE_NOMEM) { reply(R_NO_LIMIT, "out of memory"); return; }
	if (r != IMAPPARSE_OK) { error_reply(R_BAD_SYNTAX, S.cmd.error); return; }
	S.uid = 0;
	S.args = S.cmd.args;
	S.nargs = S.cmd.nargs;
	if (!strcmp(S.cmd.name, "UID")) {
		char sub[IMAP_NAME_MAX + 1];
		size_t i;
		if (!S.args || S.args->type != IMAP_ATOM || S.args->len > IMAP_NAME_MAX) {
			error_reply(R_BAD_ARGS, 0);
			return;
		}
		for (i = 0; i <= S.args->len; i++) {
			char ch = S.args->s[i];
			sub[i] = ch >= 'a' && ch <= 'z' ? (char)(ch - 32) : ch;
		}
		c = lookup(sub);
		if (!c || !c->uid) { error_reply(R_BAD_UNKNOWN, 0); return; }
		S.uid = 1;
		S.args = S.args->next;
		S.nargs--;
	} else {
		c = lookup(S.cmd.name);
		if (!c) { error_reply(R_BAD_UNKNOWN, 0); return; }
	}
	if (!(c->states & S.state)) { error_reply(R_BAD_STATE, 0); return; }
	S.errors = 0;
	if (S.state == ST_SELECTED) view_refresh();
	c->run();
	/* what changed in the selected folder goes out before the tagged
	 * response, after the command ran (RFC 3501 5.2); EXPUNGE only where
	 * 7.4.1 allows it */
	if (S.state == ST_SELECTED && !S.over) view_update(c->expunge_ok);
	reply_send();
	/* lessons of a MOVE, COPY, STORE or APPEND go to posthorn-learn once
	 * the client has its answer */
	learn_command_done();
}

/* Reads len bytes of a literal into S.buf. */
static int read_literal(unsigned long long len)
{
	if (!stralloc_readyplus(&S.buf, (size_t)len + 1)) return -1;
	while (len) {
		long n = stream_read(&S.io, S.buf.s + S.buf.len, len > 65536 ? 65536 : (size_t)len);
		if (n == STREAM_TIMEOUT) { untagged(R_BYE_TIMEOUT); session_end("timeout", EXIT_DONE); }
		if (n <= 0) session_end(n == STREAM_EOF ? "eof" : "read-error", EXIT_DONE);
		S.buf.len += (size_t)n;
		len -= (unsigned long long)n;
	}
	return 0;
}

static void read_failed(int r)
{
	if (r == STREAM_TIMEOUT) {
		untagged(S.state == ST_NOAUTH ? R_PREAUTH_BYE_TIMEOUT : R_BYE_TIMEOUT);
		session_end("timeout", EXIT_DONE);
	}
	if (r == STREAM_EOF) session_end("eof", EXIT_DONE);
	/* a corrupt compressed stream, a TLS error: say which */
	log_event("error", "user", S.user, "ip", S.ip, "op", "read", "error", stream_error(&S.io), (char *)0);
	session_end("read-error", EXIT_DONE);
}

/* Reads one command into S.buf.  1 when whole, 0 when it was refused
 * (and answered) on the way. */
static int read_command(void)
{
	static stralloc line;
	char name[IMAP_NAME_MAX + 1];
	size_t text = 0;
	unsigned long long appending = 0;   /* APPEND: bytes of its literals so far */
	int first = 1;

	S.buf.len = 0;
	S.cmd.tag[0] = 0;
	name[0] = 0;
	for (;;) {
		unsigned long long n;
		int nonsync, k, r = first ? cmdline_first(&S.io, &line, S.cmd.tag)
		                          : stream_getline(&S.io, &line, IMAP_LINE_MAX);

		/* tagged when the tag could be read (RFC 3501 7.1.5) */
		if (r == STREAM_TOOLONG) {
			error_reply(R_BAD_TOOLONG, 0);
			return 0;
		}
		if (r != STREAM_OK) read_failed(r);
		if (first) {
			imapparse_peek(line.s, line.len, S.cmd.tag, name);
			first = 0;
		}
		text += line.len;
		if (text > IMAP_CMD_MAX) {
			error_reply(R_BAD_CMDTOOBIG, 0);
			return 0;
		}
		if (!stralloc_catb(&S.buf, line.s, line.len)) { reply(R_NO_LIMIT, "out of memory"); return 0; }
		k = imapparse_literal(line.s, line.len, &n, &nonsync);
		if (k == 0) return 1;
		if (k < 0) {
			reply(R_BAD_SYNTAX, "literal size unreadable or over 2^63-1");
			reply_send();
			untagged(R_BYE_TOOBIG);
			session_end("literal-unreadable", EXIT_DONE);
		}
		/* n is at most 2^63-1 here; each bound is compared before any sum */
		if (n > (!strcmp(name, "APPEND") ? S.append_max - appending : IMAP_LITERAL_MAX) ||
		    (strcmp(name, "APPEND") && n > IMAP_CMD_MAX - text)) {
			if (nonsync) {
				/* the bytes are on their way and could be read as
				 * commands: refuse and hang up */
				reply(R_BAD_TOOBIG_NONSYNC);
				reply_send();
				untagged(R_BYE_TOOBIG);
				session_end("literal-too-big", EXIT_DONE);
			}
			if (!strcmp(name, "APPEND")) reply(R_NO_TOOBIG);
			else error_reply(R_BAD_CMDTOOBIG, 0);
			return 0;
		}
		if (!nonsync) {
			out("+ ready for literal data\r\n");
			if (stream_flush(&S.io) < 0) S.dead = 1;
		}
		if (strcmp(name, "APPEND")) text += (size_t)n;
		else appending += n;
		if (read_literal(n) < 0) { reply(R_NO_LIMIT, "out of memory"); return 0; }
	}
}

/* RFC 4978: COMPRESS DEFLATE.  The OK goes out uncompressed, and
 * everything after it both ways is raw deflate (zstream.h).  It works
 * whichever process holds the socket: after a login over TLS, the login
 * half's relay (handoff.h) carries the compressed bytes as it carries any
 * others, so the deflate is inside the TLS.  libtls does no TLS-level
 * compression, so only our own makes COMPRESSIONACTIVE. */
void do_compress(void)
{
	if (S.nargs != 1 || S.args->type != IMAP_ATOM || strcasecmp(S.args->s, "DEFLATE")) {
		reply(R_BAD_ARGS);
		return;
	}
	if (zstream_active(&S.io)) {
		reply(R_NO_COMPRESSIONACTIVE);
		return;
	}
	reply(R_OK_COMPRESS);
	reply_send();
	if (stream_flush(&S.io) < 0 || zstream_start(&S.io) < 0) {
		log_event("error", "user", S.user, "ip", S.ip, "op", "compress", "error", stream_error(&S.io), (char *)0);
		S.dead = 1;
	}
}

int session_readline(size_t max)
{
	static stralloc line;
	int r = stream_getline(&S.io, &line, max);
	size_t len;

	if (r == STREAM_TOOLONG) return 1;
	if (r != STREAM_OK) read_failed(r);
	len = line.len;
	if (len && line.s[len - 1] == '\n') len--;
	if (len && line.s[len - 1] == '\r') len--;
	if (!stralloc_copyb(&S.buf, line.s, len) || !stralloc_0(&S.buf)) return -1;
	S.buf.len--;
	explicit_bzero(line.s, line.a);
	return 0;
}

void session_run(void)
{
	/* the login deadline (imapd-preauth-timeout), however the client
	 * trickles its bytes; the session after a login (-L) has none */
	stream_deadline(&S.io, (unsigned)S.conf.preauth_timeout);
	if (S.implicit_tls && session_tls() < 0) session_end("tls-failed", EXIT_TEMP);
	untagged(R_GREETING, capabilities(), S.conf.me.s);
	session_loop();
}

void session_loop(void)
{
	for (;;) {
		/* a login's OK (session_resume), before we wait for the client */
		reply_send();
		S.io.timeout = (unsigned)(S.state == ST_NOAUTH ? S.conf.preauth_timeout : S.timeout);
		if (read_command()) dispatch();
		/* a command refused while it was read */
		reply_send();
		/* a LOGIN or AUTHENTICATE command holds a password */
		if (S.buf.s) explicit_bzero(S.buf.s, S.buf.len);
		if (S.buf.a > (1 << 20)) {
			stralloc_free(&S.buf);
			S.buf.a = 0;
		}
		if (S.dead) session_end("write-error", EXIT_DONE);
		if (S.over) session_end("logout", EXIT_DONE);
	}
}

/* The TLS server context is made on first use, so a session that never
 * asks for TLS never loads the key or pays for libtls' set-up. */
int session_tls(void)
{
	return tlsserver_start(&S.io, &S.tlsctx, S.conf.certpath.s, S.conf.keypath.s, S.ip);
}

_Noreturn void session_end(const char *reason, int code)
{
	char n1[24], n2[24], n3[24], n4[24];

	if (S.state != ST_NOAUTH) {
		snprintf(n1, sizeof n1, "%lu", S.fetched);
		snprintf(n2, sizeof n2, "%lu", S.stored);
		snprintf(n3, sizeof n3, "%lu", S.expunged);
		snprintf(n4, sizeof n4, "%lu", S.appended);
		log_event("logout", "user", S.user, "ip", S.ip, "reason", reason, "fetched", n1, "stored", n2,
			  "expunged", n3, "appended", n4, (char *)0);
	} else {
		log_event("end", "ip", S.ip, "reason", reason, (char *)0);
	}
	if (!S.dead) {
		reply_send();
		stream_close(&S.io);
	}
	_exit(code);
}
