#ifndef EXITCODE_H
#define EXITCODE_H
/*
 * The one exit-code vocabulary of posthorn (see posthorn(7)).  Every program
 * that delivers or queues ends with one of these, after writing a one-line
 * reason to stdout for its caller (runq puts it into a bounce or a log line,
 * smtpd into its reply).
 */
enum {
	EXIT_DONE = 0,    /* delivered / queued / done */
	EXIT_USAGE = 64,  /* bad command line (tools only, never on the mail path) */
	EXIT_STOP = 99,   /* a posthorn-rules program: done, and no further
	                     instructions for this user (qmail-local's 99) */
	EXIT_PERM = 100,  /* permanent failure: bounce, do not retry */
	EXIT_TEMP = 111   /* temporary failure: keep it and retry later */
};
#endif
