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
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "conf.h"
#include "exitcode.h"
#include "log.h"
#include "srvopts.h"
#include "pop3d.h"

struct session S;

static const char usage_text[] = "usage: posthorn-pop3d [-C DIR] [-T]\n";

/* A config file we cannot read: say so to the client and the log, then go
 * (the admin fixes it; the client retries later). */
_Noreturn static void conf_fail(const char *name)
{
	log_event("config-error", "file", name, "dir", conf_dir(), "error", errno ? strerror(errno) : "bad value",
		  (char *)0);
	reply(R_SYS_TEMP);
	stream_flush(&S.io);
	_exit(EXIT_TEMP);
}

static void read_config(void)
{
	const char *bad;

	if (srvconf_read(&S.conf, "pop3d", POP3_PREAUTH_TIMEOUT_DEFAULT, &bad) < 0) conf_fail(bad);
	errno = 0;
	if (conf_ulong("pop3d-timeout", &S.timeout, POP3_TIMEOUT_DEFAULT) < 0 || !S.timeout || S.timeout > 86400)
		conf_fail("pop3d-timeout");
}

int main(int argc, char **argv)
{
	struct srvopts o;

	log_init("posthorn-pop3d");
	srvopts_start(argc, argv, usage_text, &o);
	S.implicit_tls = o.implicit_tls;
	S.ip = getenv("TCPREMOTEIP");
	S.state = ST_AUTH;
	S.lockfd = -1;
	S.method = "-";
	stream_init(&S.io, 0, 1, POP3_TIMEOUT_DEFAULT);
	read_config();
	S.io.timeout = (unsigned)S.timeout;
	srvopts_check_tls(&o, S.conf.tls_available);
	if (o.resume) session_resume();
	session_run();
	return EXIT_DONE;
}
