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
 *   smtpd-checks            0: no sender checks (checks.c)
 *   dnsblzones              DNS block and allow lists, weights (lib/dnsbl)
 *   dnsbl-threshold         score that refuses a client
 *   spf-reject              0: an SPF fail is only recorded
 *   dmarc-enforce           0: DMARC policies are only recorded
 *   dmarc-override          "domain policy" lines that replace a policy
 *   authserv-id             our name in Authentication-Results; default: me
 *   rspamd, clamd           content scanners' addresses (scan.c)
 *   scan-timeout, scan-failure, scan-maxsize
 *
 * A file that exists but cannot be read stops the session with 421 (the
 * client retries later) rather than running with a default the admin did
 * not mean.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fmt.h>
#include "conf.h"
#include "exitcode.h"
#include "log.h"
#include "smtpd.h"
#include "textfile.h"

static void checks_config(struct smtpd_conf *c);

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
	const char *bad;
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
	checks_config(c);
	if (scan_config(c, &bad) < 0) unavailable(bad);
}

/* The sender checks' files; nothing is read when they are off. */
static void checks_config(struct smtpd_conf *c)
{
	stralloc path = {0};
	const char *why;
	unsigned line;

	c->checks = number("smtpd-checks", 1, 0, 1) == 1;
	if (!c->checks) return;
	c->dnsbl_threshold = number("dnsbl-threshold", SMTPD_DNSBL_THRESHOLD, 0, 1000000);
	c->spf_reject = number("spf-reject", 1, 0, 1) == 1;
	c->dmarc_enforce = number("dmarc-enforce", 1, 0, 1) == 1;
	if (conf_line("authserv-id", &c->authserv_sa, c->me) < 0) unavailable("authserv-id");
	if (dnsbl_load(&c->dnsbl, &why, &line) < 0) {
		char num[FMT_ULONG];
		num[fmt_ulong(num, line)] = 0;
		log_event("fatal", "error", "bad DNSBL zone list", "file", DNSBL_FILE, "line", num, "reason", why, (char *)0);
		unavailable(DNSBL_FILE);
	}
	if (!conf_path(&path, "dmarc-override") ||
	    textfile_read(path.s, SMTPD_OVERRIDE_MAX, &c->dmarc_override, &why) < 0 ||
	    !stralloc_0(&c->dmarc_override))
		unavailable("dmarc-override");
	stralloc_free(&path);
}
