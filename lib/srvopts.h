#ifndef SRVOPTS_H
#define SRVOPTS_H
#include <stralloc.h>
/*
 * The command line and start-up rules that posthorn-pop3d and
 * posthorn-imapd share:
 *
 *     posthorn-NAME [-C DIR] [-T] [-L]
 *
 * -C the config dir, -T implicit TLS, -L the session after a login
 * (posthorn-mailauth only).  Neither runs as root: the login half runs as
 * an account that can read no mailbox, the session as the mail owner.
 */

struct srvopts {
	int implicit_tls;   /* -T */
	int resume;         /* -L */
};

/* Parses the options (usage on stderr and exit 64 when they are wrong),
 * refuses to go on as root (exit 111, logged), and calls conf_init. */
void srvopts_start(int argc, char **argv, const char *usage, struct srvopts *o);

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

/* Reads them for service ("pop3d", "imapd"); preauth_default is the
 * service's login deadline when its file is missing.  0, or -1 with *bad
 * naming the file and errno set (0 for a bad value). */
int srvconf_read(struct srvconf *c, const char *service, unsigned long preauth_default, const char **bad);

/* -T without a certificate and key: logs it and exits 111. */
void srvopts_check_tls(const struct srvopts *o, int tls_available);
#endif
