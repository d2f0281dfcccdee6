#ifndef SCANCONN_H
#define SCANCONN_H
/*
 * The connection to a content scanner (lib/rspamd, lib/clamd): a unix
 * socket (an address starting with '/') or HOST:PORT (an IPv4 or IPv6
 * address, "[::1]:3310" too; no DNS: a scanner that hangs on a lookup
 * would hold every SMTP session).  Every wait ends at one deadline, in
 * CLOCK_MONOTONIC milliseconds (scanconn_deadline), so a scanner that
 * accepts and never answers costs at most the scan-timeout.
 */
#include <stddef.h>
#include <sys/types.h>

#define SCANCONN_ADDR_MAX 255    /* bytes of an address setting */

/* now + seconds, in CLOCK_MONOTONIC milliseconds. */
long long scanconn_deadline(unsigned seconds);

/* A connected non-blocking socket, or -1 with *why set (a constant
 * string: "bad address", "connect failed", "timeout", ...). */
int scanconn_open(const char *addr, long long deadline, const char **why);

/* Writes all of buf.  0, or -1 with *why ("timeout", "write failed"). */
int scanconn_write(int fd, const char *buf, size_t len, long long deadline, const char **why);

/* Reads what is there, waiting until the deadline: bytes read (0 at EOF),
 * or -1 with *why ("timeout", "read failed"). */
ssize_t scanconn_read(int fd, char *buf, size_t max, long long deadline, const char **why);
#endif
