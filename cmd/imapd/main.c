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
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "conf.h"
#include "exitcode.h"
#include "log.h"
#include "srvopts.h"
#include "reply.h"
#include "session.h"

struct session S;

static const char usage_text[] = "usage: posthorn-imapd [-C DIR] [-T]\n";

_Noreturn static void conf_fail(const char *name)
{
	log_event("config-error", "file", name, "dir", conf_dir(), "error", errno ? strerror(errno) : "bad value",
		  (char *)0);
	out("* BYE [UNAVAILABLE] server misconfigured, try again later\r\n");
	stream_flush(&S.io);
	_exit(EXIT_TEMP);
}

static void read_config(void)
{
	const char *bad;

	if (srvconf_read(&S.conf, "imapd", IMAP_PREAUTH_TIMEOUT, &bad) < 0) conf_fail(bad);
	errno = 0;
	if (conf_ulong("imapd-timeout", &S.timeout, IMAP_TIMEOUT_DEFAULT) < 0 || S.timeout < 60 ||
	    S.timeout > 86400)
		conf_fail("imapd-timeout");
	if (conf_ulong("imapd-maxmsg", &S.append_max, IMAP_APPEND_MAX_DEFAULT) < 0 || S.append_max < 1024 ||
	    S.append_max > (1UL << 30))
		conf_fail("imapd-maxmsg");
}

int main(int argc, char **argv)
{
	struct srvopts o;

	log_init("posthorn-imapd");
	srvopts_start(argc, argv, usage_text, &o);
	S.implicit_tls = o.implicit_tls;
	S.ip = getenv("TCPREMOTEIP");
	S.state = ST_NOAUTH;
	S.method = "-";
	stream_init(&S.io, 0, 1, IMAP_PREAUTH_TIMEOUT);
	read_config();
	srvopts_check_tls(&o, S.conf.tls_available);
	if (o.resume) session_resume();
	session_run();
	return EXIT_DONE;
}
