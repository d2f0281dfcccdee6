#ifndef RSPAMD_H
#define RSPAMD_H
/*
 * A client of rspamd's HTTP protocol (rspamd's "protocol" documentation):
 *
 *   check:  POST /checkv2 to the normal worker; the message is the body
 *           and what SMTP knows of it goes in request headers (From, Rcpt,
 *           IP, Helo, Hostname, User, Queue-Id).  The reply is a JSON
 *           object: action, score, required_score, time_real, and
 *           messages.smtp_message (the text for an SMTP refusal).
 *   learn:  POST /learnspam or /learnham to the controller worker, with
 *           the Password header when one is set.
 *
 * HTTP/1.0 with Content-Length; the reply is read up to RSPAMD_REPLY_MAX
 * bytes and its JSON read by a small parser of our own that takes only
 * the members above and skips the rest (nesting bounded by
 * RSPAMD_JSON_DEPTH).  Whatever it cannot read is an error: a scanner we
 * do not understand has not said "clean".
 */
#include <stddef.h>

#define RSPAMD_REPLY_MAX 262144  /* bytes of an HTTP reply we read */
#define RSPAMD_MESSAGE_MAX 255   /* bytes of smtp_message we keep */
#define RSPAMD_JSON_DEPTH 32     /* nesting of JSON values we skip */
#define RSPAMD_RCPTS_MAX 1000    /* Rcpt headers sent */

enum rspamd_action {
	RSPAMD_NO_ACTION,
	RSPAMD_GREYLIST,
	RSPAMD_ADD_HEADER,
	RSPAMD_REWRITE_SUBJECT,
	RSPAMD_SOFT_REJECT,
	RSPAMD_REJECT,
	RSPAMD_ACTION_UNKNOWN
};

struct rspamd_result {
	int ok;                      /* a reply was read: the rest is valid */
	enum rspamd_action action;
	char action_name[32];        /* as rspamd said it ("add header") */
	double score, required;
	double time_real;            /* seconds rspamd took, -1 if not said */
	char message[RSPAMD_MESSAGE_MAX + 1];  /* messages.smtp_message, "" if
	                                 none; control bytes and non-ASCII as '?' */
	const char *why;             /* when !ok: a constant string */
};

/* What SMTP knows of the message: each may be 0 (not sent).  rcpts is
 * nrcpt NUL-terminated strings one after the other. */
struct rspamd_query {
	const char *from;            /* envelope sender, "" for <> */
	const char *rcpts;
	unsigned long nrcpt;
	const char *ip, *helo, *hostname, *user, *queue_id;
};

/* Parses a whole HTTP reply (status line, header, JSON body).  0 and
 * r->ok, or -1 with r->why. */
int rspamd_parse_reply(const char *buf, size_t len, struct rspamd_result *r);

/* Reads the JSON object of a /checkv2 reply.  0, or -1 (r->why). */
int rspamd_parse_json(const char *buf, size_t len, struct rspamd_result *r);

/* Sends msgfd (size bytes from its current offset) to rspamd at addr
 * (HOST:PORT or /socket) and reads its verdict within timeout seconds.
 * 0 with r->ok, or -1 with r->why. */
int rspamd_check(const char *addr, const struct rspamd_query *q, int msgfd, unsigned long long size,
                 unsigned timeout, struct rspamd_result *r);

/* Teaches the controller at addr that the message is spam (spam 1) or
 * ham.  password may be 0.  0 when rspamd took it (HTTP 200; also 208,
 * "already learnt"), or -1 with *why. */
int rspamd_learn(const char *addr, int spam, int msgfd, unsigned long long size, const char *password,
                 unsigned timeout, const char **why);

const char *rspamd_action_name(enum rspamd_action a);
#endif
