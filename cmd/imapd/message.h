#ifndef IMAPD_MESSAGE_H
#define IMAPD_MESSAGE_H
/* Reading a message of the view (fetch.c), for FETCH and SEARCH. */
#include <stddef.h>
#include <stdint.h>

/* Loads message i (0-based, view) in wire form (CRLF); header_only
 * stops after the header.  The buffer is owned by fetch.c, valid until
 * the next call.  0, or -1 (gone or unreadable). */
int message_load(unsigned long i, int header_only, const char **data, size_t *len);
int message_size(unsigned long i, uint64_t *size);
/* INTERNALDATE (the file's mtime), or MESSAGE_DATE_NONE when it is gone. */
#define MESSAGE_DATE_NONE INT64_MIN
int64_t message_date(unsigned long i);
/* The bytes of a section of a message in wire form (data, len), as
 * BODY[section] has them (RFC 3501 6.4.5: "", "HEADER", "1.2.MIME", ...;
 * section is NUL-terminated, without brackets), appended to out: for
 * CATENATE's URLs.  0, or -1 with errno: EINVAL for a bad section or a
 * part that is not there, ENOMEM. */
#include <stralloc.h>
int message_section(const char *data, size_t len, const char *section, stralloc *out);

#endif
