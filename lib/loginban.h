#ifndef LOGINBAN_H
#define LOGINBAN_H
/*
 * Login bans: failed logins counted per client address across SMTP AUTH
 * (posthorn-smtpd), POP3 and IMAP (posthorn-mailauth); after `failures`
 * of them within `window` seconds the address is banned for `bantime`
 * seconds, and every login from it fails as a wrong password would, even
 * with the right one.  IPv4 addresses count one by one, IPv6 addresses
 * per /64 (one customer's network: a host picks any address in it).
 *
 * The counts live in the bans directory (setting `bandir`), which every
 * service account can write (posthorn-setup: root:posthorn 2770), one
 * small file per address (mode 0660), named from the parsed address
 * ("4-192.0.2.1", "6-2001:db8:1:2::"), so no byte of the client's choice
 * reaches a path.  A file is changed under flock(2) of itself only: no
 * global lock, and services running as different accounts update the
 * same count safely.  The file (at most LOGINBAN_FILE_MAX bytes):
 *
 *     until SECONDS        the ban's end (Unix time); 0 or missing: none
 *     refused COUNT        logins refused during the ban (for the listing)
 *     fail SECONDS...      the failures not yet out of the window, oldest
 *                          first, at most LOGINBAN_FAILURES_MAX
 *
 * A ban starts at exactly `failures` failures in the window; the ring is
 * then emptied, so once the ban ends the address starts from nothing.
 * Logins tried during a ban are not checked and not counted as failures
 * (only as refused): a ban is never made longer by the attempts it
 * refuses.  A successful login does not clear the count: failures only
 * age out of the window, so one account's owner cannot reset the counter
 * between guesses at other accounts' passwords.
 *
 * Nothing here locks everybody out: a file that cannot be parsed is
 * logged and read as empty (and rewritten at the next failure), a ban
 * longer than `bantime` from now is not believed, and a directory that is
 * missing or not writable is logged and counts nothing.  Counts are not
 * fsync'ed: a crash may lose a few.
 */
#include <stddef.h>
#include <time.h>
#include <stralloc.h>

#define LOGINBAN_DIR_DEFAULT "/var/lib/posthorn/bans"
#define LOGINBAN_FAILURES_DEFAULT 10
#define LOGINBAN_FAILURES_MAX 100        /* the ring's size */
#define LOGINBAN_WINDOW_DEFAULT 600
#define LOGINBAN_TIME_DEFAULT 3600
#define LOGINBAN_SECONDS_MAX (30UL * 86400)   /* window and ban time, clamped */
#define LOGINBAN_FILE_MAX 2400           /* fits 100 failures of 20 digits */
#define LOGINBAN_NAME_MAX 48             /* "6-" and an IPv6 address, NUL */
#define LOGINBAN_SHOW_MAX 52             /* a name shown: "2001:db8::/64" */

struct loginban_conf {
	unsigned long failures;   /* loginban-failures: N; 0 turns bans off */
	unsigned long window;     /* loginban-window: T, seconds (1 to LOGINBAN_SECONDS_MAX) */
	unsigned long bantime;    /* loginban-time: seconds (1 to LOGINBAN_SECONDS_MAX) */
	stralloc dir;             /* bandir, NUL-terminated */
};

/* Reads the four settings from the config dir (conf.h; conf_init first);
 * numbers out of range are clamped (failures to LOGINBAN_FAILURES_MAX).
 * 0, or -1 with *bad naming a file that exists but cannot be read (errno
 * set; EINVAL: not a number) or "bandir" on ENOMEM. */
int loginban_conf_read(struct loginban_conf *c, const char **bad);

/* One address's record, parsed. */
struct loginban_rec {
	unsigned long long until;
	unsigned long long refused;
	unsigned nfail;
	unsigned long long fail[LOGINBAN_FAILURES_MAX];
};

/* Parses a file's bytes (at most LOGINBAN_FILE_MAX; more is malformed).
 * 0, or -1: malformed (r is then empty). */
int loginban_parse(const char *buf, size_t len, struct loginban_rec *r);

/* Writes r in the file's format into buf; the length, or 0 if it does not
 * fit (it always fits LOGINBAN_FILE_MAX). */
size_t loginban_format(const struct loginban_rec *r, char *buf, size_t cap);

/* The file name for a client address as peer.h gives it (an IPv4 or IPv6
 * address; a zone "%if" is dropped, an IPv4-mapped IPv6 address counts as
 * IPv4).  0, or -1: not an IP address ("", "local"): such a client is
 * neither counted nor banned. */
int loginban_name(const char *ip, char name[LOGINBAN_NAME_MAX]);

/* For the listing: the address a file name stands for, "192.0.2.1" or
 * "2001:db8:1:2::/64".  0, or -1: not a name loginban_name makes. */
int loginban_show(const char *name, char out[LOGINBAN_SHOW_MAX]);

/* For posthorn-user unban: the file name for "ADDRESS", "IPv4/32" or
 * "IPv6/64" typed by a person.  0, or -1. */
int loginban_name_typed(const char *typed, char name[LOGINBAN_NAME_MAX]);

/* Is ip banned at now?  One open and read under a shared lock; no file,
 * bans off, or any trouble: 0 (trouble logged).  1: banned. */
int loginban_check(const struct loginban_conf *c, const char *ip, time_t now);

enum loginban_result {
	LOGINBAN_NOTHING = -1,    /* not counted: bans off, not an IP address, or trouble (logged) */
	LOGINBAN_COUNTED = 0,     /* one more failure, no ban */
	LOGINBAN_STARTED = 1,     /* this failure was the Nth: the ban starts now (logged, event loginban) */
	LOGINBAN_REFUSED = 2      /* banned already: counted as refused */
};

/* Records a failed login from ip at now, under an exclusive lock of its
 * file (made 0660 if missing). */
enum loginban_result loginban_fail(const struct loginban_conf *c, const char *ip, time_t now);

/* Reads the record of a file name in the directory (for the listing).
 * 0; -1: no such file or it cannot be read (errno); a malformed file reads
 * as empty. */
int loginban_read(const struct loginban_conf *c, const char *name, struct loginban_rec *r);

/* Removes an address's file under its lock: its ban and count are gone.
 * 0, or -1 (errno; ENOENT: there was none). */
int loginban_remove(const struct loginban_conf *c, const char *name);

/* Removes the file of name if it holds neither a ban nor a failure in
 * the window at now (so that the directory does not keep one file per
 * address that ever failed).  1 removed, 0 kept, -1 (errno). */
int loginban_expire(const struct loginban_conf *c, const char *name, time_t now);

/* Failures of r still within the window at now. */
unsigned loginban_recent(const struct loginban_conf *c, const struct loginban_rec *r, time_t now);
#endif
