#ifndef IMAPD_STORAGE_H
#define IMAPD_STORAGE_H
/* Bytes of messages and the user's quota (quota.c): message sizes for
 * STATUS SIZE and DELETED-STORAGE (RFC 8438, RFC 9208 4.1) and for the
 * quota; the Maildir++ quota (quota.h in lib/) as APPEND and COPY see it. */
#include "imapstore.h"

/* Bytes of message i of st: the ",S=" of its name when it has one (as
 * Maildir++ writers put it), else its file's size.  0 when it is gone. */
unsigned long long msg_bytes(struct store *st, unsigned long i);

/* The user's quota in bytes ($POSTHORN_QUOTA, from users.cdb by
 * posthorn-mailauth); 0: none. */
unsigned long long quota_limit(void);

/* Before adding size bytes (APPEND, COPY): 1 when they would go over the
 * quota, with the tagged NO [OVERQUOTA] set; else 0.  A quota that cannot
 * be read refuses nothing (posthorn-local enforces it at delivery). */
int quota_refuses(unsigned long long size);

/* After a message of size bytes was added: one line in maildirsize. */
void quota_note(unsigned long long size);
#endif
