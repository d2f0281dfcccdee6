#ifndef INJECT_H
#define INJECT_H
/*
 * The injection client: the one way into the queue (posthorn(7),
 * INJECTION).  posthorn-smtpd, posthorn-sendmail, the runner's bounces and
 * posthorn-local's forwards all hand messages over through it.
 *
 * The protocol is qmail-queue's (posthorn-queue(8)): the message on the
 * injector's fd 0, then the envelope on its fd 1 (lib/injenv), and its
 * verdict as the exit code (0 queued, 100 refused for good, anything else
 * a temporary failure) with one reason line on its fd 2 (fd 1 is the
 * envelope), e.g. "2.0.0 queued as ID" or "5.3.4 message too big: ...".
 *
 * The injector: $POSTHORN_QUEUE, else $QMAILQUEUE (qmail's name, so
 * existing filters and their set-ups work), else posthorn-queue beside our
 * own executable (lib/exedir).  A filter named there reads the same
 * protocol and runs posthorn-queue itself.  It takes no options: it gets
 * our config dir (conf_dir()) as $POSTHORN_CONF, whichever way we were
 * given it (-C or the environment), so its queue is our config dir's.
 *
 * The envelope goes only after the last byte of the message: a message
 * given up on (inject_abort) ends with both pipes closed and no envelope,
 * and the injector then queues nothing.
 *
 * Header fields known only once the whole message has gone (posthorn-smtpd's
 * Authentication-Results, which RFC 8601 5 wants at the top) are given with
 * inject_prepend: they travel as the envelope's first item, H (lib/injenv),
 * and posthorn-queue stores them before the message.  The message itself is
 * streamed as it comes and never held or read twice here.
 *
 * Bounds: the reason line is the last non-empty line of its fd 2, cut at
 * INJECT_LINE_MAX bytes (the rest of what it says is read and dropped, so
 * a chatty filter cannot block on a full pipe).  With a timeout, every
 * write must make progress, and the injector must exit after the
 * envelope, within that many seconds, or it is killed with its process
 * group.  Writes to an injector that went away fail (EPIPE) instead of
 * killing us: inject_open ignores SIGPIPE, as every posthorn program does
 * from the start.  Our pipe ends are close-on-exec; after inject_close or
 * inject_abort none is left open and the child is reaped.
 */
#include <stddef.h>
#include <sys/types.h>
#include <stralloc.h>
#include "status.h"

#define INJECT_LINE_MAX 512       /* bytes of the reason line kept */
#define INJECT_BUF 16384          /* message bytes gathered per write */
#define INJECT_ABORT_GRACE 5      /* seconds an abandoned injector may take */

struct inject {
	pid_t pid;                   /* 0: none running */
	int msgfd, envfd, errfd;     /* our ends of its fd 0 (-1 if a file), 1, 2 */
	unsigned timeout;            /* seconds of no progress allowed, 0: none */
	long long deadline;          /* ms, monotonic; 0 when timeout is 0 */
	int broken;                  /* a write failed: it stopped reading, or timed out */
	int timedout;
	int nomem;                   /* the envelope could not be built */
	int sign;                    /* inject_sign: the S item goes */
	char **envp;                 /* its environment, built before fork */
	stralloc path;               /* the program, NUL-terminated */
	stralloc env;                /* the envelope, built by inject_from/_to */
	stralloc head;               /* header text of inject_prepend, newest first */
	stralloc item;               /* its H item, built at inject_close */
	char buf[INJECT_BUF];        /* message bytes waiting for the pipe */
	size_t buflen;
	char line[INJECT_LINE_MAX + 1], cur[INJECT_LINE_MAX + 1];  /* last line, line being read */
	size_t linelen, curlen;
};

struct inject_result {
	int exit;                    /* EXIT_DONE, EXIT_PERM or EXIT_TEMP: the verdict */
	int code;                    /* the SMTP reply code for it: 250, 554, 451 */
	char esc[ESC_MAX + 1];       /* the injector's enhanced code if its class
	                                fits the verdict, else the verdict's
	                                (ST_INJECT_OK/_PERM/_TEMP: 2.0.0, 5.3.0, 4.3.0) */
	char text[INJECT_LINE_MAX + 1];  /* the rest of its line; its whole line when
	                                that had no fitting code (only if it exited);
	                                else the verdict's text ("queued", ...) */
	char line[INJECT_LINE_MAX + 1];  /* its last non-empty line as said, control
	                                bytes as '?'; "" if it said nothing */
	int exitcode;                /* its exit code, -1 if it did not exit */
	int signal;                  /* the signal that ended it, or 0 */
	int timedout;                /* we killed it for taking too long */
	int incomplete;              /* it did not get the whole message and envelope */
};

/* path = $POSTHORN_QUEUE, else $QMAILQUEUE, else "DIR/posthorn-queue" with
 * DIR our executable's directory; NUL-terminated.  1, or 0 (ENOMEM, no
 * /proc).  For callers that check early that there is one (access(2)). */
int inject_path(stralloc *path);

/* Starts the injector; q is zeroed before its first use (static, or
 * {0}), and one still running from before is abandoned (inject_abort).
 * msgfd >= 0: that open file (at its start) is the
 * message, and inject_put must not be called; msgfd < 0: the message is
 * written with inject_put.  timeout in seconds, 0 for none.  0, or -1 with
 * errno (no path, pipe, fork, ENOMEM): nothing was started.  q's buffers
 * are kept for the next message. */
int inject_open(struct inject *q, int msgfd, unsigned timeout);

/* Message bytes (buffered).  0, or -1 once the injector has stopped reading
 * or timed out: the caller may stop writing; inject_close gives the verdict
 * (it may well be a refusal the injector wrote before leaving). */
int inject_put(struct inject *q, const char *buf, size_t len);

/* The envelope, gathered until inject_close: the sender ("" for <>) once,
 * then each recipient.  Out of memory is remembered and ends as a
 * temporary failure at inject_close, with nothing queued. */
void inject_from(struct inject *q, const char *sender);
void inject_to(struct inject *q, const char *rcpt);

/* The account the message is sent for (the A item, lib/injenv), for
 * posthorn-queue's send limits: called, if at all, before inject_from.
 * posthorn-queue believes it only from smtpd's account. */
void inject_account(struct inject *q, const char *account);

/* Header fields to put before the message: len bytes of whole RFC 5322
 * fields, LF line ends, the last one ended too (the rules of the H item,
 * lib/injenv.h; the injector refuses the message for good otherwise).  Any
 * time after inject_open and before inject_close; each call's text goes
 * above the text of earlier calls, as trace fields go (RFC 5321 4.4).
 * len 0 does nothing.  0; or -1 with errno: E2BIG when all of them would be
 * more than QUEUE_HEAD_MAX bytes (the text is not taken; the message goes
 * on without it), ENOMEM (remembered: inject_close fails temporarily). */
int inject_prepend(struct inject *q, const char *text, size_t len);

/* Asks the injector to DKIM-sign the message (the S item, lib/injenv):
 * for mail of our own users only.  Any time after inject_open and before
 * inject_close; more calls are the same as one. */
void inject_sign(struct inject *q);

/* Ends the message, sends the envelope, reads the reason line, reaps the
 * injector and fills *r.  q is then free for inject_open again. */
void inject_close(struct inject *q, struct inject_result *r);

/* Gives the message up: both pipes closed without an envelope, so nothing
 * is queued; the injector is reaped (killed after INJECT_ABORT_GRACE
 * seconds).  Harmless when none runs. */
void inject_abort(struct inject *q);
#endif
