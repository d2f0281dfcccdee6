#ifndef WIRE_H
#define WIRE_H
/*
 * The wire form of a stored message, as POP3 (RFC 1939 section 3) and SMTP
 * DATA send it: every line ends in CRLF (a bare LF becomes CRLF, a CRLF
 * stays), a line that starts with '.' gets one more '.' in front
 * (dot-stuffing), and a last line without its LF gets a CRLF.  The ".CRLF"
 * that ends a multi-line reply is the caller's.
 *
 * The "wire size" is the size of that form without the stuffing: what
 * RFC 1939 calls the exact size of the message, so a client that counts
 * the octets of a RETR after undoing the stuffing gets the number that LIST
 * gave.  Bare CRs inside a line are passed on unchanged.
 *
 * The encoder holds only a few flags of state, so a message of any size
 * streams through a fixed buffer.
 */
#include <stddef.h>

struct wire {
	int bol;                 /* at the start of a line */
	int cr;                  /* the last byte seen was CR */
	size_t linelen;          /* bytes of the current line before its LF */
	int body;                /* past the blank line that ends the header */
	unsigned long left;      /* body lines still to send (when limited) */
	int limited;             /* TOP: stop after `left` body lines */
	int stuff;               /* dot-stuff (0: count or copy only) */
	int done;                /* the TOP limit is reached: skip the rest */
};

/* Whole message: wire_init(w, -1).  TOP n: wire_init(w, n), which sends the
 * header, the blank line and then n body lines. */
void wire_init(struct wire *w, long body_lines);

/* Encodes in[0..len) into out, which must have room for 2 * len bytes;
 * returns the bytes written.  Once w->done is set, input is ignored. */
size_t wire_encode(struct wire *w, const char *in, size_t len, char *out);

/* Ends the message: writes CRLF into out (room for 2) if the last line
 * lacked its LF; returns the bytes written (0 or 2). */
size_t wire_finish(struct wire *w, char *out);

/* The wire size of what the reads of fd give from its current offset to
 * EOF.  0, or -1 with errno. */
int wire_size_fd(int fd, unsigned long long *size);

/* The same for bytes in memory (exposed for tests). */
unsigned long long wire_size_mem(const char *s, size_t len);
#endif
