#ifndef SRVOPTS_H
#define SRVOPTS_H
#include <stralloc.h>
/*
 * What posthorn-pop3d and posthorn-imapd share before a login: the
 * command line and start-up rules, the settings both read, and the
 * STARTTLS step (IMAP's STARTTLS, POP3's STLS).  Part of the TLS archive
 * (it starts TLS through tlsserver.h).
 *
 *     posthorn-NAME [-C DIR] [-T] [-L]
 *
 * -C the config dir, -T implicit TLS, -L the session after a login
 * (posthorn-mailauth only).  Neither runs as root: the login half runs as
 * an account that can read no mailbox, the session as the mail owner.
 */

struct stream;
struct tls;

struct srvopts {
	int implicit_tls;   /* -T */
	int resume;         /* -L */
	const char *ip;     /* the client's address (peer.h: $TCPREMOTEIP, else getpeername, which is then put
	                       in $TCPREMOTEIP for posthorn-mailauth's login bans); null if unknown */
};

/* What a server tells srvopts_start of itself; a constant of its main.c. */
struct srvdesc {
	const char *service;             /* "pop3d": posthorn-SERVICE, and its config files' prefix */
	unsigned long preauth_timeout;   /* default of SERVICE-preauth-timeout */
	const char *conf_bye;            /* its "misconfigured, try later" line, CRLF included */
};

/* The settings both read from the config dir. */
struct srvconf {
	stralloc me;                 /* host name for the greeting */
	stralloc certpath, keypath;  /* tls/cert.pem, tls/key.pem */
	int tls_available;           /* both exist (they are loaded only by sessions that use TLS) */
	int cleartext_ok;            /* logins without TLS: SERVICE-cleartext 1, or $SERVICE_CLEARTEXT=1
	                                (set per client by tcprules) */
	unsigned long preauth_timeout;   /* SERVICE-preauth-timeout: seconds from the connection
	                                    to a login, in all (1 to SRV_PREAUTH_TIMEOUT_MAX) */
};

#define SRV_PREAUTH_TIMEOUT_MAX 3600

/* The start of both servers' main(), in this order: log_init
 * ("posthorn-SERVICE"); the options (usage on stderr and exit 64 when they
 * are wrong); no root (exit 111,
 * logged); conf_init; io on fd 0/1 (with d->preauth_timeout as its
 * timeout); conf from srvconf_read (a file that cannot be read:
 * srvconf_fail); -T without a certificate and key: exit 111, logged. */
void srvopts_start(int argc, char **argv, const struct srvdesc *d, struct srvopts *o, struct stream *io,
		   struct srvconf *conf);

/* Reads them for service ("pop3d", "imapd"); preauth_default is the
 * service's login deadline when its file is missing.  0, or -1 with *bad
 * naming the file and errno set (0 for a bad value). */
int srvconf_read(struct srvconf *c, const char *service, unsigned long preauth_default, const char **bad);

/* A config file that cannot be read (errno says why; 0: a bad value):
 * logged (config-error), d->conf_bye said on io, exit 111.  The admin
 * fixes it; the client tries again later. */
_Noreturn void srvconf_fail(const struct srvdesc *d, struct stream *io, const char *file);

/* STARTTLS (RFC 3501 6.2.1) and STLS (RFC 2595 4), before their reply:
 * SRVTLS_ACTIVE when TLS is on already, SRVTLS_NONE without a certificate
 * and key, SRVTLS_FAIL when the TLS context cannot be made (logged), else
 * SRVTLS_GO: the caller answers "go ahead" and calls srvtls_start.  The
 * context *ctx is made on first use (tlsserver_ready). */
enum srvtls { SRVTLS_GO, SRVTLS_ACTIVE, SRVTLS_NONE, SRVTLS_FAIL };
enum srvtls srvtls_check(const struct stream *io, const struct srvconf *conf, struct tls **ctx, const char *ip);

/* The handshake after the go-ahead (tlsserver_start: the reply is
 * flushed and what the client pipelined after the command is dropped),
 * logged as event tls with its version and cipher.  0, or -1 (logged):
 * the session cannot go on. */
int srvtls_start(struct stream *io, const struct srvconf *conf, struct tls **ctx, const char *ip);
#endif
