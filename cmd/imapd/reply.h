#ifndef IMAPD_REPLY_H
#define IMAPD_REPLY_H
/* posthorn-imapd's responses (reply.c): every fixed text by name, and the
 * output helpers.  Output goes to S.io; a write error marks the session
 * dead (S.dead) and the session ends at the next command boundary. */
#include <stddef.h>
#include <stdint.h>

enum resp_id {
	R_GREETING, R_PREAUTH_BYE_TIMEOUT, R_BYE_TIMEOUT, R_BYE_ERRORS, R_BYE_FAILS, R_BYE_LOGOUT,
	R_BYE_GONE, R_BYE_TOOBIG,
	R_BAD_SYNTAX, R_BAD_UNKNOWN, R_BAD_STATE, R_BAD_ARGS, R_BAD_TOOLONG, R_BAD_SEQ, R_BAD_CMDTOOBIG,
	R_NO_TOOBIG, R_BAD_TOOBIG_NONSYNC,
	R_OK_DONE, R_OK_NOOP, R_OK_LOGOUT, R_OK_CAPA, R_OK_STARTTLS, R_BAD_TLS_ACTIVE, R_NO_TLS_NONE,
	R_NO_TLS_FAIL, R_NO_LOGINDISABLED, R_OK_LOGIN, R_NO_LOGIN, R_NO_LOGIN_TEMP, R_NO_SYS, R_NO_MECH,
	R_BAD_AUTH_CANCEL, R_OK_ID, R_OK_ENABLE, R_OK_NAMESPACE,
	R_NO_NOMAILBOX, R_NO_EXISTS, R_NO_BADNAME, R_NO_INBOX, R_NO_CHILDREN, R_NO_CANNOT, R_OK_CREATE,
	R_OK_DELETE, R_OK_RENAME, R_OK_SUB, R_OK_UNSUB, R_OK_LIST, R_OK_LSUB, R_OK_STATUS,
	R_OK_SELECT_RW, R_OK_SELECT_RO, R_OK_CLOSE, R_OK_UNSELECT, R_OK_CHECK, R_OK_EXPUNGE,
	R_NO_READONLY, R_OK_FETCH, R_NO_EXPUNGED, R_OK_STORE, R_OK_STORE_MODIFIED, R_NO_KEYWORDS, R_OK_COPY, R_OK_MOVE,
	R_NO_TRYCREATE, R_OK_APPEND, R_OK_SEARCH, R_NO_CHARSET, R_OK_IDLE, R_IDLE_GO, R_NO_LIMIT,
	R_NO_OVERQUOTA, R_NO_NOQUOTAROOT, R_NO_SETQUOTA, R_NO_USEATTR,
	/* BINARY (RFC 3516), MULTIAPPEND (RFC 3502), CATENATE (RFC 4469) */
	R_NO_UNKNOWN_CTE, R_NO_BINARY_PART, R_NO_BADURL, R_NO_TOOBIG_MSG,
	R_OK_COMPRESS, R_NO_COMPRESSIONACTIVE,
	R_COUNT
};
/* Sets the command's tagged response: "TAG " + the text of id
 * (printf-formatted with the arguments) + CRLF.  It is sent by
 * reply_send, which the dispatcher calls after the folder's untagged
 * updates; a handler that must have it out before it goes on (STARTTLS
 * before the handshake, a NO before a BYE) calls reply_send itself.  A
 * second reply before reply_send replaces the first. */
void reply(enum resp_id id, ...);
/* Writes the pending tagged response, if any. */
void reply_send(void);
/* "* " + the text of id + CRLF, at once. */
void untagged(enum resp_id id, ...);
/* Raw output helpers; every write error ends the session at the next
 * command boundary (S.dead). */
void out(const char *s);
void outb(const char *s, size_t len);
void outf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void out_num(unsigned long long n);
/* An IMAP string: quoted when it can be, else a literal. */
void out_string(const char *s, size_t len);
/* out_string, or NIL for a null pointer. */
void out_nstring(const char *s, size_t len);
void out_literal(const char *s, size_t len);
void out_flags(uint32_t flags, int recent);
const char *capabilities(void);

#endif
