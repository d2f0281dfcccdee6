#ifndef POP3D_H
#define POP3D_H
/*
 * posthorn-pop3d's modules (see posthorn-pop3d(8)):
 *   main.c      options, environment, config; then session_run
 *   session.c   the command loop, the dispatch table, TLS, the end of a
 *               session (UPDATE state)
 *   login.c     CAPA, STLS, USER, PASS, AUTH; the hand-over to
 *               posthorn-mailauth, and the start of the session process
 *               (-L) it runs as the mail owner
 *   mailbox.c   STAT, LIST, RETR, TOP, DELE, NOOP, RSET, UIDL
 *   reply.c     every reply text, by name
 * One session per process: the state is one struct that lives for the
 * whole process.
 */
#include <stddef.h>
#include <stralloc.h>
#include "auth.h"
#include "msglist.h"
#include "pop3cmd.h"
#include "srvopts.h"
#include "stream.h"

#define POP3_LINE_MAX POP3CMD_LINE_MAX      /* bytes of a command line, CRLF included */
#define POP3_ERRORS_MAX 20                  /* bad commands before we hang up */
#define POP3_FAILS_MAX 3                    /* failed logins before we hang up */
#define POP3_MESSAGES_MAX 200000UL          /* messages listed in one session */
#define POP3_TIMEOUT_DEFAULT 600            /* RFC 1939 section 3: at least 10 minutes */
#define POP3_PREAUTH_TIMEOUT_DEFAULT 180    /* from the connection to a login, in all */
#define POP3_LOCK_NAME "posthorn-pop3d.lock"

/* RFC 1939 section 3: AUTHORIZATION, TRANSACTION; UPDATE happens inside
 * QUIT.  Values are bits, so a command can name the states it is valid in. */
enum pop3_state { ST_AUTH = 1, ST_TRANS = 2 };

/* Per-message marks of this session. */
enum { MARK_DELETED = 1, MARK_RETRIEVED = 2 };

struct tls;
struct tls_config;

struct session {
	struct stream io;
	enum pop3_state state;
	int over;                    /* end the session after this command */
	int dead;                    /* a write failed: the peer is gone */

	/* settings, read once at start-up */
	int implicit_tls;            /* -T: TLS from the first byte (port 995) */
	unsigned long timeout;       /* seconds */
	struct srvconf conf;         /* me, TLS files, cleartext logins */
	struct tls *tlsctx;
	const char *ip;              /* TCPREMOTEIP, for logs */

	/* AUTHORIZATION */
	char user[AUTH_LOGIN_MAX + 1];   /* from USER, "" if none */
	const char *method;              /* "user" or "plain", for the log */
	unsigned fails, errors;

	/* TRANSACTION */
	struct msglist ml;
	unsigned char *mark;         /* ml.n marks */
	int lockfd;
	unsigned long msgno;         /* 0-based message of the command, set by checks */
	unsigned long lines;         /* TOP's line count */
	unsigned long retrieved, deleted;
	unsigned long long bytes;    /* message octets sent by RETR and TOP */

	stralloc line;
	struct pop3cmd cmd;
};

extern struct session S;

/* Replies (reply.c).  Each names one text of the table; the arguments fill
 * its printf conversions.  A write that fails ends the session (S.over). */
enum reply_id {
	R_GREETING, R_BYE, R_BYE_TIMEOUT, R_BYE_LOGIN_TIMEOUT, R_BYE_ERRORS, R_BYE_FAILS,
	R_TOOLONG, R_BADCHAR, R_SYNTAX, R_UNKNOWN, R_BADSTATE, R_ARGS,
	R_CAPA, R_CAPA_LINE, R_END,
	R_STLS_GO, R_STLS_ACTIVE, R_STLS_NONE, R_STLS_FAIL,
	R_CLEARTEXT, R_USER_OK, R_USER_BAD, R_PASS_NOUSER,
	R_AUTH_LIST, R_AUTH_MECH, R_AUTH_GO, R_AUTH_CANCEL,
	R_LOGIN_OK, R_LOGIN_FAIL, R_LOGIN_TEMP, R_IN_USE, R_SYS_TEMP, R_SYS_PERM,
	R_STAT, R_LIST, R_LIST_ONE, R_LIST_LINE, R_UIDL, R_UIDL_ONE, R_UIDL_LINE,
	R_RETR, R_TOP, R_NOMSG, R_DELETED, R_MSG_GONE, R_MSG_TEMP,
	R_DELE, R_NOOP, R_RSET, R_QUIT, R_QUIT_PARTIAL,
	R_COUNT
};
void reply(enum reply_id id, ...);
/* Raw bytes (message text). */
void reply_raw(const char *buf, size_t len);

/* Commands: check validates state-independent arguments and sets S.msgno /
 * S.lines, or replies with an error and returns -1; run does the work. */
int check_none(void);
int check_msg(void);
int check_optmsg(void);
int check_top(void);
int check_user(void);
int check_pass(void);
int check_auth(void);
int check_login(void);
void do_capa(void);
_Noreturn void session_resume(void);   /* -L: the session after the hand-over */
void do_stls(void);
void do_user(void);
void do_pass(void);
void do_auth(void);
void do_quit(void);
void do_stat(void);
void do_list(void);
void do_retr(void);
void do_top(void);
void do_dele(void);
void do_noop(void);
void do_rset(void);
void do_uidl(void);

/* session.c */
void session_run(void);              /* the greeting, then session_loop */
_Noreturn void session_loop(void);
_Noreturn void session_end(const char *reason, int code);

/* mailbox.c: called by the session process (-L) before it serves.  0, or
 * HANDOFF_INUSE / HANDOFF_TEMP (logged; nothing said to the client). */
int mailbox_open(const char *maildir);
void mailbox_update(void);
#endif
