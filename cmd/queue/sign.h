#ifndef QUEUE_SIGN_H
#define QUEUE_SIGN_H
/* posthorn-queue's DKIM signing (sign.c, posthorn-queue(8) "DKIM SIGNING"). */
#include <stddef.h>
#include <stralloc.h>

/* Signs the message with every key of its From domain: the message is
 * held[0..nheld) when held is not null, else the first size bytes of the
 * open file fd.  The DKIM-Signature fields are appended to sigs (queue
 * form: LF line ends); note gets what happened, for the status line
 * (" (DKIM ...)").  Never fails the message: a problem only leaves it
 * unsigned and says so in note.  -1 only when out of memory. */
int queue_sign(const char *held, size_t nheld, int fd, unsigned long long size, stralloc *sigs, stralloc *note);
#endif
