#ifndef SMTPD_REPLY_H
#define SMTPD_REPLY_H
/*
 * Every reply posthorn-smtpd sends, by name: the one table (reply.c) holds
 * each reply's code, RFC 3463 enhanced status code and text, so that the
 * man page's list of replies and the code are checked against one place.
 */
struct session;

enum reply_id {
	R_NONE = 0,            /* "go ahead": check functions return it */
	/* greeting, closing */
	R_GREETING, R_UNAVAILABLE, R_QUIT, R_TIMEOUT, R_TOO_MANY_ERRORS, R_LOST,
	/* successes */
	R_HELO, R_OKAY, R_MAIL_OK, R_RCPT_OK, R_VRFY, R_HELP, R_DATA_GO, R_TLS_GO,
	R_AUTH_OK, R_CHUNK_OK,
	/* the command itself */
	R_LINE_TOO_LONG, R_UNKNOWN, R_CONTROL, R_SYNTAX, R_NO_ARGS, R_HELO_ARG,
	R_NOT_IMPLEMENTED, R_PARAM_SYNTAX, R_PARAM_UNKNOWN, R_BODY_UNKNOWN,
	R_BDAT_SYNTAX,
	/* order of commands */
	R_HELO_FIRST, R_NESTED_MAIL, R_NEED_MAIL, R_NEED_RCPT, R_NO_VALID_RCPT,
	R_DATA_AFTER_BDAT, R_CHUNK_AFTER_FAIL,
	/* senders and recipients */
	R_SIZE_TOO_BIG, R_SENDER_SYNTAX, R_RCPT_SYNTAX, R_RELAY_TRICK, R_NEED_UTF8,
	R_NO_USER, R_RELAY_DENIED, R_TOO_MANY_RCPT, R_USERDB_TEMP, R_AUTH_REQUIRED,
	R_NOT_YOUR_SENDER,
	/* AUTH */
	R_AUTH_ALREADY, R_AUTH_IN_TX, R_AUTH_MECH, R_AUTH_NEED_TLS, R_AUTH_BASE64,
	R_AUTH_CANCELLED, R_AUTH_FAILED, R_AUTH_TEMP, R_AUTH_TOO_MANY,
	/* TLS */
	R_TLS_UNAVAILABLE, R_TLS_ALREADY, R_TLS_TEMP,
	/* the message */
	R_DATA_BARE, R_DATA_NUL, R_DATA_LONG_LINE, R_DATA_TOO_BIG, R_DATA_CHUNK_TOO_BIG,
	R_LOOP, R_QUEUE_TEMP,
	/* sender checks (checks.c) */
	R_DNSBL_LISTED, R_SPF_FAIL, R_SPF_TEMP, R_DMARC_REJECT, R_MANY_FROM,
	/* content scanners (scan.c) */
	R_SCAN_VIRUS, R_SCAN_SPAM, R_SCAN_DEFER, R_SCAN_TEMP,
	R_COUNT
};

/* Writes "CODE ESC TEXT\r\n" (buffered; flushed before the next read).
 * Replies marked as errors in the table count toward maxerrors. */
void reply(struct session *s, enum reply_id id);

/* The same with ": detail" after the text (detail cleaned of control
 * bytes and cut to a sane length). */
void reply_detail(struct session *s, enum reply_id id, const char *detail);

/* A reply whose code and enhanced code are given, e.g. the injector's. */
void reply_raw(struct session *s, int code, const char *esc, const char *text, int is_error);

/* The numeric code of a reply (for logs and tests of the table). */
int reply_code(enum reply_id id);
#endif
