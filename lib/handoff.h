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
#endif
