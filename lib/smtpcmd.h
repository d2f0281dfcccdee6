#ifndef SMTPCMD_H
#define SMTPCMD_H
/*
 * SMTP command lines as a server reads them (RFC 5321 4.1.1, 4.1.2): the
 * verb, and the argument of MAIL and RCPT split into the path and the ESMTP
 * parameters.  Nothing is allocated: results point into the caller's line,
 * which must stay alive and unchanged while they are used.  Every input is
 * a (pointer, length) pair and may hold any byte; a NUL or another control
 * byte anywhere is a syntax error, never a terminator.
 *
 * The path is returned with its angle brackets, for addr_parse_path; its end
 * is found outside quoted strings, so "<\"a>b\"@x>" is one path.
 */
#include <stddef.h>

#define SMTPCMD_VERB_MAX 16     /* longer first words are no verb of ours */
#define SMTPCMD_PARAMS_MAX 16   /* ESMTP parameters after a MAIL or RCPT path */

enum smtpcmd_error {
	SMTPCMD_OK = 0,
	SMTPCMD_ERR_SYNTAX,     /* no "FROM:" / "TO:", or stray text */
	SMTPCMD_ERR_PATH,       /* no '<', or no '>' that ends the path */
	SMTPCMD_ERR_PARAM,      /* a parameter that is not keyword[=value] */
	SMTPCMD_ERR_TOOMANY,    /* more than SMTPCMD_PARAMS_MAX parameters */
	SMTPCMD_ERR_CONTROL     /* a control byte (NUL, CR, LF, DEL, ...) */
};

struct smtpcmd_param {
	const char *key;        /* esmtp-keyword: ALPHA / DIGIT, then also '-' */
	size_t keylen;
	const char *value;      /* null when there is no "=value" */
	size_t vallen;          /* >= 1 when value is not null */
};

/* Strips the line end (CRLF or a bare LF) and reports it: *crlf is 1 for
 * CRLF, 0 otherwise.  Returns the length without it. */
size_t smtpcmd_chomp(const char *line, size_t len, int *crlf);

/* Does line hold a control byte (below 0x20 other than TAB, or DEL)? */
int smtpcmd_has_control(const char *line, size_t len);

/* Splits a command line (without its line end) into the verb and the
 * argument: the verb is everything up to the first space; the argument
 * starts after that one space (RFC 5321 puts exactly one there) and may be
 * empty.  Returns the verb's length (0 for an empty line). */
size_t smtpcmd_verb(const char *line, size_t len, const char **arg, size_t *arglen);

/* Is the verb (len bytes) name, ignoring ASCII case? */
int smtpcmd_is(const char *verb, size_t len, const char *name);

/* Parses the argument of MAIL ("FROM:<path> params") or RCPT
 * ("TO:<path> params"), prefix being "FROM:" or "TO:" (matched ignoring
 * case).  Spaces between the colon and '<' are tolerated (a common client
 * habit); one or more spaces separate the parameters.  *path and *pathlen get
 * the path with its brackets, params[0..*nparams) the parameters.  Returns
 * SMTPCMD_OK or an smtpcmd_error. */
int smtpcmd_path(const char *arg, size_t len, const char *prefix, const char **path, size_t *pathlen,
                 struct smtpcmd_param params[SMTPCMD_PARAMS_MAX], unsigned *nparams);

/* A decimal number of 1 to 20 digits that fits an unsigned long long.
 * Returns 0 and sets *out, or -1. */
int smtpcmd_number(const char *s, size_t len, unsigned long long *out);

/* A short English reason for an smtpcmd_error. */
const char *smtpcmd_strerror(int err);
#endif
