#ifndef IMAPD_CMDLINE_H
#define IMAPD_CMDLINE_H
/*
 * posthorn-imapd: reading the first line of a command so that its tag
 * survives a line over IMAP_LINE_MAX.  stream_getline keeps nothing of
 * such a line, so the server could only answer "* BAD"; RFC 3501 7.1.5
 * wants the BAD tagged when the tag can be read, and a client waits for
 * that tag.  Its own header: session.c is its one caller.
 */
#include <stralloc.h>
#include "imapparse.h"
#include "stream.h"

/* Like stream_getline(io, line, IMAP_LINE_MAX) (line holds the whole line,
 * line end included, NUL-terminated; a stream_status comes back), and
 * besides, on STREAM_TOOLONG, tag holds the line's tag when it had a
 * valid one (imapparse_tag), else "".  tag is untouched on other returns.
 * The tag is read a byte at a time from the stream's buffer, then the
 * rest of the line as usual. */
int cmdline_first(struct stream *io, stralloc *line, char tag[IMAP_TAG_MAX + 1]);
#endif
