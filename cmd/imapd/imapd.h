#ifndef IMAPD_H
#define IMAPD_H
/*
 * posthorn-imapd's modules (see posthorn-imapd(8)):
 *   main.c      options, environment, config; then session_run
 *   session.c   reading commands (lines, literals, bounds), the dispatch
 *               table, TLS, the end of a session
 *   reply.c     every fixed response text by name; output helpers
 *   auth.c      CAPABILITY, NOOP, LOGOUT, STARTTLS, LOGIN, AUTHENTICATE,
 *               ID, ENABLE, NAMESPACE; the privilege drop
 *   list.c      LIST, LSUB, SUBSCRIBE, UNSUBSCRIBE, CREATE, DELETE, RENAME,
 *               STATUS; folder names
 *   select.c    SELECT, EXAMINE, CLOSE, UNSELECT, CHECK; the view of the
 *               selected folder and its untagged updates
 *   fetch.c     FETCH and UID FETCH
 *   store.c     STORE, EXPUNGE, UID EXPUNGE, COPY, MOVE
 *   append.c    APPEND
 *   search.c    SEARCH and UID SEARCH
 *   idle.c      IDLE (inotify on new/ and cur/)
 * One session per process: its state is one struct for the whole process.
 */
#include <stddef.h>
#include <stdint.h>
#include <stralloc.h>
#include "auth.h"
#include "imapparse.h"
#include "imapseq.h"
#include "imapstore.h"
#include "srvopts.h"
#include "stream.h"

#define IMAP_ERRORS_MAX 50                 /* bad commands in a row before we hang up */
#define IMAP_FAILS_MAX 3                   /* failed logins before we hang up */
#define IMAP_TIMEOUT_DEFAULT 1800          /* RFC 3501 5.4: at least 30 minutes */
#define IMAP_PREAUTH_TIMEOUT 60            /* before login, in all (default of imapd-preauth-timeout) */
#define IMAP_APPEND_MAX_DEFAULT (64UL << 20)  /* bytes of an APPENDed message */
#define IMAP_MAILBOX_MAX 255               /* bytes of a mailbox name */

/* RFC 3501 section 3; bits, so a command names the states it is valid in. */
enum imap_state { ST_NOAUTH = 1, ST_AUTH = 2, ST_SELECTED = 4 };

/* One message of the selected folder as the client knows it. */
struct vmsg {
	uint32_t uid;
	uint32_t flags;            /* as last told to the client */
	uint8_t gone;              /* expunged by someone else, EXPUNGE not sent yet */
	uint8_t recent;
	uint8_t dirty;             /* flags changed by someone else, not told yet */
	uint8_t sized;
	uint64_t size;             /* RFC822.SIZE once known */
};

struct tls;
struct tls_config;

struct session {
	struct stream io;
	enum imap_state state;
	int over, dead;

	/* settings, read once at start-up */
	int implicit_tls;
	unsigned long timeout, append_max;
	struct srvconf conf;         /* me, TLS files, cleartext logins */
	struct tls *tlsctx;
	const char *ip;

	/* not authenticated */
	char user[AUTH_LOGIN_MAX + 1];
	const char *method;
	unsigned fails, errors;

	/* the command */
	stralloc buf;
	struct imap_cmd cmd;
	int uid;                   /* the UID form of FETCH, STORE, COPY, MOVE, SEARCH, EXPUNGE */
	const struct imap_arg *args;   /* arguments after a UID prefix */
	unsigned nargs;

	/* selected */
	char mailbox[IMAP_MAILBOX_MAX + 1];
	int readonly;
	struct store st;
	struct vmsg *v;
	unsigned long nv, vcap;
	unsigned long told_exists, told_recent;
	unsigned told_kw;            /* keywords in the last * FLAGS sent */
	unsigned long view_gen;      /* S.st.gen the view was last compared with */
	int idling;
	unsigned long fetched, stored, expunged, appended;   /* for the logout log line */
};

extern struct session S;

/* ---- reply.c ---- */
enum resp_id {
	R_GREETING, R_PREAUTH_BYE_TIMEOUT, R_BYE_TIMEOUT, R_BYE_ERRORS, R_BYE_FAILS, R_BYE_LOGOUT,
	R_BYE_GONE, R_BYE_TOOBIG,
	R_BAD_SYNTAX, R_BAD_UNKNOWN, R_BAD_STATE, R_BAD_ARGS, R_BAD_TOOLONG, R_BAD_SEQ, R_BAD_CMDTOOBIG,
	R_NO_TOOBIG, R_BAD_TOOBIG_NONSYNC,
	R_OK_DONE, R_OK_NOOP, R_OK_LOGOUT, R_OK_CAPA, R_OK_STARTTLS, R_BAD_TLS_ACTIVE, R_NO_TLS_NONE,
	R_NO_TLS_FAIL, R_NO_LOGINDISABLED, R_OK_LOGIN, R_NO_LOGIN, R_NO_LOGIN_TEMP, R_NO_SYS, R_NO_MECH,
	R_BAD_AUTH_CANCEL, R_OK_ID, R_OK_ENABLE, R_OK_NAMESPACE,
	R_NO_NOMAILBOX, R_NO_EXISTS, R_NO_BADNAME, R_NO_INBOX, R_NO_CHILDREN, R_NO_CANNOT, R_OK_CREATE,
	R_OK_DELETE, R_OK_RENAME, R_OK_SUB, R_OK_UNSUB, R_OK_LIST, R_OK_LSUB, R_OK_STATUS,
	R_OK_SELECT_RW, R_OK_SELECT_RO, R_OK_CLOSE, R_OK_UNSELECT, R_OK_CHECK, R_OK_EXPUNGE,
	R_NO_READONLY, R_OK_FETCH, R_NO_EXPUNGED, R_OK_STORE, R_NO_KEYWORDS, R_OK_COPY, R_OK_MOVE,
	R_NO_TRYCREATE, R_OK_APPEND, R_OK_SEARCH, R_NO_CHARSET, R_OK_IDLE, R_IDLE_GO, R_NO_LIMIT,
	R_COUNT
};
/* "TAG " + the text of id (printf-formatted with the arguments) + CRLF. */
void reply(enum resp_id id, ...);
/* "* " + the text of id + CRLF. */
void untagged(enum resp_id id, ...);
/* Raw output helpers; every write error ends the session at the next
 * command boundary (S.dead). */
void out(const char *s);
void outb(const char *s, size_t len);
void outf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void out_num(unsigned long long n);
/* An IMAP string: quoted when it can be, else a literal. */
void out_string(const char *s, size_t len);
/* out_string, or NIL for a null pointer. */
void out_nstring(const char *s, size_t len);
void out_literal(const char *s, size_t len);
void out_flags(uint32_t flags, int recent);
const char *capabilities(void);

/* ---- session.c ---- */
void session_run(void);               /* the greeting, then session_loop */
_Noreturn void session_loop(void);
_Noreturn void session_resume(void);   /* -L: the session after the hand-over (auth.c) */
int session_tls_setup(void);
int session_tls(void);
_Noreturn void session_end(const char *reason, int code);
/* Reads one more line of the client's (AUTHENTICATE continuations);
 * into S.buf without its line end.  0, or -1 (the session ends). */
int session_readline(size_t max);

/* ---- command handlers ---- */
void do_capability(void); void do_noop(void); void do_logout(void); void do_starttls(void);
void do_login(void); void do_authenticate(void); void do_id(void); void do_enable(void);
void do_namespace(void);
void do_list(void); void do_lsub(void); void do_subscribe(void); void do_unsubscribe(void);
void do_create(void); void do_delete(void); void do_rename(void); void do_status(void);
void do_select(void); void do_examine(void); void do_close(void); void do_unselect(void);
void do_check(void); void do_expunge(void); void do_fetch(void); void do_store(void);
void do_copy(void); void do_move(void); void do_append(void); void do_search(void);
void do_idle(void);

/* ---- list.c: folder names ---- */
/* The folder dir of an IMAP name, relative to the Maildir ("." for INBOX,
 * ".Sent" for Sent) into out.  0, or -1 for a name we refuse. */
int mailbox_dir(const char *name, char *out, size_t cap);
/* 1 if the folder exists (has cur/). */
int mailbox_exists(const char *dir);
/* The canonical IMAP name ("INBOX" in any case becomes INBOX); "" (no
 * valid name) when it does not fit in cap. */
void mailbox_canon(const char *name, char *out, size_t cap);

/* ---- select.c: the view ---- */
/* Brings the view in step with the folder and sends the untagged updates
 * RFC 3501 allows now (EXPUNGE only with allow_expunge: not during FETCH,
 * STORE and SEARCH, section 7.4.1). */
void view_update(int allow_expunge);
/* Brings the store in step with the disk before a command runs and marks
 * in the view what others changed (gone, dirty), telling the client
 * nothing: the command then acts on the current state, and view_update
 * reports before its tagged response. */
void view_refresh(void);
/* Sends * FLAGS and PERMANENTFLAGS when the folder has keywords the
 * client was not told of; called before any FETCH response. */
void flags_announce(void);
/* Marks message seq (1-based) gone after our own expunge (EXPUNGE, MOVE);
 * its EXPUNGE goes out before the tagged reply, with any others, all in
 * descending order. */
void view_expunged(unsigned long seq);
/* The store index of view message i (0-based), or -1 if gone. */
long view_store(unsigned long i);
/* Resolves a sequence set argument (by UID when S.uid) to a bitmap-free
 * walk: fills seq with the set resolved against the view.  0, or -1 after
 * a BAD reply. */
int view_set(const char *text, struct imapseq *seq, int uid);
/* Does view message i (0-based) match the set? */
int view_in(const struct imapseq *seq, unsigned long i, int uid);
void view_close(void);
/* The keyword names of flags in the selected folder. */
const char *flag_keyword(unsigned i);
/* Parses a flag list (or single flag) into STORE_* bits and keyword
 * names (pointers into the arguments).  0, or -1 for a bad flag. */
int parse_flags(const struct imap_arg *a, uint32_t *sys, const char **kw, unsigned *nkw, int *recent_ok);

/* ---- fetch.c ---- */
/* Loads message i (0-based, view) in wire form (CRLF); header_only
 * stops after the header.  The buffer is owned by fetch.c, valid until
 * the next call.  0, or -1 (gone or unreadable). */
int message_load(unsigned long i, int header_only, const char **data, size_t *len);
int message_size(unsigned long i, uint64_t *size);
/* INTERNALDATE (the file's mtime), or MESSAGE_DATE_NONE when it is gone. */
#define MESSAGE_DATE_NONE INT64_MIN
int64_t message_date(unsigned long i);

/* ---- misc ---- */
void log_error(const char *op, const char *detail);
#endif
