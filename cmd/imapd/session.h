#ifndef IMAPD_SESSION_H
#define IMAPD_SESSION_H
/*
 * posthorn-imapd's modules (see posthorn-imapd(8)):
 *   main.c      options, environment, config; then session_run
 *   session.c   reading commands (lines, literals, bounds), the dispatch
 *               table, TLS, the end of a session
 *   reply.c     every fixed response text by name; output helpers
 *   auth.c      CAPABILITY, NOOP, LOGOUT, STARTTLS, LOGIN, AUTHENTICATE,
 *               ID, ENABLE, NAMESPACE; the privilege drop
 *   list.c      LIST (with LIST-EXTENDED, LIST-STATUS, SPECIAL-USE), LSUB,
 *               SUBSCRIBE, UNSUBSCRIBE, CREATE (with USE), DELETE, RENAME,
 *               STATUS; folder names
 *   quota.c     GETQUOTAROOT, GETQUOTA, SETQUOTA; the quota checks of
 *               APPEND and COPY; message sizes (storage.h)
 *   select.c    SELECT, EXAMINE, CLOSE, UNSELECT, CHECK; the view of the
 *               selected folder and its untagged updates
 *   fetch.c     FETCH and UID FETCH, with BINARY (RFC 3516)
 *   store.c     STORE, EXPUNGE, UID EXPUNGE, COPY, MOVE
 *   append.c    APPEND, with MULTIAPPEND (RFC 3502), literal8 messages
 *               (RFC 3516) and CATENATE (RFC 4469)
 *   search.c    SEARCH and UID SEARCH, ESEARCH's RETURN options and the
 *               saved result "$" of SEARCHRES (search.h)
 *   sort.c      SORT and UID SORT (with ESORT's RETURN)
 *   thread.c    THREAD and UID THREAD (ORDEREDSUBJECT, REFERENCES)
 *   sortkeys.c  the keys SORT and THREAD compare, per message (sortkeys.h)
 *   condstore.c CONDSTORE and QRESYNC (RFC 7162) pieces shared by the
 *               commands: mod-sequence syntax, FETCH modifiers, VANISHED
 *   idle.c      IDLE (inotify on new/ and cur/)
 *   learn.c     learning jobs of MOVE, COPY, STORE and APPEND for the
 *               spam classifier (learn.h)
 * One session per process: its state is one struct for the whole process
 * (session.h).  Headers: session.h (the state, reading, the end),
 * reply.h (responses and output), commands.h (the handlers the dispatch
 * table names), view.h (the selected folder as the client knows it),
 * mailbox.h (folder names), message.h (reading a message of the view),
 * storage.h (message sizes and the quota).
 * condstore.h (RFC 7162).
 */
#include <stddef.h>
#include <stdint.h>
#include <stralloc.h>
#include "auth.h"
#include "imapparse.h"
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

/* Extensions a client turned on with ENABLE (RFC 5161), bits of S.enabled;
 * enable_names in auth.c lists the names.  An extension that needs no
 * enabling is not here. */
enum imap_enabled {
	EN_CONDSTORE = 1, EN_QRESYNC = 2, EN_UTF8 = 4, EN_REV2 = 8
};

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
	unsigned enabled;            /* EN_* bits: ENABLE'd extensions (RFC 5161) */
	unsigned long fetched, stored, expunged, appended;   /* for the logout log line */
};

extern struct session S;

void session_run(void);               /* the greeting, then session_loop */
_Noreturn void session_loop(void);
_Noreturn void session_resume(void);   /* -L: the session after the hand-over (auth.c) */
int session_tls(void);
_Noreturn void session_end(const char *reason, int code);
/* Reads one more line of the client's (AUTHENTICATE continuations);
 * into S.buf without its line end.  0, or -1 (the session ends). */
int session_readline(size_t max);

/* One line to the log: what failed (op, detail) and errno's text. */
void log_error(const char *op, const char *detail);
#endif
