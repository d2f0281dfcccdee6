#ifndef IMAPD_MAILBOX_H
#define IMAPD_MAILBOX_H
/* Folder names of posthorn-imapd (list.c): IMAP names (modified UTF-7,
 * "." as the hierarchy delimiter) and the Maildir++ folder dirs. */
#include <stddef.h>

/* The folder dir of an IMAP name, relative to the Maildir ("." for INBOX,
 * ".Sent" for Sent) into out.  0, or -1 for a name we refuse. */
int mailbox_dir(const char *name, char *out, size_t cap);
/* 1 if the folder exists (has cur/). */
int mailbox_exists(const char *dir);
/* The canonical IMAP name ("INBOX" in any case becomes INBOX); "" (no
 * valid name) when it does not fit in cap. */
void mailbox_canon(const char *name, char *out, size_t cap);

#endif
