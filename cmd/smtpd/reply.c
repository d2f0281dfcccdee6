/*
 * The replies of posthorn-smtpd: codes from RFC 5321 4.2 (and RFC 3207,
 * 3030, 4954, 6531 for their commands), enhanced status codes from RFC 3463
 * and the IANA registry (RFC 5248).  RFC 2034 3: the greeting and the
 * HELO/EHLO replies carry no enhanced code.
 *
 * Columns: code, enhanced code (null: none), text, flags.  ME puts our host
 * name before the text; ERR counts the reply toward maxerrors (syntax,
 * order, refused addresses, failed AUTH: what a prober or a confused client
 * produces; 452 "too many recipients" and message-level results do not).
 */
#include <string.h>
#include <fmt.h>
#include "reply.h"
#include "smtpd.h"

enum { ME = 1, ERR = 2 };

static const struct {
	int code;
	const char *esc;
	const char *text;
	int flags;
} replies[R_COUNT] = {
	[R_GREETING]          = {220, 0, "ESMTP posthorn", ME},
	[R_UNAVAILABLE]       = {421, "4.3.0", "service not available, try again later", ME},
	[R_QUIT]              = {221, "2.0.0", "closing connection", ME},
	[R_TIMEOUT]           = {421, "4.4.2", "timeout, closing connection", ME},
	[R_TOO_MANY_ERRORS]   = {421, "4.7.0", "too many errors, closing connection", ME},
	[R_LOST]              = {421, "4.3.0", "local error, closing connection", ME},

	[R_HELO]              = {250, 0, "", ME},
	[R_OKAY]                = {250, "2.0.0", "OK", 0},
	[R_MAIL_OK]           = {250, "2.1.0", "sender OK", 0},
	[R_RCPT_OK]           = {250, "2.1.5", "recipient OK", 0},
	[R_VRFY]              = {252, "2.5.0", "cannot VRFY user, but will accept message and attempt delivery", 0},
	[R_HELP]              = {214, "2.0.0", "commands: HELO EHLO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP STARTTLS AUTH; see RFC 5321", 0},
	[R_DATA_GO]           = {354, 0, "end data with <CR><LF>.<CR><LF>", 0},
	[R_TLS_GO]            = {220, "2.0.0", "ready to start TLS", 0},
	[R_AUTH_OK]           = {235, "2.7.0", "authentication successful", 0},
	[R_CHUNK_OK]          = {250, "2.0.0", "chunk received", 0},

	[R_LINE_TOO_LONG]     = {500, "5.5.2", "line too long", ERR},
	[R_UNKNOWN]           = {500, "5.5.1", "command unrecognized", ERR},
	[R_CONTROL]           = {500, "5.5.2", "control character or bad line end in command", ERR},
	[R_SYNTAX]            = {501, "5.5.2", "syntax error", ERR},
	[R_NO_ARGS]           = {501, "5.5.4", "no parameters allowed", ERR},
	[R_HELO_ARG]          = {501, "5.5.4", "HELO and EHLO need a domain name", ERR},
	[R_NOT_IMPLEMENTED]   = {502, "5.5.1", "command not implemented", ERR},
	[R_PARAM_SYNTAX]      = {501, "5.5.4", "malformed parameter", ERR},
	[R_PARAM_UNKNOWN]     = {555, "5.5.4", "parameter not recognized", ERR},
	[R_BODY_UNKNOWN]      = {555, "5.5.4", "BODY must be 7BIT or 8BITMIME", ERR},
	[R_BDAT_SYNTAX]       = {501, "5.5.4", "syntax: BDAT size [LAST]", ERR},

	[R_HELO_FIRST]        = {503, "5.5.1", "send HELO or EHLO first", ERR},
	[R_NESTED_MAIL]       = {503, "5.5.1", "nested MAIL command", ERR},
	[R_NEED_MAIL]         = {503, "5.5.1", "need MAIL before RCPT", ERR},
	[R_NEED_RCPT]         = {503, "5.5.1", "need RCPT before DATA", ERR},
	[R_NO_VALID_RCPT]     = {554, "5.5.1", "no valid recipients", ERR},
	[R_DATA_AFTER_BDAT]   = {503, "5.5.1", "DATA not allowed after BDAT", ERR},
	[R_CHUNK_AFTER_FAIL]  = {503, "5.5.1", "an earlier chunk failed, send RSET", ERR},

	[R_SIZE_TOO_BIG]      = {552, "5.3.4", "message size exceeds fixed maximum message size", 0},
	[R_SENDER_SYNTAX]     = {553, "5.1.7", "bad sender address syntax", ERR},
	[R_RCPT_SYNTAX]       = {553, "5.1.3", "bad recipient address syntax", ERR},
	[R_RELAY_TRICK]       = {550, "5.7.1", "addresses with %, ! or a source route are refused", ERR},
	[R_NEED_UTF8]         = {553, "5.6.7", "non-ASCII address needs MAIL FROM:<...> SMTPUTF8", ERR},
	[R_NO_USER]           = {550, "5.1.1", "no such user here", ERR},
	[R_RELAY_DENIED]      = {554, "5.7.1", "relay access denied", ERR},
	[R_TOO_MANY_RCPT]     = {452, "4.5.3", "too many recipients", 0},
	[R_USERDB_TEMP]       = {451, "4.3.0", "temporary failure reading the user list", 0},
	[R_AUTH_REQUIRED]     = {530, "5.7.0", "authentication required", ERR},
	[R_NOT_YOUR_SENDER]   = {553, "5.7.1", "sender address not owned by the authenticated user", ERR},

	[R_AUTH_ALREADY]      = {503, "5.5.1", "already authenticated", ERR},
	[R_AUTH_IN_TX]        = {503, "5.5.1", "AUTH not allowed during a mail transaction", ERR},
	[R_AUTH_MECH]         = {504, "5.5.4", "unrecognized authentication mechanism", ERR},
	[R_AUTH_NEED_TLS]     = {538, "5.7.11", "encryption required for authentication: use STARTTLS", ERR},
	[R_AUTH_BASE64]       = {501, "5.5.2", "cannot decode base64 response", ERR},
	[R_AUTH_CANCELLED]    = {501, "5.0.0", "authentication cancelled", ERR},
	[R_AUTH_FAILED]       = {535, "5.7.8", "authentication credentials invalid", ERR},
	[R_AUTH_TEMP]         = {454, "4.7.0", "temporary authentication failure", 0},
	[R_AUTH_TOO_MANY]     = {421, "4.7.0", "too many authentication failures, closing connection", ME},

	[R_TLS_UNAVAILABLE]   = {502, "5.5.1", "STARTTLS not available", ERR},
	[R_TLS_ALREADY]       = {503, "5.5.1", "TLS already active", ERR},
	[R_TLS_TEMP]          = {454, "4.7.0", "TLS not available due to temporary reason", 0},

	[R_DATA_BARE]         = {554, "5.6.0", "message refused: bare CR or LF, lines must end in CRLF (RFC 5321 2.3.8)", 0},
	[R_DATA_NUL]          = {554, "5.6.0", "message refused: NUL byte in message", 0},
	[R_DATA_LONG_LINE]    = {554, "5.6.0", "message refused: line longer than 998 octets (RFC 5322 2.1.1)", 0},
	[R_DATA_TOO_BIG]      = {552, "5.3.4", "message size exceeds fixed maximum message size", 0},
	[R_DATA_CHUNK_TOO_BIG]= {552, "5.3.4", "chunk exceeds fixed maximum message size, closing connection", ME},
	[R_LOOP]              = {554, "5.4.6", "too many Received header fields: mail loop", 0},
	[R_QUEUE_TEMP]        = {451, "4.3.0", "temporary failure queueing the message", 0},

	[R_DNSBL_LISTED]      = {554, "5.7.1", "client host refused", ERR},
	[R_SPF_FAIL]          = {550, "5.7.23", "SPF check failed", 0},
	[R_SPF_TEMP]          = {451, "4.7.24", "temporary error checking SPF, try again later", 0},
	[R_DMARC_REJECT]      = {550, "5.7.1", "message refused by the DMARC policy of its From domain", 0},
	[R_MANY_FROM]         = {550, "5.7.1", "message refused: more than one From field (RFC 5322 3.6)", 0},

	[R_SCAN_VIRUS]        = {554, "5.7.1", "message refused: virus found", 0},
	[R_SCAN_SPAM]         = {554, "5.7.1", "message refused as spam", 0},
	[R_SCAN_DEFER]        = {451, "4.7.1", "message deferred by the spam filter, try again later", 0},
	[R_SCAN_TEMP]         = {451, "4.7.0", "temporary failure scanning the message, try again later", 0},
};

#define DETAIL_MAX 400

static void put_line(struct session *s, int code, const char *esc, const char *me, const char *text,
                     const char *detail)
{
	char num[FMT_ULONG];
	size_t i;

	num[fmt_ulong(num, (unsigned long)code)] = 0;
	stream_puts(&s->st, num);
	stream_puts(&s->st, " ");
	if (esc) {
		stream_puts(&s->st, esc);
		stream_puts(&s->st, " ");
	}
	if (me) {
		stream_puts(&s->st, me);
		if (*text) stream_puts(&s->st, " ");
	}
	stream_puts(&s->st, text);
	if (detail) {
		stream_puts(&s->st, ": ");
		/* control bytes would end the reply line early */
		for (i = 0; detail[i] && i < DETAIL_MAX; i++) {
			char c = (unsigned char)detail[i] < 0x20 || detail[i] == 0x7f ? '?' : detail[i];
			stream_put(&s->st, &c, 1);
		}
	}
	stream_puts(&s->st, "\r\n");
}

static void count(struct session *s, int is_error)
{
	if (is_error) s->errors++;
}

void reply_detail(struct session *s, enum reply_id id, const char *detail)
{
	if (id <= R_NONE || id >= R_COUNT) id = R_LOST;
	put_line(s, replies[id].code, replies[id].esc, replies[id].flags & ME ? s->conf->me : 0,
	         replies[id].text, detail);
	count(s, replies[id].flags & ERR);
}

void reply(struct session *s, enum reply_id id)
{
	reply_detail(s, id, 0);
}

void reply_raw(struct session *s, int code, const char *esc, const char *text, int is_error)
{
	put_line(s, code, esc, 0, text, 0);
	count(s, is_error);
}

int reply_code(enum reply_id id)
{
	return id > R_NONE && id < R_COUNT ? replies[id].code : 0;
}
