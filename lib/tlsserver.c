/* tlsserver: the servers' libtls context; contract in tlsserver.h. */
#include <stdio.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>
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
	/* Each connection is a new process that pays libcrypto's set-up before
	 * its handshake, so ask for no more than a server uses.  These runs
	 * go first: libtls' own OPENSSL_init_ssl later finds them done.
	 * - no openssl.cnf: the server's settings are ours and libtls';
	 * - no legacy name tables of every cipher and digest (libssl fetches
	 *   its algorithms from the provider);
	 * - no libcrypto error texts (thousands of strings hashed into memory
	 *   at each start): libtls names a key or certificate that does not
	 *   load in its own words ("failed to read private key"), and a
	 *   libcrypto code left in a message is spelt out by `openssl errstr`.
	 *   libssl's texts stay: they
	 *   name the handshake failures clients cause, for 0.5% of the cost.
	 * Measured (callgrind, one smtpd -s -t connection): 36.8 -> 32.3
	 * million instructions. */
	if (!OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_ADD_ALL_CIPHERS |
	                         OPENSSL_INIT_NO_ADD_ALL_DIGESTS | OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS, 0) ||
	    !OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG, 0)) {
		*why = "libcrypto initialisation failed";
		return 0;
	}
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
