#ifndef IMAPURL_H
#define IMAPURL_H
/*
 * IMAP URLs (RFC 5092) as CATENATE (RFC 4469 section 5) uses them: a
 * message, or a part of one, in a mailbox of the same server.
 *
 *   imap://[user[;AUTH=...]@]host[:port]/MAILBOX[;UIDVALIDITY=n]/;UID=n
 *           [/;SECTION=s][/;PARTIAL=o[.l]]
 *   /MAILBOX[;UIDVALIDITY=n]/;UID=n[...]   (an absolute path: this server)
 *   ;UID=n[...]                            (relative: the selected mailbox)
 *
 * Keywords are case-insensitive; numbers are RFC 3501 number/nz-number,
 * read with their 32-bit bound.  The mailbox and section are
 * percent-decoded (the mailbox then is UTF-8, RFC 5092 section 5);
 * "%00", a bad escape and control bytes are refused.  Not accepted:
 * ;URLAUTH= (RFC 4467), a query ("?"), anything after the partial, an
 * empty mailbox or section, more than IMAPURL_MAX bytes in all.
 *
 * Nothing is allocated; everything is copied into the struct.
 */
#include <stddef.h>
#include <stdint.h>

#define IMAPURL_MAX 2048           /* bytes of a URL */
#define IMAPURL_HOST_MAX 255
#define IMAPURL_USER_MAX 255
#define IMAPURL_MAILBOX_MAX 1024   /* bytes of the decoded mailbox name */
#define IMAPURL_SECTION_MAX 255

struct imapurl {
	int server;                          /* imap://... given */
	char user[IMAPURL_USER_MAX + 1];     /* "" when none */
	char host[IMAPURL_HOST_MAX + 1];
	unsigned port;                       /* 0 when none */
	int mailbox_given;                   /* 0: the selected mailbox */
	char mailbox[IMAPURL_MAILBOX_MAX + 1];
	uint32_t uidvalidity;                /* 0 when none */
	uint32_t uid;
	char section[IMAPURL_SECTION_MAX + 1];   /* "" when none */
	int partial;
	uint32_t offset, length;             /* length 0: to the end */
};

/* Parses s (len bytes).  0, or -1 (not an IMAP URL of a message we can
 * resolve). */
int imapurl_parse(const char *s, size_t len, struct imapurl *u);
#endif
