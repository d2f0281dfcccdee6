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
	char host[256];
	unsigned long n;
	const char *env;

	errno = 0;
	if (!conf_path(&S.certpath, "tls/cert.pem") || !conf_path(&S.keypath, "tls/key.pem"))
		conf_fail("tls/cert.pem");
	if (gethostname(host, sizeof host) < 0) strcpy(host, "posthorn");
	host[sizeof host - 1] = 0;
	if (conf_line("me", &S.me, host) < 0) conf_fail("me");
	if (conf_ulong("pop3d-cleartext", &n, 0) < 0 || n > 1) conf_fail("pop3d-cleartext");
	S.cleartext_ok = n == 1;
	env = getenv("POP3D_CLEARTEXT");
	if (env && !strcmp(env, "1")) S.cleartext_ok = 1;
	if (conf_ulong("pop3d-timeout", &S.timeout, POP3_TIMEOUT_DEFAULT) < 0 || !S.timeout || S.timeout > 86400)
		conf_fail("pop3d-timeout");
	/* Only whether the files exist: loading them is for sessions that
	 * use TLS. */
	S.tls_available = access(S.certpath.s, F_OK) == 0 && access(S.keypath.s, F_OK) == 0;
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
	srvopts_check_tls(&o, S.tls_available);
	if (o.resume) session_resume();
	session_run();
	return EXIT_DONE;
}
