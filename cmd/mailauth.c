/*
 * posthorn-mailauth: checks a POP3/IMAP login and starts the session that
 * serves it, as the mail owner; see posthorn-mailauth(8) and handoff.h.
 *
 *     posthorn-mailauth [-C DIR] pop3d|imapd
 *
 * Run by the login half of posthorn-pop3d / posthorn-imapd (an account
 * that cannot read mailboxes), with the client on fd 0/1, "login\0password\0"
 * and the session's state on fd 3, and fd 4 for the session's "+".
 * Installed set-user-ID to the mail owner, it is the only way from the
 * network's side to the Maildirs, so it trusts nothing its caller chose:
 * the config dir must be root's (or ours) and closed to others, the
 * program it runs is fixed (posthorn-SERVICE next to itself), and the
 * environment is rebuilt from a short list.
 *
 * Login bans (loginban.h) are kept here, on the trusted side, for both
 * services and with posthorn-smtpd's AUTH: a banned client address gets
 * exit 1 after the usual delay, like a wrong password, without its
 * password being checked, and every wrong password counts.  The address
 * is $TCPREMOTEIP, which the login half passes on (srvopts.h sets it
 * when tcpserver did not); a login half under an attacker's control could
 * lie about it, but not try passwords faster than the delay.
 *
 * Exit codes (before anything is said to the client): 1 wrong name or
 * password, 111 temporary trouble, 64 usage.  On success it does not exit:
 * it becomes the session.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "auth.h"
#include "conf.h"
#include "exedir.h"
#include "exitcode.h"
#include "handoff.h"
#include "log.h"
#include "loginban.h"
#include "logincreds.h"
#include "passwd.h"
#include "peer.h"

static struct userrec rec;   /* big: static, not on the stack */

/* The client's environment that the session may see (tcpserver's and
 * inetd's connection facts, used for logs); everything else is dropped. */
static const char *const keep_env[] = {
	"TCPREMOTEIP", "TCPREMOTEPORT", "TCPREMOTEHOST", "TCPREMOTEINFO",
	"TCPLOCALIP", "TCPLOCALPORT", "TCPLOCALHOST", "PROTO", 0
};

_Noreturn static void quit(int code, const char *why)
{
	if (why) log_event(code == HANDOFF_BAD ? "login-fail" : "error", "reason", why, (char *)0);
	_exit(code);
}

/* After a failed check: SERVICE-faildelay seconds (default 3, at most 60).
 * The wait is here, on the trusted side, so that even a login half under
 * an attacker's control cannot try passwords faster than this per try. */
static void fail_delay(const char *service)
{
	char name[32];
	unsigned long d;

	snprintf(name, sizeof name, "%s-faildelay", service);   /* fits: pop3d or imapd (main) */
	if (conf_ulong(name, &d, 3) < 0 || d > 60) {
		log_event("config-error", "file", name, "dir", conf_dir(), "error", "not 0 to 60; 3 used", (char *)0);
		d = 3;
	}
	if (d) sleep((unsigned)d);
}

static int setenv_from(stralloc *store, const char *name, const char *value)
{
	store->len = 0;
	return stralloc_copys(store, name) && stralloc_cats(store, "=") && stralloc_cats(store, value) &&
	       stralloc_0(store);
}

int main(int argc, char **argv)
{
	static char login[AUTH_LOGIN_MAX + 1], password[PASSWD_MAX + 1];
	static struct loginban_conf bans;
	static struct peer peer;
	static stralloc envs[sizeof keep_env / sizeof keep_env[0] + 3];
	char *newenv[sizeof keep_env / sizeof keep_env[0] + 4];
	const char *confdir = 0, *service;
	stralloc cdb = {0}, path = {0};
	unsigned i, n = 0;
	const char *bad;
	int opt, r;

	log_init("posthorn-mailauth");
	while ((opt = getopt(argc, argv, "C:")) != -1) {
		if (opt == 'C') confdir = optarg;
		else quit(EXIT_USAGE, "usage: posthorn-mailauth [-C dir] pop3d|imapd");
	}
	if (optind + 1 != argc) quit(EXIT_USAGE, "usage: posthorn-mailauth [-C dir] pop3d|imapd");
	service = argv[optind];
	if (strcmp(service, "pop3d") && strcmp(service, "imapd")) quit(EXIT_USAGE, "unknown service");
	if (getuid() == 0 || geteuid() == 0) quit(EXIT_TEMP, "refusing to run as root");
	conf_init(confdir);
	if (getuid() != geteuid() && !conf_trusted())
		quit(EXIT_TEMP, "refusing a config dir not owned by root or the mail owner, or writable by others");
	if (logincreds_read(HANDOFF_STATE_FD, login, sizeof login, password, sizeof password) < 0) {
		fail_delay(service);
		quit(HANDOFF_BAD, "malformed credentials");
	}
	if (loginban_conf_read(&bans, &bad) < 0) {
		explicit_bzero(password, sizeof password);
		log_event("config-error", "file", bad, "dir", conf_dir(), "error", strerror(errno), (char *)0);
		quit(EXIT_TEMP, 0);
	}
	peer_get(&peer, 0);   /* $TCPREMOTEIP */
	if (loginban_check(&bans, peer.remote_ip, time(0))) {
		explicit_bzero(password, sizeof password);
		loginban_fail(&bans, peer.remote_ip, time(0));   /* counted as refused */
		log_event("login-fail", "client", peer.remote_ip, "user", login, "reason", "banned", (char *)0);
		fail_delay(service);
		quit(HANDOFF_BAD, 0);
	}
	if (!conf_path(&cdb, "users.cdb")) quit(EXIT_TEMP, "out of memory");
	r = auth_check(cdb.s, login, password, &rec);
	explicit_bzero(password, sizeof password);
	if (r == AUTH_TEMP) quit(EXIT_TEMP, "users.cdb unreadable");
	if (r != AUTH_OK) {
		loginban_fail(&bans, peer.remote_ip, time(0));
		fail_delay(service);
		quit(HANDOFF_BAD, 0);   /* the login half logs it, with the client's address */
	}

	/* Set-user-ID: become the mail owner for good, real and saved ids too,
	 * so nothing the session runs can go back to the caller's account. */
	if (getuid() != geteuid()) {
		uid_t u = geteuid();
		if (setresuid(u, u, u) || getuid() != u) quit(EXIT_TEMP, "unable to become the mail owner");
	}
	for (i = 0; keep_env[i]; i++) {
		const char *v = getenv(keep_env[i]);
		if (v && setenv_from(&envs[n], keep_env[i], v)) newenv[n] = envs[n].s, n++;
	}
	if (!setenv_from(&envs[n], "POSTHORN_USER", rec.name)) quit(EXIT_TEMP, "out of memory");
	newenv[n] = envs[n].s, n++;
	if (!setenv_from(&envs[n], "POSTHORN_MAILDIR", rec.maildir)) quit(EXIT_TEMP, "out of memory");
	newenv[n] = envs[n].s, n++;
	/* the user's quota, for IMAP's GETQUOTA (RFC 9208); 0 is none */
	{
		char q[24];
		snprintf(q, sizeof q, "%llu", rec.quota);
		if (!setenv_from(&envs[n], "POSTHORN_QUOTA", q)) quit(EXIT_TEMP, "out of memory");
		newenv[n] = envs[n].s, n++;
	}
	newenv[n] = 0;
	if (!exedir_path(&path, strcmp(service, "pop3d") ? "posthorn-imapd" : "posthorn-pop3d"))
		quit(EXIT_TEMP, "unable to find the session program");
	{
		char *args[] = {path.s, "-C", (char *)conf_dir(), "-L", 0};
		execve(path.s, args, newenv);
	}
	log_event("error", "op", "exec", "file", path.s, "error", strerror(errno), (char *)0);
	_exit(EXIT_TEMP);
}
