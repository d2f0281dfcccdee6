/*
 * STARTTLS (RFC 3207) and implicit TLS (RFC 8314, port 465).
 *
 * The certificate and key are CONF/tls/cert.pem and CONF/tls/key.pem.
 * STARTTLS is offered when both are readable; libtls itself (tls_init, the
 * files, the handshake keys) is set up only when a session starts TLS, so a
 * plain session pays nothing for it.
 *
 * RFC 3207 4.2: whatever the client pipelined after STARTTLS is discarded
 * (lib/stream does that before the handshake), and after the handshake the
 * session starts over: HELO/EHLO, any transaction and any AUTH are
 * forgotten.
 */
#include <unistd.h>
#include <tls.h>
#include "log.h"
#include "reply.h"
#include "smtpd.h"
#include "tlsserver.h"

static struct tls *server;

/* 0 and *ctx, or -1 (logged). */
static int server_ctx(struct session *s, struct tls **ctx)
{
	const char *why;

	if (!server && !(server = tlsserver_new(s->conf->certpath.s, s->conf->keypath.s, &why))) {
		log_event("tls", "error", why, "cert", s->conf->certpath.s, (char *)0);
		return -1;
	}
	*ctx = server;
	return 0;
}

int tls_available(const struct session *s)
{
	static int known, yes;

	if (!known) {
		yes = !access(s->conf->certpath.s, R_OK) && !access(s->conf->keypath.s, R_OK);
		known = 1;
	}
	return yes;
}

int check_starttls(struct session *s, const char *arg, size_t len)
{
	if (session_tls_active(s)) return R_TLS_ALREADY;
	if (!tls_available(s)) return R_TLS_UNAVAILABLE;
	return check_noarg(s, arg, len);
}

static void handshake_failed(struct session *s)
{
	log_event("tls", "client", s->peer.remote_ip, "error", stream_error(&s->st), (char *)0);
	s->quit = 1;
	s->end_reason = "tls-failed";
}

void do_starttls(struct session *s, const char *arg, size_t len)
{
	struct tls *ctx;

	(void)arg, (void)len;
	if (server_ctx(s, &ctx)) {
		reply(s, R_TLS_TEMP);
		return;
	}
	reply(s, R_TLS_GO);
	/* stream_starttls_server flushes our 220, then drops pipelined input */
	if (stream_starttls_server(&s->st, ctx)) {
		handshake_failed(s);
		return;
	}
	session_reset_tx(s);
	s->helo = s->esmtp = 0;
	s->helo_name.len = 0;
	s->auth_user.len = 0;
}

int tls_implicit(struct session *s)
{
	struct tls *ctx;

	if (!tls_available(s) || server_ctx(s, &ctx)) {
		log_event("tls", "error", "implicit TLS (-t) without a usable tls/cert.pem and tls/key.pem", (char *)0);
		s->quit = 1;
		s->end_reason = "tls-unavailable";
		return -1;
	}
	if (stream_starttls_server(&s->st, ctx)) {
		handshake_failed(s);
		return -1;
	}
	return 0;
}
