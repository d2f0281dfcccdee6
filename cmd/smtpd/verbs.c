/*
 * The plain verbs of RFC 5321: HELO EHLO MAIL RCPT RSET NOOP VRFY EXPN HELP
 * QUIT.  DATA and BDAT are in data.c, AUTH in sasl.c, STARTTLS in tls.c.
 */
#include <string.h>
#include <fmt.h>
#include "addr.h"
#include "reply.h"
#include "smtpcmd.h"
#include "smtpd.h"

/* Trailing spaces are not part of an argument. */
static size_t trim(const char *arg, size_t len)
{
	while (len && (arg[len - 1] == ' ' || arg[len - 1] == '\t')) len--;
	return len;
}

int check_noarg(struct session *s, const char *arg, size_t len)
{
	(void)s;
	(void)arg;
	return trim(arg, len) ? R_NO_ARGS : R_NONE;
}

/* RFC 5321 4.1.1.1: a domain or an address literal.  We take any one word
 * of visible characters (many clients send a bare host name or junk), and
 * write it into Received only after cleaning (received.c). */
int check_helo(struct session *s, const char *arg, size_t len)
{
	size_t i;

	(void)s;
	len = trim(arg, len);
	if (!len || len > SMTPD_HELO_MAX) return R_HELO_ARG;
	for (i = 0; i < len; i++)
		if (arg[i] == ' ' || arg[i] == '\t') return R_HELO_ARG;
	return R_NONE;
}

static void greet(struct session *s, const char *arg, size_t len, int esmtp)
{
	session_reset_tx(s);
	s->helo = 1;
	s->esmtp = esmtp;
	if (!stralloc_copyb(&s->helo_name, arg, trim(arg, len)) || !stralloc_0(&s->helo_name)) {
		s->helo_name.len = 0;
		return;
	}
	s->helo_name.len--;
}

void do_helo(struct session *s, const char *arg, size_t len)
{
	greet(s, arg, len, 0);
	reply(s, R_HELO);
}

/* The EHLO reply lists our extensions, each on a "250-" line. */
void do_ehlo(struct session *s, const char *arg, size_t len)
{
	char num[FMT_ULONG];

	greet(s, arg, len, 1);
	stream_puts(&s->st, "250-");
	stream_puts(&s->st, s->conf->me);
	stream_puts(&s->st, "\r\n250-PIPELINING\r\n");
	if (s->conf->databytes) {
		num[fmt_ulong(num, s->conf->databytes)] = 0;
		stream_puts(&s->st, "250-SIZE ");
		stream_puts(&s->st, num);
		stream_puts(&s->st, "\r\n");
	} else {
		stream_puts(&s->st, "250-SIZE\r\n");
	}
	stream_puts(&s->st, "250-8BITMIME\r\n250-SMTPUTF8\r\n250-ENHANCEDSTATUSCODES\r\n250-CHUNKING\r\n");
	if (!session_tls_active(s) && tls_available(s)) stream_puts(&s->st, "250-STARTTLS\r\n");
	if (session_auth_offered(s) && !s->auth_user.len) stream_puts(&s->st, "250-AUTH PLAIN LOGIN\r\n");
	stream_puts(&s->st, "250 HELP\r\n");
}

int check_mail(struct session *s, const char *arg, size_t len)
{
	(void)arg, (void)len;
	if (!s->helo) return R_HELO_FIRST;
	if (s->tx.active) return R_NESTED_MAIL;
	if (s->conf->submission && !s->auth_user.len) return R_AUTH_REQUIRED;
	return R_NONE;
}

static int path_error(int err, int sender)
{
	switch (err) {
	case SMTPCMD_ERR_CONTROL: return R_CONTROL;
	case SMTPCMD_ERR_PATH: return sender ? R_SENDER_SYNTAX : R_RCPT_SYNTAX;
	case SMTPCMD_ERR_PARAM:
	case SMTPCMD_ERR_TOOMANY: return R_PARAM_SYNTAX;
	}
	return R_SYNTAX;
}

/* The parameters of MAIL (RFC 1870 SIZE, RFC 6152 BODY, RFC 6531
 * SMTPUTF8, RFC 4954 AUTH); sets the transaction's flags. */
static int mail_params(struct session *s, const struct smtpcmd_param *p, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++, p++) {
		unsigned long long size;
		if (smtpcmd_is(p->key, p->keylen, "SIZE")) {
			if (!p->value || smtpcmd_number(p->value, p->vallen, &size)) return R_PARAM_SYNTAX;
			if (s->conf->databytes && size > s->conf->databytes) return R_SIZE_TOO_BIG;
		} else if (smtpcmd_is(p->key, p->keylen, "BODY")) {
			if (p->value && smtpcmd_is(p->value, p->vallen, "8BITMIME")) s->tx.body8bit = 1;
			else if (!p->value || !smtpcmd_is(p->value, p->vallen, "7BIT")) return R_BODY_UNKNOWN;
		} else if (smtpcmd_is(p->key, p->keylen, "SMTPUTF8")) {
			if (p->value) return R_PARAM_SYNTAX;
			s->tx.smtputf8 = 1;
		} else if (smtpcmd_is(p->key, p->keylen, "AUTH")) {
			/* RFC 4954 5: we may ignore it, and do (we do not relay
			 * on another server's word) */
			if (!p->value) return R_PARAM_SYNTAX;
		} else {
			return R_PARAM_UNKNOWN;
		}
	}
	return R_NONE;
}

void do_mail(struct session *s, const char *arg, size_t len)
{
	static stralloc detail;
	struct smtpcmd_param params[SMTPCMD_PARAMS_MAX];
	const char *path;
	size_t pathlen;
	unsigned n;
	int r;

	r = smtpcmd_path(arg, len, "FROM:", &path, &pathlen, params, &n);
	if (r) {
		reply_detail(s, path_error(r, 1), smtpcmd_strerror(r));
		return;
	}
	s->tx.smtputf8 = s->tx.body8bit = 0;
	if ((r = mail_params(s, params, n)) != R_NONE) {
		reply(s, r);
		return;
	}
	r = policy_sender(s, path, pathlen, ADDR_ALLOW_EMPTY | ADDR_ALLOW_RELAYCHARS | (s->tx.smtputf8 ? ADDR_ALLOW_UTF8 : 0),
	                  &s->tx.sender);
	if (r != R_NONE) {
		reply(s, r);
		return;
	}
	if ((r = checks_mail(s, &detail)) != R_NONE) {
		reply_detail(s, r, detail.len ? detail.s : 0);
		return;
	}
	s->tx.active = 1;
	s->tx.nrcpt = s->tx.rcpt_tries = 0;
	s->tx.rcpts.len = 0;
	reply(s, R_MAIL_OK);
}

int check_rcpt(struct session *s, const char *arg, size_t len)
{
	(void)arg, (void)len;
	if (!s->tx.active) return R_NEED_MAIL;
	if (s->tx.chunking) return R_NESTED_MAIL;
	return R_NONE;
}

/* Is addr (NUL-terminated) already among the accepted recipients?  Bounded
 * by maxrcpt, so the linear walk stays cheap. */
static int have_rcpt(const struct session *s, const char *addr)
{
	size_t i = 0;

	while (i < s->tx.rcpts.len) {
		const char *r = s->tx.rcpts.s + i;
		if (!strcmp(r, addr)) return 1;
		i += strlen(r) + 1;
	}
	return 0;
}

void do_rcpt(struct session *s, const char *arg, size_t len)
{
	struct smtpcmd_param params[SMTPCMD_PARAMS_MAX];
	static stralloc canon, detail;
	const char *path;
	size_t pathlen;
	unsigned n;
	int r;

	s->tx.rcpt_tries++;
	r = smtpcmd_path(arg, len, "TO:", &path, &pathlen, params, &n);
	if (r) {
		reply_detail(s, path_error(r, 0), smtpcmd_strerror(r));
		return;
	}
	if (n) {
		/* DSN (NOTIFY, ORCPT) is not offered */
		reply(s, R_PARAM_UNKNOWN);
		return;
	}
	r = policy_rcpt(s, path, pathlen, ADDR_ALLOW_NODOMAIN | (s->tx.smtputf8 ? ADDR_ALLOW_UTF8 : 0), &canon);
	if (r != R_NONE) {
		if (r == R_NO_USER || r == R_RELAY_DENIED) reply_detail(s, r, canon.len ? canon.s : 0);
		else reply(s, r);
		return;
	}
	if ((r = checks_rcpt(s, &detail)) != R_NONE) {
		reply_detail(s, r, detail.len ? detail.s : 0);
		return;
	}
	if (!have_rcpt(s, canon.s)) {
		if (s->tx.nrcpt >= s->conf->maxrcpt) {
			reply(s, R_TOO_MANY_RCPT);
			return;
		}
		if (!stralloc_catb(&s->tx.rcpts, canon.s, canon.len + 1)) {
			reply(s, R_QUEUE_TEMP);
			return;
		}
		s->tx.nrcpt++;
	}
	reply(s, R_RCPT_OK);
}

void do_rset(struct session *s, const char *arg, size_t len)
{
	(void)arg, (void)len;
	session_reset_tx(s);
	reply(s, R_OKAY);
}

void do_noop(struct session *s, const char *arg, size_t len)
{
	(void)arg, (void)len;
	reply(s, R_OKAY);
}

void do_vrfy(struct session *s, const char *arg, size_t len)
{
	(void)arg, (void)len;
	reply(s, R_VRFY);
}

void do_expn(struct session *s, const char *arg, size_t len)
{
	(void)arg, (void)len;
	reply(s, R_NOT_IMPLEMENTED);
}

void do_help(struct session *s, const char *arg, size_t len)
{
	(void)arg, (void)len;
	reply(s, R_HELP);
}

void do_quit(struct session *s, const char *arg, size_t len)
{
	(void)arg, (void)len;
	reply(s, R_QUIT);
	s->quit = 1;
	s->end_reason = "quit";
}
