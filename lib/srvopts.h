#ifndef SRVOPTS_H
#define SRVOPTS_H
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

/* -T without a certificate and key: logs it and exits 111. */
void srvopts_check_tls(const struct srvopts *o, int tls_available);
#endif
