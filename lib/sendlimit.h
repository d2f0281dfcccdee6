#ifndef SENDLIMIT_H
#define SENDLIMIT_H
/*
 * Send limits per account (posthorn-queue(8), "SEND LIMITS"): how many
 * messages an account sent in the last hour, how many recipients in the
 * last day, how many times it tried in the last hour, and whether a burst
 * locked it.  One small file per account under QUEUEDIR/limits/, read and
 * written in place under flock(2) of that file alone, so accounts never
 * wait for each other and no lock is global.
 *
 * Counts live in time buckets, each stamped with its own minute or hour
 * number: 60 one-minute buckets (messages and tries) and 24 one-hour
 * buckets (recipients).  A bucket counts while its stamp is within the
 * window; one reused for a new minute or hour starts again from zero.  A
 * stamp ahead of the clock (the clock went back) still counts, so setting
 * the clock back does not reset a limit; one more than a window ahead is
 * nonsense and ignored.
 *
 * The file is SENDLIMIT_FILE_SIZE bytes: a magic, the numbers as 32- and
 * 64-bit little-endian words, and an FNV-1a 64 checksum of all bytes before
 * it.  It is rewritten whole with one pwrite; a torn or damaged file fails
 * the checksum, and the reader resets it (the caller logs that) instead of
 * blocking mail.
 */
#include <stddef.h>
#include <stdint.h>
#include <stralloc.h>

#define SENDLIMIT_MINUTES 60
#define SENDLIMIT_HOURS 24
#define SENDLIMIT_FILE_SIZE (8 + SENDLIMIT_MINUTES * 12 + SENDLIMIT_HOURS * 8 + 4 + 8 + 4 + 8)
#define SENDLIMIT_ACCOUNT_MAX 255     /* bytes of an account name */
#define SENDLIMIT_NAME_MAX 200        /* bytes of its file name */

/* Defaults: no ordinary person sends this much (posthorn-queue(8)). */
#define SENDLIMIT_HOUR_DEFAULT 200UL
#define SENDLIMIT_DAY_DEFAULT 2000UL

struct sendlimit {
	struct { uint32_t stamp, msgs, tries; } min[SENDLIMIT_MINUTES];   /* stamp: time / 60 */
	struct { uint32_t stamp, rcpts; } hour[SENDLIMIT_HOURS];          /* stamp: time / 3600 */
	uint32_t locked;            /* 1: sending locked by a burst */
	int64_t locked_at;          /* when (time(2)) */
	uint32_t lock_tries;        /* tries in the hour that locked it */
};

/* Limits; 0 means none.  burst: this many tries (refused ones too) within
 * an hour lock the account. */
struct sendlimit_conf {
	unsigned long hour, day, burst;
};

enum sendlimit_verdict {
	SENDLIMIT_OK = 0,   /* counted: the message may go */
	SENDLIMIT_HOUR,     /* refused: messages in the last hour at the limit */
	SENDLIMIT_DAY,      /* refused: recipients in the last day would pass it */
	SENDLIMIT_LOCKED,   /* refused: locked before */
	SENDLIMIT_LOCK      /* refused: this try locked it */
};

/* An empty state (nothing sent, not locked). */
void sendlimit_reset(struct sendlimit *s);

/* Reads a file's bytes.  0, or -1 when it is not a whole, undamaged state
 * (wrong size, magic or checksum): *s is then reset.  An empty file (a new
 * one) is a fresh state, 0. */
int sendlimit_parse(struct sendlimit *s, const unsigned char *buf, size_t len);

/* The file's bytes for s, SENDLIMIT_FILE_SIZE of them. */
void sendlimit_format(const struct sendlimit *s, unsigned char out[SENDLIMIT_FILE_SIZE]);

/* Counts in the window ending at now (time(2)). */
unsigned long sendlimit_msgs_hour(const struct sendlimit *s, long long now);
unsigned long sendlimit_tries_hour(const struct sendlimit *s, long long now);
unsigned long sendlimit_rcpts_day(const struct sendlimit *s, long long now);

/* One message of nrcpt recipients wants to go at now: a try is counted;
 * then the lock, the burst, the hour's and the day's limit are checked in
 * that order, and only a message that passes all is counted as sent. */
enum sendlimit_verdict sendlimit_charge(struct sendlimit *s, const struct sendlimit_conf *c, long long now,
                                        unsigned long nrcpt);

/* Lifts the lock and forgets every count (posthorn-user unlock). */
#define sendlimit_unlock sendlimit_reset

/* The file name of an account, under QUEUEDIR/limits/: bytes other than
 * [a-z0-9.@_-] as %XX (so no '/', no leading '.', and distinct names stay
 * distinct); a name longer than SENDLIMIT_NAME_MAX is cut and ends in "~"
 * and 16 hex digits of a hash of the whole account.  0 on ENOMEM. */
int sendlimit_filename(stralloc *out, const char *account);

/* The state of one account's file at path, under its flock: opened
 * (created if create and missing), locked, read.  *fd stays open and
 * locked for sendlimit_store; close it to unlock.  Returns 0, 1 when the
 * file was damaged and has been reset (the caller logs it), or -1 with
 * errno (ENOENT: missing and not create). */
int sendlimit_load(const char *path, int create, int *fd, struct sendlimit *s);

/* Writes s back in place (one pwrite at offset 0).  0 or -1 with errno. */
int sendlimit_store(int fd, const struct sendlimit *s);
#endif
