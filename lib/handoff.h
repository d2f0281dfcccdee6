#ifndef HANDOFF_H
#define HANDOFF_H
/*
 * The login half of posthorn-pop3d and posthorn-imapd hands a session over
 * once the client has sent its credentials (see posthorn-mailauth(8)).
 *
 * The process that talks to the network before login runs as an account
 * that cannot read any mailbox.  With the client's name and password it
 * starts posthorn-mailauth (set-user-ID to the mail owner when installed),
 * which checks them and runs "posthorn-SERVICE -L" as the mail owner to
 * serve the rest of the session:
 *
 *     fd 0/1  the client: the connection itself in the clear, or one end of
 *             a socketpair that this process relays through TLS
 *     fd 3    a pipe: "login\0password\0", then the state: lines
 *             "method M", "tls VERSION CIPHER" (or "tls -"), "tag T" (IMAP),
 *             an empty line, and the bytes the client had already
 *             pipelined after its login command
 *     fd 4    a pipe back to us: the session writes "+" once it serves
 *
 * A session that cannot start exits before writing "+" and before saying
 * anything to the client; its exit code says why (enum below), and the
 * login half answers the client and goes on.
 */
#include <stddef.h>
#include "auth.h"
#include "loginstate.h"
#include "stream.h"

enum handoff_result {
	HANDOFF_BAD = 1,      /* wrong name or password */
	HANDOFF_INUSE = 3,    /* the mailbox is locked by another session (POP3) */
	HANDOFF_TEMP = 111    /* anything else: try again later */
};

#define HANDOFF_READY '+'
#define HANDOFF_STATE_FD 3
#define HANDOFF_STATUS_FD 4

/* Starts posthorn-mailauth next to our own executable, with -C conf_dir()
 * and service ("pop3d", "imapd"); method is the login method for the log,
 * tag the IMAP command's tag (null for POP3).  Returns an enum
 * handoff_result when the session did not start; when it did, serves as
 * its relay (TLS) or just waits for it, and exits with its exit code: it
 * never returns. */
int handoff_login(struct stream *io, const char *service, const char *login, const char *password,
                  const char *method, const char *tag);

/* For the session (-L): reads the state pipe (fd 3) to its end and parses
 * it (loginstate.h).  0, or -1 (read error, malformed, too long). */
int handoff_read_state(struct loginstate *st);

/* For the session: tells the login half it serves now (fd 4). */
void handoff_ready(void);

/* The login half, after handoff_login did not start a session: the log
 * line of the failure (event login-fail): reason "temporary", or "auth"
 * and fails, the client's failed logins so far.  A locked mailbox
 * (HANDOFF_INUSE) is no failure of the client's and is not logged. */
void handoff_log_fail(int result, const char *login, const char *method, const char *ip, unsigned fails);

/* What the session (-L) knows of its login. */
struct handoff_session {
	struct loginstate st;              /* the state pipe, parsed (IMAP reads its tag) */
	char user[AUTH_LOGIN_MAX + 1];     /* $POSTHORN_USER, set by posthorn-mailauth */
	const char *maildir;               /* $POSTHORN_MAILDIR, likewise */
	char method[16];                   /* the login method; "-" when not said (cut: for the log) */
	char tls[200];                     /* "VERSION CIPHER", or "-" in the clear (likewise) */
};

/* For the session (-L), first thing: fills h from the environment and the
 * state pipe (handoff_read_state) and gives io what the client had
 * pipelined after its login.  0, or -1: the session cannot start and exits
 * HANDOFF_TEMP, saying nothing to the client (the login half answers).  h
 * is large: give it static storage. */
int handoff_resume(struct handoff_session *h, struct stream *io);

/* For the session, once it can serve: handoff_ready, and the log line of
 * the login (event login, with ip). */
void handoff_serving(const struct handoff_session *h, const char *ip);
#endif
