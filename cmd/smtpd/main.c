/*
 * posthorn-smtpd: the SMTP server of posthorn (see posthorn-smtpd(8)).
 *
 *     posthorn-smtpd [-C DIR] [-s] [-t]       on fd 0/1, from tcpserver or inetd
 *
 *   -C DIR  the config dir (else $POSTHORN_CONF, else /etc/posthorn)
 *   -s      submission: MAIL only after AUTH (port 587, and 465 with -t)
 *   -t      implicit TLS: the handshake comes first (port 465)
 *
 * Refuses to run as root: run it under tcpserver -u/-g (or inetd's user
 * field) as an account that can read users.cdb and tls/key.pem.
 * Exit 0 after a session (whatever became of its messages), 111 when the
 * session could not start, 64 for a bad command line.
 */
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <fmt.h>
#include "conf.h"
#include "exitcode.h"
#include "log.h"
#include "smtpd.h"

static struct smtpd_conf conf;
static struct session session;

static void log_connection(struct session *s)
{
	char msgs[FMT_ULONG], errs[FMT_ULONG];

	msgs[fmt_ulong(msgs, s->messages)] = 0;
	errs[fmt_ulong(errs, s->errors)] = 0;
	log_event("connection", "client", s->peer.remote_ip, "port", s->peer.remote_port,
	          "host", s->peer.remote_host[0] ? s->peer.remote_host : 0,
	          "local", s->peer.local_ip, "helo", s->helo_name.len ? s->helo_name.s : 0,
	          "tls", session_tls_active(s) ? stream_tls_version(&s->st) : 0,
	          "auth", s->auth_user.len ? s->auth_user.s : 0, "messages", msgs, "errors", errs,
	          "end", s->end_reason ? s->end_reason : "eof", (char *)0);
}

int main(int argc, char **argv)
{
	const char *confdir = 0;
	int opt;

	log_init("posthorn-smtpd");
	/* our own pipe writes check for EPIPE; lib/stream guards its own */
	signal(SIGPIPE, SIG_IGN);
	while ((opt = getopt(argc, argv, "C:st")) != -1) {
		switch (opt) {
		case 'C': confdir = optarg; break;
		case 's': conf.submission = 1; break;
		case 't': conf.implicit_tls = 1; break;
		default:
			log_event("fatal", "error", "usage: posthorn-smtpd [-C DIR] [-s] [-t]", (char *)0);
			return EXIT_USAGE;
		}
	}
	if (geteuid() == 0) {
		static const char msg[] = "421 4.3.0 service not available, try again later\r\n";
		ssize_t w;
		log_event("fatal", "error", "refusing to run as root: use tcpserver -u/-g or inetd's user field", (char *)0);
		w = write(1, msg, sizeof msg - 1);
		(void)w;
		return EXIT_TEMP;
	}
	conf_init(confdir);
	config_read(&conf);

	session.conf = &conf;
	peer_get(&session.peer, 0);
	stream_init(&session.st, 0, 1, (unsigned)conf.timeout);
	session_run(&session);
	stream_flush(&session.st);
	log_connection(&session);   /* while the TLS details are still there */
	stream_close(&session.st);
	return EXIT_DONE;
}
