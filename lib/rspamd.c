/*
 * rspamd's HTTP protocol (see rspamd.h).  HTTP/1.0 (RFC 1945): one
 * request per connection, the body's length in Content-Length, the reply
 * ends when its Content-Length is read or the server closes.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fmt.h>
#include <stralloc.h>
#include "rspamd.h"
#include "scanconn.h"

static const char *const names[] = {
	[RSPAMD_NO_ACTION] = "no action", [RSPAMD_GREYLIST] = "greylist",
	[RSPAMD_ADD_HEADER] = "add header", [RSPAMD_REWRITE_SUBJECT] = "rewrite subject",
	[RSPAMD_SOFT_REJECT] = "soft reject", [RSPAMD_REJECT] = "reject",
	[RSPAMD_ACTION_UNKNOWN] = "unknown",
};

const char *rspamd_action_name(enum rspamd_action a)
{
	return a >= RSPAMD_NO_ACTION && a <= RSPAMD_ACTION_UNKNOWN ? names[a] : "unknown";
}

/* ---- the JSON reply (RFC 8259), only what we need ---- */

struct js {
	const char *p, *end;
};

static void ws(struct js *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')) j->p++;
}

static int hex4(const char *p, unsigned *v)
{
	unsigned i, x = 0;

	for (i = 0; i < 4; i++) {
		char c = p[i];
		x <<= 4;
		if (c >= '0' && c <= '9') x |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f') x |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F') x |= (unsigned)(c - 'A' + 10);
		else return -1;
	}
	*v = x;
	return 0;
}

/* A string at j->p (its opening quote); up to max - 1 bytes of it go to
 * out (may be 0), NUL-terminated, anything but printable ASCII as '?'.
 * 0, or -1 if it is not a well-formed string. */
static int str(struct js *j, char *out, size_t max)
{
	size_t n = 0;

	if (j->p >= j->end || *j->p != '"') return -1;
	j->p++;
	while (j->p < j->end) {
		unsigned char c = (unsigned char)*j->p++;
		unsigned u = c;
		if (c == '"') {
			if (out) out[n] = 0;
			return 0;
		}
		if (c < 0x20) return -1;
		if (c == '\\') {
			if (j->p >= j->end) return -1;
			c = (unsigned char)*j->p++;
			switch (c) {
			case '"': case '\\': case '/': u = c; break;
			case 'b': case 'f': case 'n': case 'r': case 't': u = 0; break;
			case 'u':
				if (j->end - j->p < 4 || hex4(j->p, &u)) return -1;
				j->p += 4;
				break;
			default: return -1;
			}
		}
		if (out && n + 1 < max) out[n++] = u >= 0x20 && u < 0x7f ? (char)u : '?';
	}
	return -1;
}

/* A number; 0, or -1 (not a number: the caller skips the value). */
static int num(struct js *j, double *v)
{
	char buf[48];
	size_t n = 0;
	char *e;

	while (j->p + n < j->end && n < sizeof buf - 1 && strchr("+-0123456789.eE", j->p[n]) && j->p[n]) n++;
	if (!n || n == sizeof buf - 1) return -1;
	memcpy(buf, j->p, n);
	buf[n] = 0;
	*v = strtod(buf, &e);
	if (e != buf + n) return -1;
	j->p += n;
	return 0;
}

static int lit(struct js *j, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n)) return -1;
	j->p += n;
	return 0;
}

/* Skips any value; depth bounds the nesting (no recursion past it). */
static int skip(struct js *j, int depth)
{
	double d;
	char open;

	ws(j);
	if (j->p >= j->end) return -1;
	switch (*j->p) {
	case '"': return str(j, 0, 0);
	case 't': return lit(j, "true");
	case 'f': return lit(j, "false");
	case 'n': return lit(j, "null");
	case '{': case '[': break;
	default: return num(j, &d);
	}
	if (depth <= 0) return -1;
	open = *j->p++;
	ws(j);
	if (j->p < j->end && *j->p == (open == '{' ? '}' : ']')) {
		j->p++;
		return 0;
	}
	for (;;) {
		if (open == '{') {
			ws(j);
			if (str(j, 0, 0)) return -1;
			ws(j);
			if (j->p >= j->end || *j->p++ != ':') return -1;
		}
		if (skip(j, depth - 1)) return -1;
		ws(j);
		if (j->p >= j->end) return -1;
		if (*j->p == ',') {
			j->p++;
			continue;
		}
		if (*j->p++ != (open == '{' ? '}' : ']')) return -1;
		return 0;
	}
}

/* The members of an object, one at a time: *key gets the name (cut to
 * size); the value is left at j->p for the caller.  1 with a member, 0 at
 * the end of the object, -1 on bad syntax.  *first is 1 before the first
 * call. */
static int member(struct js *j, char *key, size_t size, int *first)
{
	ws(j);
	if (j->p >= j->end) return -1;
	if (*first) {
		*first = 0;
		if (*j->p == '}') {
			j->p++;
			return 0;
		}
	} else {
		if (*j->p == '}') {
			j->p++;
			return 0;
		}
		if (*j->p++ != ',') return -1;
		ws(j);
	}
	if (str(j, key, size)) return -1;
	ws(j);
	if (j->p >= j->end || *j->p++ != ':') return -1;
	ws(j);
	return 1;
}

static int number_member(struct js *j, double *v)
{
	if (j->p < j->end && (*j->p == '-' || (*j->p >= '0' && *j->p <= '9'))) return num(j, v);
	return -1;   /* a score that is not a number is no score */
}

static int messages(struct js *j, struct rspamd_result *r)
{
	char key[32];
	int first = 1, m;

	if (j->p >= j->end || *j->p != '{') return skip(j, RSPAMD_JSON_DEPTH);
	j->p++;
	while ((m = member(j, key, sizeof key, &first)) == 1) {
		if (!strcmp(key, "smtp_message") && j->p < j->end && *j->p == '"') {
			if (str(j, r->message, sizeof r->message)) return -1;
		} else if (skip(j, RSPAMD_JSON_DEPTH - 1)) {
			return -1;
		}
	}
	return m;
}

int rspamd_parse_json(const char *buf, size_t len, struct rspamd_result *r)
{
	struct js j = {buf, buf + len};
	char key[32];
	int first = 1, m, have_action = 0, have_score = 0;
	unsigned a;

	memset(r, 0, sizeof *r);
	r->time_real = -1;
	r->why = "unreadable reply";
	ws(&j);
	if (j.p >= j.end || *j.p++ != '{') return -1;
	while ((m = member(&j, key, sizeof key, &first)) == 1) {
		int bad;
		if (!strcmp(key, "action") && j.p < j.end && *j.p == '"') {
			bad = str(&j, r->action_name, sizeof r->action_name);
			have_action = 1;
		} else if (!strcmp(key, "score")) {
			bad = number_member(&j, &r->score);
			have_score = 1;
		} else if (!strcmp(key, "required_score")) {
			bad = number_member(&j, &r->required);
		} else if (!strcmp(key, "time_real")) {
			bad = number_member(&j, &r->time_real);
		} else if (!strcmp(key, "messages")) {
			bad = messages(&j, r);
		} else {
			bad = skip(&j, RSPAMD_JSON_DEPTH);
		}
		if (bad) return -1;
	}
	if (m < 0) return -1;
	if (!have_action || !have_score) {
		r->why = "reply without action or score";
		return -1;
	}
	r->action = RSPAMD_ACTION_UNKNOWN;
	for (a = RSPAMD_NO_ACTION; a < RSPAMD_ACTION_UNKNOWN; a++)
		if (!strcmp(r->action_name, names[a])) r->action = (enum rspamd_action)a;
	if (r->action == RSPAMD_ACTION_UNKNOWN) {
		r->why = "unknown action";
		return -1;
	}
	r->ok = 1;
	r->why = 0;
	return 0;
}

/* ---- HTTP ---- */

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* The header of an HTTP reply: its status, where the body starts, and
 * Content-Length (-1 if none).  0, 1 when the header is not complete yet,
 * or -1 when it is not HTTP. */
static int http_head(const char *buf, size_t len, int *status, size_t *body, long long *clen)
{
	const char *end = 0, *p, *le;
	size_t i;

	for (i = 0; i + 1 < len; i++) {
		if (buf[i] == '\n' && buf[i + 1] == '\n') {
			end = buf + i + 1, *body = i + 2;
			break;
		}
		if (i + 3 < len && !memcmp(buf + i, "\r\n\r\n", 4)) {
			end = buf + i + 2, *body = i + 4;
			break;
		}
	}
	if (len < 12 || memcmp(buf, "HTTP/1.", 7) || buf[8] != ' ') return -1;
	if (buf[9] < '1' || buf[9] > '5' || buf[10] < '0' || buf[10] > '9' || buf[11] < '0' || buf[11] > '9')
		return -1;
	*status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
	if (!end) return 1;
	*clen = -1;
	for (p = buf; p < end; p = le + 1) {
		le = memchr(p, '\n', (size_t)(end - p));
		if (!le) break;
		if (le - p > 15) {
			static const char name[] = "content-length:";
			size_t k;
			for (k = 0; k < 15 && lower((unsigned char)p[k]) == name[k]; k++)
				;
			if (k == 15) {
				const char *q = p + 15;
				long long v = 0;
				while (q < le && (*q == ' ' || *q == '\t')) q++;
				if (q == le || *q < '0' || *q > '9') return -1;
				while (q < le && *q >= '0' && *q <= '9') {
					v = v * 10 + (*q++ - '0');
					if (v > RSPAMD_REPLY_MAX) return -1;
				}
				*clen = v;
			}
		}
	}
	return 0;
}

int rspamd_parse_reply(const char *buf, size_t len, struct rspamd_result *r)
{
	int status = 0, h;
	size_t body = 0;
	long long clen = -1;

	memset(r, 0, sizeof *r);
	h = http_head(buf, len, &status, &body, &clen);
	if (h) {
		r->why = h < 0 ? "not an HTTP reply" : "reply cut short";
		return -1;
	}
	if (status != 200) {
		r->why = "HTTP status not 200";
		return -1;
	}
	if (clen >= 0) {
		if ((unsigned long long)clen > len - body) {
			r->why = "reply cut short";
			return -1;
		}
		len = body + (size_t)clen;
	}
	return rspamd_parse_json(buf + body, len - body, r);
}

/* A request header line, if the value is one line of printable text. */
static int header(stralloc *h, const char *name, const char *value)
{
	size_t i;

	if (!value) return 1;
	for (i = 0; value[i]; i++)
		if ((unsigned char)value[i] < 0x20 || value[i] == 0x7f) return 1;
	return stralloc_cats(h, name) && stralloc_cats(h, ": ") && stralloc_cats(h, value) &&
	       stralloc_cats(h, "\r\n");
}

/* Sends the request (head, then size bytes of msgfd) and reads the whole
 * reply into buf.  Bytes read, or -1 with *why. */
static long exchange(const char *addr, const stralloc *head, int msgfd, unsigned long long size, unsigned timeout,
                     char *buf, size_t max, const char **why)
{
	long long deadline = scanconn_deadline(timeout);
	static char chunk[65536];
	size_t got = 0;
	int fd;

	if ((fd = scanconn_open(addr, deadline, why)) < 0) return -1;
	if (scanconn_write(fd, head->s, head->len, deadline, why)) goto fail;
	while (size) {
		ssize_t n = read(msgfd, chunk, size < sizeof chunk ? (size_t)size : sizeof chunk);
		if (n <= 0) {
			*why = "cannot read the message";
			goto fail;
		}
		if (scanconn_write(fd, chunk, (size_t)n, deadline, why)) goto fail;
		size -= (unsigned long long)n;
	}
	for (;;) {
		int status;
		size_t body;
		long long clen;
		ssize_t n;
		if (got == max) {
			*why = "reply too long";
			goto fail;
		}
		n = scanconn_read(fd, buf + got, max - got, deadline, why);
		if (n < 0) goto fail;
		if (n == 0) break;
		got += (size_t)n;
		/* the reply is whole when its Content-Length is in */
		if (http_head(buf, got, &status, &body, &clen) == 0 && clen >= 0 && got - body >= (size_t)clen) break;
	}
	close(fd);
	if (!got) {
		*why = "no reply";
		return -1;
	}
	return (long)got;
fail:
	close(fd);
	return -1;
}

static int request(stralloc *h, const char *path, unsigned long long size)
{
	char num[FMT_ULONG];

	num[fmt_ulonglong(num, size)] = 0;
	h->len = 0;
	return stralloc_cats(h, "POST ") && stralloc_cats(h, path) && stralloc_cats(h, " HTTP/1.0\r\n") &&
	       stralloc_cats(h, "Content-Length: ") && stralloc_cats(h, num) && stralloc_cats(h, "\r\n");
}

static char reply[RSPAMD_REPLY_MAX];

int rspamd_check(const char *addr, const struct rspamd_query *q, int msgfd, unsigned long long size,
                 unsigned timeout, struct rspamd_result *r)
{
	static stralloc h;
	const char *why = "out of memory";
	const char *rc = q->rcpts;
	unsigned long i;
	long n;

	memset(r, 0, sizeof *r);
	if (!request(&h, "/checkv2", size) || !header(&h, "From", q->from) || !header(&h, "IP", q->ip) ||
	    !header(&h, "Helo", q->helo) || !header(&h, "Hostname", q->hostname) || !header(&h, "User", q->user) ||
	    !header(&h, "Queue-Id", q->queue_id))
		goto fail;
	for (i = 0; rc && i < q->nrcpt && i < RSPAMD_RCPTS_MAX; i++, rc += strlen(rc) + 1)
		if (!header(&h, "Rcpt", rc)) goto fail;
	if (!stralloc_cats(&h, "\r\n")) goto fail;
	if ((n = exchange(addr, &h, msgfd, size, timeout, reply, sizeof reply, &why)) < 0) goto fail;
	return rspamd_parse_reply(reply, (size_t)n, r);
fail:
	r->ok = 0;
	r->why = why;
	return -1;
}

int rspamd_learn(const char *addr, int spam, int msgfd, unsigned long long size, const char *password,
                 unsigned timeout, const char **why)
{
	static stralloc h;
	int status = 0;
	size_t body;
	long long clen;
	long n;

	*why = "out of memory";
	if (!request(&h, spam ? "/learnspam" : "/learnham", size) || !header(&h, "Password", password) ||
	    !stralloc_cats(&h, "\r\n"))
		return -1;
	if ((n = exchange(addr, &h, msgfd, size, timeout, reply, sizeof reply, why)) < 0) return -1;
	if (http_head(reply, (size_t)n, &status, &body, &clen)) {
		*why = "not an HTTP reply";
		return -1;
	}
	/* 208: rspamd had learnt this message already; 204: it chose not to
	 * (its learn conditions: the classifier agrees already, or too few
	 * tokens).  Neither is a failure a retry would mend. */
	if (status == 200 || status == 204 || status == 208) return 0;
	if (status == 403) *why = "controller refused the password";
	else {
		/* rspamd says why in the status line ("204 <id> contains less
		 * tokens than required ..."): keep its printable start */
		static char text[160];
		size_t i = 0, k = 0;
		while (i < (size_t)n && reply[i] != ' ') i++;           /* "HTTP/1.1" */
		memcpy(text, "controller refused to learn: ", 29);
		k = 29;
		for (i++; i < (size_t)n && reply[i] != '\r' && reply[i] != '\n' && k < sizeof text - 1; i++)
			text[k++] = reply[i] >= 0x20 && reply[i] < 0x7f ? reply[i] : '?';
		text[k] = 0;
		*why = text;
	}
	return -1;
}
