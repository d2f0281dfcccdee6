#ifndef MAILLOCK_H
#define MAILLOCK_H
/*
 * An exclusive, non-blocking lock on a mailbox for a session that must have
 * it alone (a POP3 session: RFC 1939 section 8 wants one session per
 * maildrop).  flock(2) on a lock file inside the Maildir: the kernel drops
 * the lock when the holder's process ends, however it ends, so a dead
 * session never blocks the next one and there is no stale-lock cleanup.
 * Deliveries never take it (Maildir needs no lock to deliver).
 */

/* Opens (creating, mode 0600) dir/name and takes an exclusive flock without
 * waiting.  Returns the fd (close-on-exec) that holds the lock until closed
 * or the process ends; -1 with errno EWOULDBLOCK if another process holds
 * it, another errno on I/O trouble. */
int maillock_take(const char *dir, const char *name);

/* For locks whose holders keep them briefly (a directory scan and a file
 * write: the IMAP UID list, the subscriptions): takes an exclusive flock
 * on fd, trying every 10 ms for up to seconds, so that a wedged holder
 * cannot hang us.  0, or -1 with errno (EWOULDBLOCK: still held). */
int maillock_wait_fd(int fd, unsigned seconds);

/* Opens (creating, mode 0600, close-on-exec) path and takes its lock with
 * maillock_wait_fd.  The fd that holds it, or -1 with errno. */
int maillock_wait(const char *path, unsigned seconds);
#endif
