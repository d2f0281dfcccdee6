#ifndef UNIQ_H
#define UNIQ_H
/*
 * Unique file names that are safe across hosts and processes, in the modern
 * Maildir form (see maildir(5) as documented by Courier and Dovecot):
 *     SECONDS.MUSECSPpidQcounter.HOST
 * HOST is gethostname() with '/' written as \057 and ':' as \072, so the name
 * never holds a path separator or the ":2," info separator.  Used for Maildir
 * deliveries and, later, queue entries.
 */
#include <stralloc.h>

/* Appends a new unique name to out (not NUL-terminated). 0 on ENOMEM. */
int uniq_name(stralloc *out);
#endif
