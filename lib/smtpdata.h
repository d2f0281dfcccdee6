#ifndef SMTPDATA_H
#define SMTPDATA_H
/*
 * The message text of an SMTP transaction as it arrives after DATA (RFC 5321
 * 4.1.1.4, 4.5.2) or in BDAT chunks (RFC 3030), decoded into the form the
 * queue stores: lines ending in a bare LF.  A state machine over bytes, so
 * the input may come in pieces of any size, one byte at a time included,
 * and the result is the same.
 *
 * The end of DATA is CR LF "." CR LF and nothing else: the CR LF before the
 * dot must be a real one (the CR LF that ended the DATA command counts, so
 * an empty message is just ".\r\n").  "\n.\n", "\n.\r\n", "\r.\r",
 * "\r\n.\r", "\r\n.\n", "\n.\r" and every other look-alike are message text.
 * That alone is not enough against SMTP smuggling (a later hop might read
 * such a look-alike as the end), so the decoder also reports what it saw,
 * and the caller refuses a message that holds any of it:
 *
 *   SMTPDATA_BARELF    an LF without a CR before it
 *   SMTPDATA_BARECR    a CR without an LF after it
 *   SMTPDATA_NUL       a NUL byte
 *   SMTPDATA_LONGLINE  a line longer than SMTPDATA_LINE_MAX octets (without
 *                      its CR LF; RFC 5321 4.5.3.1.6, RFC 5322 2.1.1)
 *
 * Output: CR LF becomes LF; in DATA mode a leading dot is removed from every
 * line (dot-unstuffing, 4.5.2); a bare LF is kept as LF, a bare CR dropped.
 * The output of one call is never longer than its input.
 *
 * While decoding, the header section (up to the first empty line) is
 * scanned for "Received:" fields, for the caller's loop check.
 */
#include <stddef.h>

#define SMTPDATA_LINE_MAX 998

enum smtpdata_mode {
	SMTPDATA_DOT = 0,    /* after DATA: dot-stuffed, ends at CRLF.CRLF */
	SMTPDATA_CHUNK       /* BDAT chunks: taken as they are, no end marker */
};

enum {
	SMTPDATA_BARELF = 1,
	SMTPDATA_BARECR = 2,
	SMTPDATA_NUL = 4,
	SMTPDATA_LONGLINE = 8
};

struct smtpdata {
	enum smtpdata_mode mode;
	int state;                   /* private */
	unsigned flags;              /* SMTPDATA_* seen so far */
	unsigned long linelen;       /* private: octets of the current line */
	unsigned long long size;     /* octets of the message with CRLF line
	                                ends, dot-unstuffed: what SIZE limits */
	unsigned long received;      /* Received: fields in the header */
	int in_header;               /* private */
	unsigned match;              /* private: bytes of "received:" matched */
	int done;                    /* DATA mode: the end line was read */
};

void smtpdata_init(struct smtpdata *d, enum smtpdata_mode mode);

/* Decodes in[0..len) into out (room for len bytes), *outlen bytes written.
 * Returns how many input bytes were consumed: all of them, except in DATA
 * mode when the end line ".\r\n" was reached; then d->done is set and the
 * bytes after it (pipelined commands) are left for the caller.  After done,
 * calls consume nothing. */
size_t smtpdata_feed(struct smtpdata *d, const char *in, size_t len, char *out, size_t *outlen);

/* At the end of a BDAT LAST chunk: a CR that was waiting for its LF is a
 * bare CR.  (DATA mode never ends on one.) */
void smtpdata_finish(struct smtpdata *d);
#endif
