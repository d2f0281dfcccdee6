#ifndef MIME_H
#define MIME_H
/*
 * The MIME structure of a message (RFC 2045, 2046, 2183) for IMAP's
 * BODYSTRUCTURE, section fetches and SEARCH: a tree of parts, each with
 * where its header and body lie in the message, its content type and
 * parameters, and the other fields BODYSTRUCTURE reports.
 *
 * Input: the whole message in memory, normally in wire form (CRLF line
 * ends, what posthorn-imapd sends); bare LF line ends work too.  Offsets
 * and sizes are in the bytes given.  Nothing is copied but the short
 * field values (type, parameters, ...), which live in the struct mime;
 * everything stays valid until mime_free or the next mime_parse.
 *
 * Bounds: at most MIME_PARTS_MAX parts and MIME_DEPTH_MAX levels of
 * nesting (multiparts and message/rfc822); a multipart or message part
 * deeper than that is treated as a leaf of type application/octet-stream.
 * A multipart whose boundary never shows gets one text/plain child
 * holding its whole body; a missing close delimiter ends the last part at
 * the end of its parent.  Malformed input never fails: it gets the
 * defaults of RFC 2045 (text/plain; charset=us-ascii, 7bit).
 *
 * Also here: reading header fields, RFC 5322 address lists for IMAP's
 * ENVELOPE, and the decoders SEARCH needs (quoted-printable, base64,
 * RFC 2047 encoded words, charsets to UTF-8 via iconv).
 */
#include <stddef.h>
#include <stralloc.h>

#define MIME_PARTS_MAX 1000
#define MIME_DEPTH_MAX 20
#define MIME_PARAMS_MAX 32       /* parameters kept per field */
#define MIME_VALUE_MAX 1000      /* bytes kept of one field value */

struct mime_params {
	unsigned n;
	const char *name[MIME_PARAMS_MAX], *value[MIME_PARAMS_MAX];
};

struct mime_part {
	size_t hdr, hdrlen;         /* header incl. its blank line */
	size_t body, bodylen;
	unsigned long lines;        /* lines of the body */
	const char *type, *subtype; /* as written ("text", "plain" by default) */
	struct mime_params params;
	const char *id, *description, *encoding, *md5, *language, *location;  /* null if absent */
	const char *disposition;    /* null if absent */
	struct mime_params dparams;
	int multipart, message;     /* a multipart; a message/rfc822 with a parsed msg */
	struct mime_part *child;    /* multipart: first child */
	struct mime_part *next;     /* next sibling */
	unsigned nchild;
	struct mime_part *msg;      /* message/rfc822: the embedded message */
	int depth;
};

struct mime {
	const char *data;
	size_t len;
	struct mime_part *part;     /* part[0] is the message itself */
	unsigned nparts;
	void *chunks;               /* value storage: blocks that never move */
};

/* Parses data (len bytes).  0, or -1 on ENOMEM. */
int mime_parse(struct mime *m, const char *data, size_t len);
void mime_free(struct mime *m);

/* The end of the header in data: the offset just past the blank line (or
 * len when there is none). */
size_t mime_header_end(const char *data, size_t len);

/* Iterates the fields of a header block: *pos starts at 0; each call sets
 * *field and *flen (the whole field, continuation lines and line end
 * included) and returns 1, or 0 at the end. */
int mime_next_field(const char *hdr, size_t hlen, size_t *pos, const char **field, size_t *flen);

/* The unfolded, trimmed value of the first field called name in the
 * header block into out (NUL-terminated, len without the NUL).  1 found,
 * 0 not. */
int mime_field(const char *hdr, size_t hlen, const char *name, stralloc *out);

/* Address lists (RFC 5322 3.4, with the obsolete forms of 4.4 that mail
 * still carries), cut into the parts of an IMAP ENVELOPE address (RFC 3501
 * 7.4.2): display name, source route, local part and domain, quoting
 * removed.  A list is a run of entries: mailboxes, and for each group a
 * start entry (its name in name), its members, and an end entry.
 *
 * What the grammar leaves open, decided here:
 * - name: the display-name phrase; its words joined by one space, quoted
 *   strings unquoted (quoted-pairs undone) and kept as written inside,
 *   comments dropped, RFC 2047 encoded words left as they are (the client
 *   decodes them).  Without a phrase, an address written without angle
 *   brackets takes the last comment in it: "user@domain (Real Name)" has
 *   the name "Real Name" (the old style of RFC 822).
 * - adl: a source route "<@a.example,@b.example:user@c.example>" as
 *   "@a.example,@b.example" (commas put in where obs-domain-list left
 *   them out); empty when there is none.
 * - mailbox, host: comments and folding white space dropped, the local
 *   part unquoted (RFC 3501: "after removing RFC 2822 quoting"), a domain
 *   literal kept with its brackets.  Either is empty when the address has
 *   none ("undisclosed", "<@domain>", "<>"): the caller decides what to
 *   show (an empty host must not reach ENVELOPE as NIL, which would mean
 *   a group).
 * - a group inside a group (not in RFC 5322) is flattened: its name is
 *   dropped and its members belong to the open group, which the first
 *   ';' ends; a group still open at the end of the list is ended there.
 * Broken input never fails: an unterminated quoted string, comment,
 * domain literal or angle-addr runs to the end of its element (a comment
 * or quoted string to the end of the list); empty elements are skipped.
 * NUL, CR and LF never reach an entry.  Values longer than their field are
 * cut (at a UTF-8 character boundary).  Work is linear in the input;
 * nothing is allocated. */
#define MIME_ADDR_NAME_MAX 512    /* bytes kept of a display or group name */
#define MIME_ADDR_PART_MAX 255    /* bytes kept of a route, local part, domain */

enum mime_addr_kind { MIME_ADDR_MAILBOX, MIME_ADDR_GROUP, MIME_ADDR_GROUP_END };

struct mime_addr {
	enum mime_addr_kind kind;
	char name[MIME_ADDR_NAME_MAX + 1];   /* MAILBOX: display name; GROUP: group name */
	char adl[MIME_ADDR_PART_MAX + 1], mailbox[MIME_ADDR_PART_MAX + 1], host[MIME_ADDR_PART_MAX + 1];
};

/* Walks an address list entry by entry; s must stay valid meanwhile. */
struct mime_addr_iter {
	const char *s;
	size_t len, pos;
	int in_group, end_due, eof;
};
void mime_addr_begin(struct mime_addr_iter *it, const char *s, size_t len);
/* The next entry into *a: 1, or 0 at the end of the list. */
int mime_addr_next(struct mime_addr_iter *it, struct mime_addr *a);

/* The first entries of an address list into out: returns how many (at
 * most max).  When max cuts the list short inside a group, the last
 * entry is still that group's end, so starts and ends always pair. */
unsigned mime_addresses(const char *s, size_t len, struct mime_addr *out, unsigned max);

/* Decoders for SEARCH.  Each appends to out. */
int mime_decode_qp(const char *s, size_t len, stralloc *out);
int mime_decode_b64(const char *s, size_t len, stralloc *out);
/* Converts s from charset to UTF-8 (unknown charsets and bad bytes pass
 * through as they are). */
int mime_to_utf8(const char *charset, const char *s, size_t len, stralloc *out);
/* A header value with its RFC 2047 encoded words decoded to UTF-8. */
int mime_decode_header(const char *s, size_t len, stralloc *out);
/* The text of a part's body: transfer encoding undone, converted to
 * UTF-8 by its charset. */
int mime_part_text(const struct mime *m, const struct mime_part *p, stralloc *out);
/* A parameter's value by name (case-insensitive), or null. */
const char *mime_param(const struct mime_params *p, const char *name);
#endif
