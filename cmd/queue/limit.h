#ifndef QUEUE_LIMIT_H
#define QUEUE_LIMIT_H
/* posthorn-queue's send limits (limit.c; posthorn-queue(8), SEND LIMITS). */
#include <stralloc.h>
#include "status.h"

/* Counts one message of nrcpt recipients for the account it is sent for:
 * the A item (account, "" without one) when the caller is smtpd's account,
 * else the calling unix user; some mail is not counted at all (limit.c
 * says which).  Returns ST_NONE when the message
 * may go, else the reason to refuse it with, its variable parts in a and
 * b.  Reads settings from the config dir; call after conf_init. */
enum status_id limit_charge(const char *qdir, const char *account, unsigned long nrcpt,
                            stralloc *a, stralloc *b);
#endif
