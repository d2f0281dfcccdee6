#ifndef IMAPPARSE_H
#define IMAPPARSE_H
/*
 * IMAP command syntax (RFC 3501 section 9, RFC 7888 literals): a command,
 * assembled by the server from its lines and literals, split into a tag, an
 * upper-cased command name and a tree of arguments.  Every input bound is a
 * named constant here; the server enforces the line and literal bounds
 * while it reads (imapparse_literal tells it a literal is announced), and
 * the parser enforces the rest (argument count, nesting depth).
 *
 * The command buffer is the bytes exactly as the client sent them: lines
 * ending in CRLF (a bare LF is accepted), each literal announcement "{N}",
 * "{N+}" or "{N-}"... followed by its line end and then N bytes of data.
 *
 * Arguments are atoms, quoted strings, literals and parenthesised lists.
 * A literal8, "~{N}" or "~{N+}" (RFC 3516 4.4), is a literal with
 * literal8 set; it is accepted in APPEND only (its message and CATENATE's
 * TEXT parts), the one place the grammar has it, and BAD elsewhere.
 * An atom here is the token of RFC 3501's atom, astring, list-mailbox,
 * sequence-set, flag and fetch-att: a run of bytes other than space,
 * controls, "(", ")", "{" and '"'; "[", "]", "%", "*" and "\" are bytes
 * of it like any other (so "SELECT a[b" names the mailbox "a[b").  One
 * exception, because the grammar has it: in FETCH and UID FETCH, a
 * fetch-att that takes a section (BODY, BODY.PEEK, BINARY, BINARY.PEEK,
 * BINARY.SIZE) keeps its bracketed section whole, spaces and parentheses
 * included ("BODY.PEEK[HEADER.FIELDS (FROM TO)]<0.100>" is one atom); its
 * meaning is the command's business.  "NIL" is an atom like any other.
 *
 * Numbers (RFC 3501 section 9 "number", "nz-number"; RFC 7888 literal
 * sizes, "number64") are read with imap_number, imap_nz_number and the
 * literal size reader, which refuse a value over the bound before any
 * arithmetic can wrap, however many digits come.
 *
 * Memory: every string of a parsed command is a NUL-terminated copy held
 * by the struct imap_cmd (one buffer, no allocation per argument), valid
 * until the next imapparse_command on it or imapparse_free.  Literal
 * strings may hold NUL bytes: use len.
 */
#include <stddef.h>
#include <stdint.h>
#include <stralloc.h>

#define IMAP_LINE_MAX 65536            /* bytes of one line of a command, CRLF included */
#define IMAP_CMD_MAX (1UL << 20)        /* bytes of a command, literals of other commands included */
#define IMAP_LITERAL_MAX 65536UL       /* one literal, except APPEND's message */
#define IMAP_NONSYNC_MAX 4096UL         /* RFC 7888 LITERAL-: a {N+} literal */
#define IMAP_ARGS_MAX 8192             /* arguments and list elements of a command */
#define IMAP_DEPTH_MAX 32              /* nesting of parenthesised lists */
#define IMAP_TAG_MAX 64                /* bytes of a tag */
#define IMAP_NAME_MAX 32               /* bytes of a command name */
#define IMAP_NUMBER64_MAX 9223372036854775807ULL   /* RFC 7888 number64: the largest literal size */

enum imap_arg_type { IMAP_ATOM = 1, IMAP_QUOTED, IMAP_LITERAL, IMAP_LIST };

struct imap_arg {
	enum imap_arg_type type;
	const char *s;             /* strings: NUL-terminated copy; lists: "" */
	size_t len;                /* strings: bytes of s; lists: number of elements */
	struct imap_arg *list;     /* lists: first element, or null */
	struct imap_arg *next;     /* the next argument at the same level, or null */
	size_t off;                /* internal */
	int literal8;              /* a literal8 "~{N}" (RFC 3516 4.4): may hold NUL */
};

struct imap_cmd {
	char tag[IMAP_TAG_MAX + 1];
	char name[IMAP_NAME_MAX + 1];   /* upper-cased */
	struct imap_arg *args;          /* first argument, or null */
	unsigned nargs;                 /* top-level arguments */
	const char *error;              /* why IMAPPARSE_BAD: static English text */
	/* storage, owned */
	struct imap_arg *pool;
	unsigned npool;
	stralloc text;
};

enum imapparse_result {
	IMAPPARSE_OK = 0,
	IMAPPARSE_EMPTY,    /* a blank line: ignore it */
	IMAPPARSE_NOTAG,    /* no valid tag: answer "* BAD" */
	IMAPPARSE_BAD,      /* tag (and maybe name) known: answer "TAG BAD error" */
	IMAPPARSE_NOMEM
};

/* Parses one whole command (buf, len bytes).  Returns an imapparse_result;
 * tag and name are filled as far as they could be read. */
int imapparse_command(struct imap_cmd *c, const char *buf, size_t len);

void imapparse_free(struct imap_cmd *c);

/* Does the line (len bytes, its line end included) end with a literal
 * announcement, "{...}" outside a quoted string?  Since "{" is special
 * everywhere else (RFC 3501 atom-specials), such a line can be nothing
 * but a literal announcement.  Returns
 *    1  a literal of *n bytes (RFC 7888: number64, leading zeros allowed),
 *       *nonsync set for "{N+}" (the client sends the bytes without
 *       waiting for our "+");
 *    0  no announcement;
 *   -1  an announcement whose size cannot be read: not digits, or over
 *       IMAP_NUMBER64_MAX ("{18446744073709551617+}").  *nonsync tells
 *       whether it ended in "+".  The caller cannot know where the
 *       command ends, so it must not read on as if it did (posthorn-imapd
 *       hangs up).
 * A line is scanned from a point outside any quoted string (the start of
 * a command, or just after a literal). */
int imapparse_literal(const char *line, size_t len, unsigned long long *n, int *nonsync);

/* The tag and upper-cased command name at the start of a command's first
 * line, for decisions made before the command is whole (the literal bound
 * of APPEND).  0, or -1 when they cannot be read. */
int imapparse_peek(const char *line, size_t len, char tag[IMAP_TAG_MAX + 1], char name[IMAP_NAME_MAX + 1]);

/* The tag at the start of a command line: a word of tag characters
 * (RFC 3501 "tag") of at most IMAP_TAG_MAX bytes, followed by a space.
 * line may be just the start of a line (len bytes); what follows the
 * space is not looked at, so a server can still answer a line it could
 * not keep whole with a tagged BAD (RFC 3501 7.1.5).  0 with tag filled,
 * or -1 (tag empty). */
int imapparse_tag(const char *line, size_t len, char tag[IMAP_TAG_MAX + 1]);

/* Small predicates over arguments. */
int imap_arg_string(const struct imap_arg *a);      /* atom, quoted or literal (astring) */
int imap_arg_atom_is(const struct imap_arg *a, const char *word);   /* atom, case-insensitive */
int imap_arg_nil(const struct imap_arg *a);         /* the atom NIL */

/* RFC 3501 ATOM-CHAR: a 7-bit CHAR other than atom-specials ("(" ")"
 * "{" SP CTL "%" "*" '"' "\" "]"). */
int imap_atom_char(unsigned char c);
/* ASTRING-CHAR: ATOM-CHAR or "]".  A tag is these but "+". */
int imap_astring_char(unsigned char c);

/* RFC 3501 "number": s holds len bytes, all digits (leading zeros
 * allowed), with a value of at most 4294967295.  0 with *v set, or -1
 * (empty, a byte that is not a digit, or too big: refused before it can
 * wrap). */
int imap_number(const char *s, size_t len, uint32_t *v);
/* "nz-number": as imap_number, but 1 to 4294967295 and no leading zero. */
int imap_nz_number(const char *s, size_t len, uint32_t *v);
#endif
