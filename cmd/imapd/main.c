/*
 * posthorn-imapd: an IMAP4rev1 server (RFC 3501 and the extensions in
 * posthorn-imapd(8)) on fd 0/1 over one user's Maildir++ folders, one
 * process per connection under tcpserver or inetd.
 *
 *     posthorn-imapd [-C DIR] [-T]
 *
 * -T: implicit TLS (port 993): the handshake comes before the greeting.
 * -L: (posthorn-mailauth only) the session after a good login.
 * main() reads the options, the environment and the config dir (once),
 * then hands over to session_run (or session_resume), which never returns.
 * Never as root: the login half runs as an account that can read no
 * mailbox, the session as the mail owner (handoff.h).
 */
#include <errno.h>
#include "conf.h"
#include "exitcode.h"
#include "learn.h"
#include "srvopts.h"
#include "reply.h"
#include "session.h"

struct session S;

static const struct srvdesc server = {
	.service = "imapd", .preauth_timeout = IMAP_PREAUTH_TIMEOUT,
	.conf_bye = "* BYE [UNAVAILABLE] server misconfigured, try again later\r\n",
};

/* imapd's own settings, after those srvopts_start read. */
static void read_config(void)
{
	const char *bad;

	errno = 0;
	if (conf_ulong("imapd-timeout", &S.timeout, IMAP_TIMEOUT_DEFAULT) < 0 || S.timeout < 60 ||
	    S.timeout > 86400)
		srvconf_fail(&server, &S.io, "imapd-timeout");
	if (conf_ulong("imapd-maxmsg", &S.append_max, IMAP_APPEND_MAX_DEFAULT) < 0 || S.append_max < 1024 ||
	    S.append_max > (1UL << 30))
		srvconf_fail(&server, &S.io, "imapd-maxmsg");
	if (learn_init(&bad) < 0) srvconf_fail(&server, &S.io, bad);
}

int main(int argc, char **argv)
{
	struct srvopts o;

	srvopts_start(argc, argv, &server, &o, &S.io, &S.conf);
	read_config();
	S.implicit_tls = o.implicit_tls;
	S.ip = o.ip;
	S.state = ST_NOAUTH;
	S.method = "-";
	if (o.resume) session_resume();
	session_run();
	return EXIT_DONE;
}
