/* tlsserver: the servers' libtls context; contract in tlsserver.h. */
#include <stdio.h>
#include <tls.h>
#include "log.h"
#include "stream.h"
#include "tlsserver.h"

struct tls *tlsserver_new(const char *certpath, const char *keypath, const char **why)
{
	static char reason[256];
	struct tls_config *cfg;
	struct tls *server = 0;
	const char *err = 0;

	*why = 0;
	if (tls_init()) {
		*why = "tls_init failed";
		return 0;
	}
	if (!(cfg = tls_config_new())) {
		*why = "tls_config_new failed";
		return 0;
	}
	if (tls_config_set_protocols(cfg, TLS_PROTOCOLS_DEFAULT) || tls_config_set_cert_file(cfg, certpath) ||
	    tls_config_set_key_file(cfg, keypath))
		err = tls_config_error(cfg);
	else if (!(server = tls_server()))
		err = "tls_server failed";
	else if (tls_configure(server, cfg))
		err = tls_error(server);
	if (err) {
		/* libtls owns err's memory: copy it before freeing its owner.
		 * Cut at 256 bytes on purpose: a text for the log, no name. */
		snprintf(reason, sizeof reason, "%s", err);
		*why = reason;
		if (server) tls_free(server);
		server = 0;
	}
	/* A configured context keeps what it needs of cfg. */
	tls_config_free(cfg);
	return server;
}

int tlsserver_ready(struct tls **ctx, const char *certpath, const char *keypath, const char *ip)
{
	const char *why;

	if (*ctx) return 0;
	if (!(*ctx = tlsserver_new(certpath, keypath, &why))) {
		log_event("tls-error", "ip", ip, "error", why, (char *)0);
		return -1;
	}
	return 0;
}

int tlsserver_start(struct stream *s, struct tls **ctx, const char *certpath, const char *keypath, const char *ip)
{
	if (tlsserver_ready(ctx, certpath, keypath, ip) < 0) return -1;
	if (stream_starttls_server(s, *ctx)) {
		log_event("tls-error", "ip", ip, "error", stream_error(s), (char *)0);
		return -1;
	}
	return 0;
}
