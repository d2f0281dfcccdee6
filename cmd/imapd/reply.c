/*
 * Every fixed response of posthorn-imapd, by name, and the output helpers.
 * Response codes in brackets: RFC 3501 7.1, RFC 5530 (AUTHENTICATIONFAILED,
 * UNAVAILABLE, SERVERBUG, CANNOT, LIMIT, NONEXISTENT, ALREADYEXISTS,
 * EXPUNGEISSUED, CLIENTBUG, NOPERM), RFC 7889 (TOOBIG), RFC 9208 (OVERQUOTA),
 * RFC 6154 (USEATTR), RFC 3516 (UNKNOWN-CTE), RFC 4469 (BADURL).  A login failure says the
 * same whatever was wrong, so it tells a guesser nothing.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "reply.h"
#include "session.h"

static const char *const text[R_COUNT] = {
	[R_GREETING]          = "OK [CAPABILITY %s] %s IMAP4rev1 server ready",
	[R_PREAUTH_BYE_TIMEOUT] = "BYE autologout: no login in time",
	[R_BYE_TIMEOUT]       = "BYE autologout: idle for too long",
	[R_BYE_ERRORS]        = "BYE too many errors, closing",
	[R_BYE_FAILS]         = "BYE [AUTHENTICATIONFAILED] too many failed logins, closing",
	[R_BYE_LOGOUT]        = "BYE logging out",
	[R_BYE_GONE]          = "BYE [UNAVAILABLE] the selected mailbox is gone",
	[R_BYE_TOOBIG]        = "BYE [TOOBIG] literal too big or its size unreadable, closing",
	[R_BAD_SYNTAX]        = "BAD %s",
	[R_BAD_UNKNOWN]       = "BAD unknown command",
	[R_BAD_STATE]         = "BAD command not valid in this state",
	[R_BAD_ARGS]          = "BAD wrong arguments",
	[R_BAD_TOOLONG]       = "BAD line too long",
	[R_BAD_SEQ]           = "BAD invalid sequence set",
	[R_BAD_CMDTOOBIG]     = "BAD [TOOBIG] command too big",
	[R_NO_TOOBIG]         = "NO [TOOBIG] literal too big",
	[R_BAD_TOOBIG_NONSYNC] = "BAD [TOOBIG] literal too big",
	[R_OK_DONE]           = "OK %s completed",
	[R_OK_NOOP]           = "OK NOOP completed",
	[R_OK_LOGOUT]         = "OK LOGOUT completed",
	[R_OK_CAPA]           = "OK CAPABILITY completed",
	[R_OK_STARTTLS]       = "OK begin TLS negotiation now",
	[R_BAD_TLS_ACTIVE]    = "BAD TLS is already active",
	[R_NO_TLS_NONE]       = "NO STARTTLS not available",
	[R_NO_TLS_FAIL]       = "NO [UNAVAILABLE] TLS not available now",
	[R_NO_LOGINDISABLED]  = "NO [PRIVACYREQUIRED] login refused without TLS: use STARTTLS first",
	[R_OK_LOGIN]          = "OK [CAPABILITY %s] logged in",
	[R_NO_LOGIN]          = "NO [AUTHENTICATIONFAILED] authentication failed",
	[R_NO_LOGIN_TEMP]     = "NO [UNAVAILABLE] unable to check the password now, try again later",
	[R_NO_SYS]            = "NO [SERVERBUG] unable to open the mailbox, tell the postmaster",
	[R_NO_MECH]           = "NO unsupported authentication mechanism",
	[R_BAD_AUTH_CANCEL]   = "BAD authentication cancelled",
	[R_OK_ID]             = "OK ID completed",
	[R_OK_ENABLE]         = "OK ENABLE completed",
	[R_OK_NAMESPACE]      = "OK NAMESPACE completed",
	[R_NO_NOMAILBOX]      = "NO [NONEXISTENT] no such mailbox",
	[R_NO_EXISTS]         = "NO [ALREADYEXISTS] mailbox exists",
	[R_NO_BADNAME]        = "NO [CANNOT] invalid mailbox name",
	[R_NO_INBOX]          = "NO [CANNOT] INBOX cannot be deleted",
	[R_NO_CHILDREN]       = "NO [CANNOT] a \\Noselect name with inferior names: delete them first",
	[R_NO_CANNOT]         = "NO [SERVERBUG] %s failed: %s",
	[R_OK_CREATE]         = "OK CREATE completed",
	[R_OK_DELETE]         = "OK DELETE completed",
	[R_OK_RENAME]         = "OK RENAME completed",
	[R_OK_SUB]            = "OK SUBSCRIBE completed",
	[R_OK_UNSUB]          = "OK UNSUBSCRIBE completed",
	[R_OK_LIST]           = "OK LIST completed",
	[R_OK_LSUB]           = "OK LSUB completed",
	[R_OK_STATUS]         = "OK STATUS completed",
	[R_OK_SELECT_RW]      = "OK [READ-WRITE] %s completed",
	[R_OK_SELECT_RO]      = "OK [READ-ONLY] %s completed",
	[R_OK_CLOSE]          = "OK CLOSE completed",
	[R_OK_UNSELECT]       = "OK UNSELECT completed",
	[R_OK_CHECK]          = "OK CHECK completed",
	[R_OK_EXPUNGE]        = "OK EXPUNGE completed",
	[R_NO_READONLY]       = "NO [READ-ONLY] mailbox is read-only",
	[R_OK_FETCH]          = "OK FETCH completed",
	[R_NO_EXPUNGED]       = "NO [EXPUNGEISSUED] some messages were expunged",
	[R_OK_STORE]          = "OK STORE completed",
	[R_OK_STORE_MODIFIED] = "OK [MODIFIED %s] conditional STORE failed for these",
	[R_NO_KEYWORDS]       = "NO [LIMIT] no room for more keywords in this mailbox",
	[R_OK_COPY]           = "OK %s%s completed",
	[R_OK_MOVE]           = "OK MOVE completed",
	[R_NO_TRYCREATE]      = "NO [TRYCREATE] no such mailbox",
	[R_OK_APPEND]         = "OK [APPENDUID %lu %s] APPEND completed",
	[R_OK_SEARCH]         = "OK SEARCH completed",
	[R_NO_CHARSET]        = "NO [BADCHARSET (UTF-8 US-ASCII)] charset not supported",
	[R_OK_IDLE]           = "OK IDLE terminated",
	[R_IDLE_GO]           = "idling",
	[R_NO_LIMIT]          = "NO [LIMIT] %s",
	[R_NO_OVERQUOTA]      = "NO [OVERQUOTA] the mailbox would go over its quota",
	[R_NO_NOQUOTAROOT]    = "NO [NONEXISTENT] no such quota root",
	[R_NO_SETQUOTA]       = "NO [NOPERM] quotas are set by the postmaster",
	[R_NO_USEATTR]        = "NO [USEATTR] unsupported special-use attribute",
	[R_NO_UNKNOWN_CTE]    = "NO [UNKNOWN-CTE] a part's Content-Transfer-Encoding cannot be decoded",
	[R_NO_BINARY_PART]    = "NO [CLIENTBUG] BINARY of a multipart or message part: leaf parts only",
	[R_NO_BADURL]         = "NO [BADURL %s] %s",
	[R_NO_TOOBIG_MSG]     = "NO [TOOBIG] the message put together is over the size limit",
	[R_OK_COMPRESS]       = "OK DEFLATE active",
	[R_NO_COMPRESSIONACTIVE] = "NO [COMPRESSIONACTIVE] DEFLATE is active already",
};

static void put(const char *s, size_t len)
{
	if (S.dead) return;
	if (stream_put(&S.io, s, len) < 0) S.dead = 1;
}

void out(const char *s) { put(s, strlen(s)); }
void outb(const char *s, size_t len) { put(s, len); }

void outf(const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0) return;
	put(buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

void out_num(unsigned long long n) { outf("%llu", n); }

static void vline(const char *prefix, enum resp_id id, va_list ap)
{
	char buf[4096];
	int n = vsnprintf(buf, sizeof buf, text[id], ap);
	if (n < 0) return;
	if ((size_t)n >= sizeof buf) n = sizeof buf - 1;
	out(prefix);
	put(buf, (size_t)n);
	put("\r\n", 2);
}

/* The tagged line of the command being run, until reply_send. */
static char pending[IMAP_TAG_MAX + 4096 + 4];
static size_t pending_len;

void reply(enum resp_id id, ...)
{
	char buf[4096];
	va_list ap;
	int n;
	const char *tag = S.cmd.tag[0] ? S.cmd.tag : "*";

	va_start(ap, id);
	n = vsnprintf(buf, sizeof buf, text[id], ap);
	va_end(ap);
	if (n < 0) n = 0;
	/* a longer text (a COPYUID of many ranges) is cut: a tagged line
	 * stays well-formed and the data went out untagged before it */
	if ((size_t)n >= sizeof buf) n = sizeof buf - 1;
	/* cannot truncate: pending holds a tag, a space, buf and CRLF */
	pending_len = (size_t)snprintf(pending, sizeof pending, "%s %.*s\r\n", tag, n, buf);
}

void reply_send(void)
{
	if (!pending_len) return;
	put(pending, pending_len);
	pending_len = 0;
}

void untagged(enum resp_id id, ...)
{
	va_list ap;
	va_start(ap, id);
	vline("* ", id, ap);
	va_end(ap);
}

void out_literal(const char *s, size_t len)
{
	outf("{%zu}\r\n", len);
	put(s, len);
}

void out_string(const char *s, size_t len)
{
	size_t i;
	/* a quoted string holds no CR, LF, NUL or 8-bit byte, and we keep
	 * long ones as literals */
	if (len > 1024) { out_literal(s, len); return; }
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == 0 || c == '\r' || c == '\n' || c >= 0x80) { out_literal(s, len); return; }
	}
	put("\"", 1);
	for (i = 0; i < len; i++) {
		if (s[i] == '"' || s[i] == '\\') put("\\", 1);
		put(&s[i], 1);
	}
	put("\"", 1);
}

void out_nstring(const char *s, size_t len)
{
	if (!s) out("NIL");
	else out_string(s, len);
}

void out_flags(uint32_t flags, int recent)
{
	static const struct { uint32_t bit; const char *name; } sys[] = {
		{STORE_ANSWERED, "\\Answered"}, {STORE_FLAGGED, "\\Flagged"}, {STORE_DELETED, "\\Deleted"},
		{STORE_SEEN, "\\Seen"}, {STORE_DRAFT, "\\Draft"},
	};
	unsigned i;
	int sp = 0;

	out("(");
	for (i = 0; i < sizeof sys / sizeof sys[0]; i++)
		if (flags & sys[i].bit) { if (sp) out(" "); out(sys[i].name); sp = 1; }
	for (i = 0; i < STORE_KEYWORDS_MAX; i++)
		if ((flags & STORE_KW(i)) && i < S.st.kw.n) { if (sp) out(" "); out(S.st.kw.name[i]); sp = 1; }
	if (recent) { if (sp) out(" "); out("\\Recent"); }
	out(")");
}

/* The capabilities after login and before, one token per line so that an
 * extension is one line here (RFC 3501 7.2.1). */
static const char *const capability_list[] = {
	"IMAP4rev1",
	"LITERAL+",          /* RFC 7888 */
	"SASL-IR",           /* RFC 4959 */
	"ID",                /* RFC 2971 */
	"ENABLE",            /* RFC 5161 */
	"IDLE",              /* RFC 2177 */
	"NAMESPACE",         /* RFC 2342 */
	"UNSELECT",          /* RFC 3691 */
	"CHILDREN",          /* RFC 3348 */
	"SPECIAL-USE",       /* RFC 6154 */
	"UIDPLUS",           /* RFC 4315 */
	"MOVE",              /* RFC 6851 */
	"LIST-EXTENDED",     /* RFC 5258 */
	"LIST-STATUS",       /* RFC 5819 */
	"CREATE-SPECIAL-USE", /* RFC 6154 */
	"STATUS=SIZE",       /* RFC 8438 */
	"QUOTA",             /* RFC 9208 */
	"QUOTA=RES-STORAGE", /* RFC 9208 5.1 */
	"BINARY",            /* RFC 3516 */
	"MULTIAPPEND",       /* RFC 3502 */
	"CATENATE",          /* RFC 4469 */
	"COMPRESS=DEFLATE",  /* RFC 4978 */
	"UTF8=ACCEPT",       /* RFC 6855 */
	"CONDSTORE",         /* RFC 7162 */
	"QRESYNC",           /* RFC 7162 */
	"SORT",              /* RFC 5256 */
	"SORT=DISPLAY",      /* RFC 5957 */
	"THREAD=ORDEREDSUBJECT",   /* RFC 5256 */
	"THREAD=REFERENCES", /* RFC 5256 */
	"ESEARCH",           /* RFC 4731 */
	"ESORT",             /* RFC 5267 */
	"SEARCHRES",         /* RFC 5182 */
};

const char *capabilities(void)
{
	static stralloc capa_text;
	char buf[128];
	int login_ok = S.io.tls || S.conf.cleartext_ok;
	size_t i;
	stralloc_zero(&capa_text);
	for (i = 0; i < sizeof capability_list / sizeof capability_list[0]; i++)
		if (!stralloc_cats(&capa_text, i ? " " : "") || !stralloc_cats(&capa_text, capability_list[i])) break;
	/* RFC 7889: the bound on an APPENDed message (imapd-maxmsg) */
	snprintf(buf, sizeof buf, " APPENDLIMIT=%lu%s%s%s", S.append_max,
		 S.state == ST_NOAUTH && !S.io.tls && S.conf.tls_available ? " STARTTLS" : "",
		 S.state == ST_NOAUTH && !login_ok ? " LOGINDISABLED" : "",
		 S.state == ST_NOAUTH && login_ok ? " AUTH=PLAIN" : "");
	if (!stralloc_cats(&capa_text, buf) || !stralloc_0(&capa_text)) return "IMAP4rev1";
	return capa_text.s;
}
