/* tlsserver: the servers' libtls context; contract in tlsserver.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <tls.h>
#include "log.h"
#include "stream.h"
#include "tlsserver.h"

/* Reads the ticket keys file (tlsserver.h) into cfg.  0 (also when there is
 * no file: no resumption, as without tickets), or -1 with *err set. */
static int ticket_keys(struct tls_config *cfg, const char *keypath, const char **err)
{
	unsigned char buf[TLSSERVER_TICKET_KEYS * TLS_TICKET_KEY_SIZE + 1];
	char path[4096];
	const char *slash = strrchr(keypath, '/');
	size_t dirlen = slash ? (size_t)(slash - keypath) + 1 : 0;
	size_t got = 0, n, i;
	ssize_t r;
	int fd;

	if (dirlen + sizeof TLSSERVER_TICKET_FILE > sizeof path) {
		*err = "ticket key path too long";
		return -1;
	}
	memcpy(path, keypath, dirlen);
	memcpy(path + dirlen, TLSSERVER_TICKET_FILE, sizeof TLSSERVER_TICKET_FILE);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT) return 0;
		*err = "cannot open tls/" TLSSERVER_TICKET_FILE;
		return -1;
	}
	/* one byte more than the largest valid file, to tell it is too long */
	while (got < sizeof buf && (r = read(fd, buf + got, sizeof buf - got)) != 0) {
		if (r < 0) {
			if (errno == EINTR) continue;
			close(fd);
			*err = "cannot read tls/" TLSSERVER_TICKET_FILE;
			return -1;
		}
		got += (size_t)r;
	}
	close(fd);
	n = got / TLS_TICKET_KEY_SIZE;
	if (got % TLS_TICKET_KEY_SIZE || n < 1 || n > TLSSERVER_TICKET_KEYS) {
		*err = "tls/" TLSSERVER_TICKET_FILE " must hold 48 or 96 bytes";
		return -1;
	}
	/* Oldest first: libtls issues tickets under the key added last and
	 * accepts every key it holds.  A key's name in its tickets (sent in
	 * the clear) is its keyrev: the first 4 bytes of the key's SHA-256,
	 * the same in every process and for the key's whole life, and no
	 * part of the key itself. */
	for (i = n; i-- > 0;) {
		unsigned char md[SHA256_DIGEST_LENGTH];
		uint32_t rev;

		SHA256(buf + i * TLS_TICKET_KEY_SIZE, TLS_TICKET_KEY_SIZE, md);
		memcpy(&rev, md, sizeof rev);
		if (tls_config_add_ticket_key(cfg, rev, buf + i * TLS_TICKET_KEY_SIZE, TLS_TICKET_KEY_SIZE)) {
			OPENSSL_cleanse(buf, sizeof buf);
			*err = tls_config_error(cfg);
			return -1;
		}
	}
	OPENSSL_cleanse(buf, sizeof buf);
	/* RFC 8446 4.6.1: a ticket lives at most 7 days; ours far less, so a
	 * stolen ticket key opens few past sessions.  The session id context
	 * is the program: a ticket of posthorn-imapd does not resume a
	 * posthorn-pop3d session (OpenSSL compares it on resumption). */
	if (tls_config_set_session_lifetime(cfg, TLSSERVER_TICKET_LIFETIME) ||
	    tls_config_set_session_id(cfg, (const unsigned char *)program_invocation_short_name,
	                              strnlen(program_invocation_short_name, TLS_MAX_SESSION_ID_LENGTH))) {
		*err = tls_config_error(cfg);
		return -1;
	}
	return 0;
}

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
	 *   libssl's texts stay: they name the handshake failures clients
	 *   cause, for 0.5% of the cost;
	 * - no OPENSSL_cleanup at exit: freeing every table one by one just
	 *   before the process ends, whose memory the kernel drops anyway.
	 * Measured (callgrind, one smtpd -s -t connection): 36.8 -> 32.3
	 * million instructions, and 0.84 M less without the cleanup. */
	if (!OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_ADD_ALL_CIPHERS |
	                         OPENSSL_INIT_NO_ADD_ALL_DIGESTS | OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS |
	                         OPENSSL_INIT_NO_ATEXIT, 0) ||
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
	else if (ticket_keys(cfg, keypath, &err) < 0)
		;
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
