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
 * An atom may hold a bracketed part with spaces and parentheses inside
 * ("BODY.PEEK[HEADER.FIELDS (FROM TO)]<0.100>" is one atom), which is how
 * FETCH items and response-code-like atoms read; its meaning is the
 * command's business.  "NIL" is an atom like any other.
 *
 * Memory: every string of a parsed command is a NUL-terminated copy held
 * by the struct imap_cmd (one buffer, no allocation per argument), valid
 * until the next imapparse_command on it or imapparse_free.  Literal
 * strings may hold NUL bytes: use len.
 */
#include <stddef.h>
#include <stralloc.h>

#define IMAP_LINE_MAX 65536            /* bytes of one line of a command, CRLF included */
#define IMAP_CMD_MAX (1UL << 20)        /* bytes of a command, literals of other commands included */
#define IMAP_LITERAL_MAX 65536UL       /* one literal, except APPEND's message */
#define IMAP_NONSYNC_MAX 4096UL         /* RFC 7888 LITERAL-: a {N+} literal */
#define IMAP_ARGS_MAX 8192             /* arguments and list elements of a command */
#define IMAP_DEPTH_MAX 32              /* nesting of parenthesised lists */
#define IMAP_TAG_MAX 64                /* bytes of a tag */
#define IMAP_NAME_MAX 32               /* bytes of a command name */

enum imap_arg_type { IMAP_ATOM = 1, IMAP_QUOTED, IMAP_LITERAL, IMAP_LIST };

struct imap_arg {
	enum imap_arg_type type;
	const char *s;             /* strings: NUL-terminated copy; lists: "" */
	size_t len;                /* strings: bytes of s; lists: number of elements */
	struct imap_arg *list;     /* lists: first element, or null */
	struct imap_arg *next;     /* the next argument at the same level, or null */
	size_t off;                /* internal */
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
 * announcement outside a quoted string?  Returns 1 and sets *n and
 * *nonsync ({N+} or {N-}... RFC 7888's "+"), 0 if not, -1 if the number is
 * malformed or over 2^63.  A line is scanned from a point outside any
 * quoted string (the start of a command, or just after a literal). */
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

/* Is c a character that may appear in an atom (RFC 3501 ATOM-CHAR)? */
int imap_atom_char(unsigned char c);
#endif
