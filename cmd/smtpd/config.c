/*
 * The config dir as posthorn-smtpd reads it, once at start-up (every file
 * is optional; posthorn-smtpd(8) lists them):
 *
 *   me                      host name; default: gethostname()
 *   users.cdb               the user list
 *   tls/cert.pem, tls/key.pem
 *   databytes               largest message (shared with posthorn-queue)
 *   delimiter               plus-addressing character (shared with local)
 *   smtpd-maxrcpt           recipients per message
 *   smtpd-timeout           seconds we wait for the client, each time
 *   smtpd-maxerrors         errors before we hang up
 *   smtpd-maxhops           Received fields before a message is a loop
 *   smtpd-auth-cleartext    1: offer AUTH without TLS too
 *
 * A file that exists but cannot be read stops the session with 421 (the
 * client retries later) rather than running with a default the admin did
 * not mean.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "conf.h"
#include "exitcode.h"
#include "log.h"
#include "smtpd.h"

_Noreturn static void unavailable(const char *name)
{
	static const char msg[] = "421 4.3.0 service not available, try again later\r\n";
	ssize_t w;

	log_event("fatal", "error", "unable to read config file", "dir", conf_dir(), "file", name,
	          "reason", strerror(errno), (char *)0);
	w = write(1, msg, sizeof msg - 1);
	(void)w;
	_exit(EXIT_TEMP);
}

static unsigned long number(const char *name, unsigned long dflt, unsigned long min, unsigned long max)
{
	unsigned long v;

	if (conf_ulong(name, &v, dflt) < 0) unavailable(name);
	if (v < min) v = min;
	if (v > max) v = max;
	return v;
}

void config_read(struct smtpd_conf *c)
{
	stralloc line = {0};
	char host[256];

	if (conf_line("me", &c->me_sa, "") < 0) unavailable("me");
	if (!c->me_sa.len) {
		if (gethostname(host, sizeof host)) strcpy(host, "localhost");   /* fits: a short constant */
		host[sizeof host - 1] = 0;
		if (!stralloc_copys(&c->me_sa, host) || !stralloc_0(&c->me_sa)) unavailable("me");
	}
	c->me = c->me_sa.s;
	if (!conf_path(&c->cdbpath, "users.cdb") || !conf_path(&c->certpath, "tls/cert.pem") ||
	    !conf_path(&c->keypath, "tls/key.pem"))
		unavailable("users.cdb");
	c->databytes = number("databytes", SMTPD_DATABYTES_DEFAULT, 0, ~0UL);
	c->maxrcpt = number("smtpd-maxrcpt", SMTPD_MAXRCPT_DEFAULT, 1, 10000);
	c->timeout = number("smtpd-timeout", SMTPD_TIMEOUT_DEFAULT, 1, 86400);
	c->maxerrors = number("smtpd-maxerrors", SMTPD_MAXERRORS_DEFAULT, 1, 1000000);
	c->maxhops = number("smtpd-maxhops", SMTPD_MAXHOPS_DEFAULT, 1, 100000);
	c->auth_cleartext = number("smtpd-auth-cleartext", 0, 0, 1) == 1;
	if (conf_line("delimiter", &line, "+") < 0) unavailable("delimiter");
	c->delim = line.len == 1 ? line.s[0] : 0;
	stralloc_free(&line);
	c->relayclient = getenv("RELAYCLIENT") != 0;
}
