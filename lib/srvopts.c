/* srvopts: pop3d's and imapd's shared start-up and STARTTLS; see srvopts.h. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <buffer.h>
#include "conf.h"
#include "exitcode.h"
#include "log.h"
#include "peer.h"
#include "srvopts.h"
#include "stream.h"
#include "tlsserver.h"

/* "posthorn-SERVICE": the log's name (log_init keeps the pointer) */
static char program[32];

/* -L is left out: it is posthorn-mailauth's, not a person's */
_Noreturn static void usage_exit(void)
{
	buffer_puts(buffer_2, "usage: ");
	buffer_puts(buffer_2, program);
	buffer_puts(buffer_2, " [-C DIR] [-T]\n");
	buffer_flush(buffer_2);
	_exit(EXIT_USAGE);
}

static void parse_options(int argc, char **argv, struct srvopts *o)
{
	const char *confdir = 0;
	int c;

	o->implicit_tls = o->resume = 0;
	while ((c = getopt(argc, argv, "C:TL")) != -1) {
		switch (c) {
		case 'C': confdir = optarg; break;
		case 'T': o->implicit_tls = 1; break;
		case 'L': o->resume = 1; break;
		default: usage_exit();
		}
	}
	if (optind != argc) usage_exit();
	if (geteuid() == 0) {
		log_event("fatal", "error", "refusing to run as root: use tcpserver -u/-g or inetd's user field",
			  (char *)0);
		_exit(EXIT_TEMP);
	}
	conf_init(confdir);
}

void srvopts_start(int argc, char **argv, const struct srvdesc *d, struct srvopts *o, struct stream *io,
		   struct srvconf *conf)
{
	const char *bad;

	/* fits: the service is pop3d or imapd */
	snprintf(program, sizeof program, "posthorn-%s", d->service);
	log_init(program);
	parse_options(argc, argv, o);
	/* tcpserver's TCPREMOTEIP, else (inetd, systemd's Accept=yes sockets)
	 * the socket's peer: every log line names the client */
	{
		static struct peer peer;
		peer_get(&peer, 0);
		o->ip = peer.remote_ip[0] ? peer.remote_ip : 0;
		/* posthorn-mailauth counts failed logins per client address
		 * (loginban.h) and reads it from $TCPREMOTEIP: under TLS its fd
		 * 0 is our socketpair, not the client's socket */
		if (!peer.from_env && o->ip) setenv("TCPREMOTEIP", o->ip, 1);
	}
	stream_init(io, 0, 1, (unsigned)d->preauth_timeout);
	if (srvconf_read(conf, d->service, d->preauth_timeout, &bad) < 0) srvconf_fail(d, io, bad);
	if (o->implicit_tls && !conf->tls_available) {
		log_event("config-error", "file", "tls/cert.pem", "dir", conf_dir(), "error",
			  "-T needs tls/cert.pem and tls/key.pem", (char *)0);
		_exit(EXIT_TEMP);
	}
}

_Noreturn void srvconf_fail(const struct srvdesc *d, struct stream *io, const char *file)
{
	log_event("config-error", "file", file, "dir", conf_dir(), "error", errno ? strerror(errno) : "bad value",
		  (char *)0);
	if (stream_put(io, d->conf_bye, strlen(d->conf_bye)) == 0) stream_flush(io);
	_exit(EXIT_TEMP);
}

/* SERVICE-SUFFIX into out; 0, or -1 (ENAMETOOLONG) for a service name
 * too long for it. */
static int service_name(char *out, size_t cap, const char *service, const char *suffix)
{
	if ((size_t)snprintf(out, cap, "%s%s", service, suffix) < cap) return 0;
	errno = ENAMETOOLONG;
	return -1;
}

int srvconf_read(struct srvconf *c, const char *service, unsigned long preauth_default, const char **bad)
{
	static char name[32], env[32], preauth[40];
	char host[256];
	unsigned long n;
	const char *v;
	size_t i;

	errno = 0;
	*bad = "tls/cert.pem";
	if (!conf_path(&c->certpath, "tls/cert.pem") || !conf_path(&c->keypath, "tls/key.pem")) return -1;
	if (gethostname(host, sizeof host) < 0) strcpy(host, "posthorn");   /* fits: a short constant */
	host[sizeof host - 1] = 0;
	*bad = "me";
	if (conf_line("me", &c->me, host) < 0) return -1;
	*bad = service;
	if (service_name(name, sizeof name, service, "-cleartext") < 0 ||
	    service_name(env, sizeof env, service, "_CLEARTEXT") < 0 ||
	    service_name(preauth, sizeof preauth, service, "-preauth-timeout") < 0)
		return -1;
	*bad = name;
	if (conf_ulong(name, &n, 0) < 0 || n > 1) return -1;
	c->cleartext_ok = n == 1;
	for (i = 0; env[i]; i++) env[i] = (char)toupper((unsigned char)env[i]);
	v = getenv(env);
	if (v && !strcmp(v, "1")) c->cleartext_ok = 1;
	/* A client that has not logged in holds a process and a connection
	 * slot of tcpserver's: it gets this long in all, however it trickles
	 * its bytes (RFC 1939's ten minutes are for a logged-in session). */
	*bad = preauth;
	errno = 0;
	if (conf_ulong(preauth, &c->preauth_timeout, preauth_default) < 0 || !c->preauth_timeout ||
	    c->preauth_timeout > SRV_PREAUTH_TIMEOUT_MAX)
		return -1;
	c->tls_available = access(c->certpath.s, F_OK) == 0 && access(c->keypath.s, F_OK) == 0;
	return 0;
}

enum srvtls srvtls_check(const struct stream *io, const struct srvconf *conf, struct tls **ctx, const char *ip)
{
	if (io->tls) return SRVTLS_ACTIVE;
	if (!conf->tls_available) return SRVTLS_NONE;
	if (tlsserver_ready(ctx, conf->certpath.s, conf->keypath.s, ip) < 0) return SRVTLS_FAIL;
	return SRVTLS_GO;
}

int srvtls_start(struct stream *io, const struct srvconf *conf, struct tls **ctx, const char *ip)
{
	if (tlsserver_start(io, ctx, conf->certpath.s, conf->keypath.s, ip) < 0) return -1;
	log_event("tls", "ip", ip, "version", stream_tls_version(io), "cipher", stream_tls_cipher(io), (char *)0);
	return 0;
}
