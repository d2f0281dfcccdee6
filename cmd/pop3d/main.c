/*
 * posthorn-pop3d: a POP3 server (RFC 1939, 2449, 2595, 5034) on fd 0/1 over
 * one user's Maildir, one process per connection under tcpserver or inetd;
 * see posthorn-pop3d(8).
 *
 *     posthorn-pop3d [-C DIR] [-T]
 *
 * -T: implicit TLS (port 995): the handshake comes before the greeting.
 * -L: (posthorn-mailauth only) the session after a good login.
 * main() reads the options, the environment and the config dir (once), then
 * hands over to session_run (or session_resume), which never returns.
 * Never as root: the login half runs as an account that can read no
 * mailbox, the session as the mail owner (handoff.h).
 */
#include <errno.h>
#include "conf.h"
#include "exitcode.h"
#include "srvopts.h"
#include "pop3d.h"

struct session S;

/* RFC 3206: a client shows [SYS/TEMP] as "try again later" */
static const struct srvdesc server = {
	.service = "pop3d", .preauth_timeout = POP3_PREAUTH_TIMEOUT_DEFAULT,
	.conf_bye = "-ERR [SYS/TEMP] server misconfigured, try again later\r\n",
};

int main(int argc, char **argv)
{
	struct srvopts o;

	S.lockfd = -1;
	srvopts_start(argc, argv, &server, &o, &S.io, &S.conf);
	errno = 0;
	if (conf_ulong("pop3d-timeout", &S.timeout, POP3_TIMEOUT_DEFAULT) < 0 || !S.timeout || S.timeout > 86400)
		srvconf_fail(&server, &S.io, "pop3d-timeout");
	S.io.timeout = (unsigned)S.timeout;
	S.implicit_tls = o.implicit_tls;
	S.ip = o.ip;
	S.method = "-";
	S.state = ST_AUTH;
	if (o.resume) session_resume();
	session_run();
	return EXIT_DONE;
}
