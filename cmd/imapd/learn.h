#ifndef IMAPD_LEARN_H
#define IMAPD_LEARN_H
/*
 * What the user teaches the spam classifier by moving mail (learn.c): a
 * message moved or copied into the junk folder, or given the keyword
 * $Junk, is spam; one moved or copied out of it (not into Trash), or given
 * $NotJunk, is ham.  Each lesson is a learning job: a hard link of the
 * message file in MAILDIR/learn/new/, named SEC.PID_N.spam or .ham, which
 * posthorn-learn -j MAILDIR reads and removes (posthorn-imapd(8),
 * LEARNING).  The command never waits for the classifier: after its
 * tagged reply is out, learn_command_done starts posthorn-learn detached.
 * The state is this module's own (one session per process).
 */
#include <stdint.h>
#include "imapstore.h"

#define LEARN_JOBS_MAX 10000     /* jobs one command writes; the rest are logged and dropped */

enum learn_kind { LEARN_NONE, LEARN_SPAM, LEARN_HAM };

/* Reads spam-learn, spam-classifier, rspamd-controller and
 * local-junk-folder (once, at start-up).  0, or -1 with *bad naming the
 * file (errno set; 0 for a bad value). */
int learn_init(const char **bad);

/* The lesson of a COPY or MOVE from folder dir src to folder dir dst
 * (".", ".Junk": mailbox_dir), or of an APPEND to dst (src null). */
enum learn_kind learn_for_copy(const char *src, const char *dst);

/* The lesson of a flag change of a message of st: a junk keyword
 * ($Junk, Junk) or a not-junk one ($NotJunk, NonJunk) newly set. */
enum learn_kind learn_for_flags(const struct store *st, uint32_t before, uint32_t after);

/* Writes a job for the message file at path (relative to the Maildir, our
 * working directory).  1 when written, 0 when not (logged). */
int learn_job(const char *path, enum learn_kind kind);

/* Removes the job learn_job just wrote (the command then failed to move
 * or copy the message). */
void learn_cancel(void);

/* After each command, once its tagged reply is queued: when the command
 * wrote jobs, flushes the output and starts posthorn-learn detached. */
void learn_command_done(void);
#endif
