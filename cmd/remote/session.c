/*
 * session: the SMTP client on one connection (RFC 5321 client side).
 *
 * Order: connect, greeting, EHLO (HELO if EHLO is refused), STARTTLS when
 * offered and the policy allows (then EHLO again), AUTH PLAIN when the
 * route has credentials (only under TLS), MAIL, RCPT for each recipient,
 * DATA, the message (CRLF line ends, dot-stuffed), QUIT.  With PIPELINING
 * the MAIL, RCPT and DATA commands go in one write (RFC 2920).
 *
 * What moves on to the next host (return 0): no connection, a greeting or
 * EHLO that is not 2xx, a connection lost before DATA, a TLS policy that
 * cannot be met.  Everything after that decides the recipients here.
 * Message bytes >= 128 are sent as they are, with BODY=8BITMIME when the
 * server offers it and without when it does not (as most MTAs do).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>
#include <ip4.h>
#include <ip6.h>
#include <textcode.h>
#include <tls.h>
#include "log.h"
#include "remote.h"
#include "smtpreply.h"
#include "stream.h"

#define LINE_MAX_REPLY 2048

struct session {
	struct remote *m;
	const struct host *h;
	struct stream s;
	struct smtpreply rep;
	struct tls *tls;
	char label[ROUTES_HOST_MAX + 64];   /* "name[ip]" */
	int pipelining, size_ok, eightbitmime, smtputf8, starttls;
	unsigned long long size_limit;
};

static void host_error(struct session *x, const char *what, const char *detail)
{
	stralloc *e = &x->m->lasterr;
	e->len = 0;
	status_cat(e, ST_HOST_FAILED);
	stralloc_cats(e, x->label);
	stralloc_cats(e, ": ");
	stralloc_cats(e, what);
	if (detail) {
		stralloc_cats(e, ": ");
		stralloc_cats(e, detail);
	}
	stralloc_0(e);
	e->len--;
	log_event("host", "domain", x->m->domain, "host", x->label, "error", e->s, (char *)0);
}

/* "name[ip] said: REPLY" */
static const char *said(struct session *x, stralloc *out)
{
	stralloc_copys(out, x->label);
	stralloc_cats(out, " said: ");
	stralloc_cat(out, &x->rep.text);
	stralloc_0(out);
	return out->s;
}

static int connect_host(const struct host *h, unsigned timeout)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct pollfd p;
	int fd, err = 0;
	socklen_t el = sizeof err;

	memset(&ss, 0, sizeof ss);
	if (h->v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((unsigned short)h->port);
		memcpy(&a->sin6_addr, h->ip, 16);
		len = sizeof *a;
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		a->sin_port = htons((unsigned short)h->port);
		memcpy(&a->sin_addr, h->ip, 4);
		len = sizeof *a;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) return -1;
	if (connect(fd, (struct sockaddr *)&ss, len) && errno != EINPROGRESS) goto fail;
	p.fd = fd;
	p.events = POLLOUT;
	if (poll(&p, 1, (int)timeout * 1000) <= 0) {
		errno = ETIMEDOUT;
		goto fail;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) || err) {
		errno = err ? err : errno;
		goto fail;
	}
	/* stream.h does its own waiting: back to blocking mode. */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
fail:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

/* Reads one whole reply into x->rep.  0, or -1 (x->m->lasterr set). */
static int get_reply(struct session *x)
{
	static stralloc line;
	int r;

	smtpreply_reset(&x->rep);
	for (;;) {
		r = stream_getline(&x->s, &line, LINE_MAX_REPLY);
		if (r == STREAM_TIMEOUT) return host_error(x, "timed out waiting for a reply", 0), -1;
		if (r == STREAM_TOOLONG) return host_error(x, "reply line too long", 0), -1;
		if (r != STREAM_OK) return host_error(x, "connection lost", r == STREAM_EOF ? 0 : stream_error(&x->s)), -1;
		r = smtpreply_add(&x->rep, line.s, line.len);
		if (r < 0) return host_error(x, "malformed reply", line.s), -1;
		if (r == 1) return 0;
	}
}

static int send_cmd(struct session *x, const char *a, const char *b, const char *c)
{
	if (stream_puts(&x->s, a) || (b && stream_puts(&x->s, b)) || (c && stream_puts(&x->s, c)) ||
	    stream_puts(&x->s, "\r\n"))
		return host_error(x, "write failed", stream_error(&x->s)), -1;
	return 0;
}

static int flush(struct session *x)
{
	if (stream_flush(&x->s)) return host_error(x, "write failed", stream_error(&x->s)), -1;
	return 0;
}

static int cmd(struct session *x, const char *a, const char *b)
{
	if (send_cmd(x, a, b, 0) || flush(x)) return -1;
	return get_reply(x);
}

static void learn_ehlo(struct session *x)
{
	const char *p;
	size_t n;

	x->pipelining = smtpreply_has(&x->rep, "PIPELINING", 0, 0);
	x->eightbitmime = smtpreply_has(&x->rep, "8BITMIME", 0, 0);
	x->smtputf8 = smtpreply_has(&x->rep, "SMTPUTF8", 0, 0);
	x->starttls = smtpreply_has(&x->rep, "STARTTLS", 0, 0);
	x->size_limit = 0;
	if ((x->size_ok = smtpreply_has(&x->rep, "SIZE", &p, &n))) {
		unsigned long long v = 0;
		while (n && *p >= '0' && *p <= '9' && v < 1ULL << 50) v = v * 10 + (unsigned)(*p++ - '0'), n--;
		x->size_limit = v;
	}
}

/* EHLO, or HELO when EHLO is refused.  0 or -1. */
static int hello(struct session *x)
{
	if (cmd(x, "EHLO ", x->m->helo.s)) return -1;
	if (smtpreply_class(&x->rep) == 2) {
		learn_ehlo(x);
		return 0;
	}
	x->pipelining = x->eightbitmime = x->smtputf8 = x->starttls = x->size_ok = 0;
	if (cmd(x, "HELO ", x->m->helo.s)) return -1;
	if (smtpreply_class(&x->rep) != 2) return host_error(x, "HELO refused", x->rep.text.s), -1;
	return 0;
}

static int start_tls(struct session *x, int verify)
{
	struct tls_config *cfg = tls_config_new();
	const char *name = x->h->name;

	if (!cfg || !(x->tls = tls_client())) return host_error(x, "TLS setup failed", "out of memory"), -1;
	if (verify) {
		if (x->m->ca_file.s && x->m->ca_file.s[0] && tls_config_set_ca_file(cfg, x->m->ca_file.s))
			return host_error(x, "TLS setup failed", tls_config_error(cfg)), tls_config_free(cfg), -1;
	} else {
		tls_config_insecure_noverifycert(cfg);
		tls_config_insecure_noverifyname(cfg);
	}
	if (tls_configure(x->tls, cfg)) {
		host_error(x, "TLS setup failed", tls_error(x->tls));
		tls_config_free(cfg);
		return -1;
	}
	tls_config_free(cfg);
	if (stream_starttls_client(&x->s, x->tls, name)) return host_error(x, "TLS handshake failed", stream_error(&x->s)), -1;
	log_event("tls", "host", x->label, "version", stream_tls_version(&x->s), "cipher", stream_tls_cipher(&x->s),
	          "verified", verify ? "yes" : "no", (char *)0);
	return 0;
}

static int auth(struct session *x)
{
	const struct route *r = &x->m->route;
	char raw[2 * ROUTES_AUTH_MAX + 4];
	char b64[sizeof raw * 4 / 3 + 8];
	size_t ul = strlen(r->user), pl = strlen(r->password), n;
	stralloc why = {0};

	if (!x->s.tls) return host_error(x, "refusing to send credentials without TLS", 0), -1;
	raw[0] = 0;
	memcpy(raw + 1, r->user, ul);
	raw[1 + ul] = 0;
	memcpy(raw + 2 + ul, r->password, pl);
	n = fmt_base64(b64, raw, 2 + ul + pl);
	b64[n] = 0;
	memset(raw, 0, sizeof raw);
	if (cmd(x, "AUTH PLAIN ", b64)) return -1;
	memset(b64, 0, sizeof b64);
	if (smtpreply_class(&x->rep) != 2) {
		host_error(x, "authentication failed", said(x, &why));
		stralloc_free(&why);
		return -1;
	}
	return 0;
}

/* The message, LF or CRLF line ends in, CRLF out, dot-stuffed, then ".".
 * Copied a line piece at a time (up to the next LF), so the per-byte work is
 * memchr's, not a call per byte. */
static int send_data(struct session *x)
{
	char buf[65536];
	off_t off = 0;
	ssize_t r;
	int bol = 1, cr = 0;

	for (;;) {
		char *p, *end, *lf;
		r = pread(x->m->msgfd, buf, sizeof buf, off);
		if (r < 0) {
			if (errno == EINTR) continue;
			return host_error(x, "unable to read the message", strerror(errno)), -1;
		}
		if (r == 0) break;
		off += r;
		for (p = buf, end = buf + r; p < end; p = lf ? lf + 1 : end) {
			size_t n;
			if (bol && *p == '.' && stream_put(&x->s, ".", 1)) goto fail;
			lf = memchr(p, '\n', (size_t)(end - p));
			n = (size_t)((lf ? lf : end) - p);
			if (n && stream_put(&x->s, p, n)) goto fail;
			if (n) cr = p[n - 1] == '\r';
			if (lf) {
				if (stream_put(&x->s, cr ? "\n" : "\r\n", cr ? 1 : 2)) goto fail;
				cr = 0;
			}
			bol = lf != 0;
		}
	}
	if (!bol && stream_puts(&x->s, "\r\n")) goto fail;
	if (stream_puts(&x->s, ".\r\n") || stream_flush(&x->s)) goto fail;
	return 0;
fail:
	return host_error(x, "connection lost during DATA", stream_error(&x->s)), -1;
}

/* Records the RCPT reply in x->rep for recipient i: 1 if accepted. */
static int rcpt_result(struct session *x, unsigned i, stralloc *reason)
{
	int cls = smtpreply_class(&x->rep);

	if (cls == 2) {
		x->m->r[i].accepted = 1;
		return 1;
	}
	remote_set(x->m, i, cls == 5 ? RCPT_FAIL : RCPT_DEFER, said(x, reason), 0);
	return 0;
}

/* The transaction on an established, greeted session.  Returns 1 (decided)
 * or 0 (try the next host). */
static int transaction(struct session *x)
{
	struct remote *m = x->m;
	stralloc reason = {0}, mail = {0};
	unsigned i, accepted = 0, sent = 0;
	int data_sent = 0, decided = 0;
	char num[32];   /* fits: " SIZE=" and a 20-digit number */

	if (x->size_ok && x->size_limit && m->msgsize > x->size_limit) {
		snprintf(num, sizeof num, "%llu", x->size_limit);
		stralloc_copys(&reason, x->label);
		stralloc_cats(&reason, " (it takes at most ");
		stralloc_cats(&reason, num);
		stralloc_cats(&reason, " bytes)");
		stralloc_0(&reason);
		remote_status_open(m, ST_TOO_BIG_FOR, reason.s);
		decided = 1;
		goto out;
	}
	if ((m->sender_utf8) && !x->smtputf8) {
		remote_status_open(m, ST_SENDER_NEEDS_UTF8, x->label);
		decided = 1;
		goto out;
	}
	for (i = 0; i < m->n; i++)
		if (m->r[i].status == RCPT_OPEN && m->r[i].utf8 && !x->smtputf8)
			remote_status(m, i, ST_RCPT_NEEDS_UTF8, x->label);
	if (!remote_open_count(m)) {
		decided = 1;
		goto out;
	}
	stralloc_copys(&mail, "MAIL FROM:<");
	stralloc_cats(&mail, m->sender);
	stralloc_cats(&mail, ">");
	if (x->size_ok) {
		snprintf(num, sizeof num, " SIZE=%llu", m->msgsize);
		stralloc_cats(&mail, num);
	}
	if (m->eightbit && x->eightbitmime) stralloc_cats(&mail, " BODY=8BITMIME");
	if (x->smtputf8 && (m->sender_utf8 || remote_open_count(m))) {
		for (i = 0; i < m->n; i++)
			if (m->r[i].status == RCPT_OPEN && m->r[i].utf8) break;
		if (m->sender_utf8 || i < m->n) stralloc_cats(&mail, " SMTPUTF8");
	}
	stralloc_0(&mail);
	if (send_cmd(x, mail.s, 0, 0)) goto out;
	if (!x->pipelining && (flush(x) || get_reply(x))) goto out;
	if (!x->pipelining && smtpreply_class(&x->rep) != 2) goto mail_refused;
	for (i = 0; i < m->n; i++) {
		m->r[i].accepted = 0;
		if (m->r[i].status != RCPT_OPEN) continue;
		if (send_cmd(x, "RCPT TO:<", m->r[i].addr, ">")) goto out;
		sent++;
		if (!x->pipelining) {
			if (flush(x) || get_reply(x)) goto out;
			accepted += rcpt_result(x, i, &reason);
		}
	}
	if (x->pipelining) {
		if (send_cmd(x, "DATA", 0, 0) || flush(x)) goto out;
		data_sent = 1;
		if (get_reply(x)) goto out;
		if (smtpreply_class(&x->rep) != 2) {
			/* MAIL refused: keep its reply for the reason, then read
			 * the replies to what was pipelined behind it. */
			int cls = smtpreply_class(&x->rep);
			said(x, &reason);
			for (i = 0; i < sent + 1; i++)
				if (get_reply(x)) break;
			remote_set_open(m, cls == 5 ? RCPT_FAIL : RCPT_DEFER, reason.s, 0);
			decided = 1;
			goto quit;
		}
		for (i = 0; i < m->n; i++) {
			if (m->r[i].status != RCPT_OPEN) continue;
			if (get_reply(x)) goto out;
			accepted += rcpt_result(x, i, &reason);
		}
	}
	if (!accepted) {
		decided = 1;
		if (data_sent) get_reply(x);  /* the DATA reply (503/554) */
		goto quit;
	}
	if (!data_sent && (send_cmd(x, "DATA", 0, 0) || flush(x))) goto out;
	if (get_reply(x)) goto out;
	if (x->rep.code != 354) {
		for (i = 0; i < m->n; i++)
			if (m->r[i].accepted && m->r[i].status == RCPT_OPEN)
				remote_set(m, i, smtpreply_class(&x->rep) == 5 ? RCPT_FAIL : RCPT_DEFER, said(x, &reason), 0);
		decided = 1;
		goto quit;
	}
	/* From here on the server may have the message: a failure is a
	 * deferral of the accepted recipients, not a move to the next host. */
	decided = 1;
	x->s.timeout = m->timeout * 2;   /* RFC 5321 4.5.3.2.6: 10 minutes for the final reply */
	if (send_data(x) || get_reply(x)) {
		for (i = 0; i < m->n; i++)
			if (m->r[i].accepted && m->r[i].status == RCPT_OPEN) remote_set(m, i, RCPT_DEFER, m->lasterr.s, 0);
		goto out;
	}
	x->s.timeout = m->timeout;
	for (i = 0; i < m->n; i++)
		if (m->r[i].accepted && m->r[i].status == RCPT_OPEN)
			remote_set(m, i, smtpreply_class(&x->rep) == 2 ? RCPT_OK : smtpreply_class(&x->rep) == 5 ? RCPT_FAIL : RCPT_DEFER,
			           said(x, &reason), 0);
quit:
	if (!send_cmd(x, "QUIT", 0, 0) && !flush(x)) get_reply(x);
	goto out;
mail_refused:
	remote_set_open(m, smtpreply_class(&x->rep) == 5 ? RCPT_FAIL : RCPT_DEFER, said(x, &reason), 0);
	decided = 1;
	goto quit;
out:
	stralloc_free(&reason);
	stralloc_free(&mail);
	return decided;
}

int session_try(struct remote *m, const struct host *h)
{
	static struct session x;
	char ip[IP6_FMT];
	int fd, decided = 0;
	enum routes_tls policy = m->have_route ? m->route.tls : ROUTES_TLS_OPPORTUNISTIC;

	memset(&x.rep, 0, sizeof x.rep);
	x.m = m;
	x.h = h;
	x.tls = 0;
	ip[h->v6 ? fmt_ip6(ip, h->ip) : fmt_ip4(ip, h->ip)] = 0;
	snprintf(x.label, sizeof x.label, "%s[%s]", h->name, ip);   /* fits: ROUTES_HOST_MAX + IP6_FMT + 2 */
	fd = connect_host(h, m->timeout_connect);
	if (fd < 0) {
		host_error(&x, "connect failed", strerror(errno));
		return 0;
	}
	stream_init(&x.s, fd, fd, m->timeout);
	log_event("connect", "domain", m->domain, "host", x.label, (char *)0);
	if (get_reply(&x)) goto done;
	if (smtpreply_class(&x.rep) != 2) {
		stralloc t = {0};
		host_error(&x, "greeting refused", said(&x, &t));
		stralloc_free(&t);
		goto done;
	}
	if (hello(&x)) goto done;
	if (policy != ROUTES_TLS_NONE && x.starttls) {
		if (cmd(&x, "STARTTLS", 0)) goto done;
		if (x.rep.code == 220) {
			if (start_tls(&x, policy == ROUTES_TLS_VERIFY)) goto done;
			if (hello(&x)) goto done;
		} else if (policy == ROUTES_TLS_VERIFY) {
			host_error(&x, "TLS required but STARTTLS was refused", x.rep.text.s);
			goto done;
		}
		/* Opportunistic: a refused STARTTLS means we go on in the clear. */
	} else if (policy == ROUTES_TLS_VERIFY) {
		host_error(&x, "TLS required but not offered", 0);
		goto done;
	}
	if (m->have_route && m->route.user[0] && auth(&x)) goto done;
	decided = transaction(&x);
done:
	stream_close(&x.s);
	close(fd);
	if (x.tls) tls_free(x.tls);
	return decided;
}
