/* srvopts: pop3d's and imapd's shared start-up; see srvopts.h. */
#include <unistd.h>
#include <buffer.h>
#include "conf.h"
#include "exitcode.h"
#include "log.h"
#include "srvopts.h"

_Noreturn static void usage_exit(const char *usage)
{
	buffer_puts(buffer_2, usage);
	buffer_flush(buffer_2);
	_exit(EXIT_USAGE);
}

void srvopts_start(int argc, char **argv, const char *usage, struct srvopts *o)
{
	const char *confdir = 0;
	int c;

	o->implicit_tls = o->resume = 0;
	while ((c = getopt(argc, argv, "C:TL")) != -1) {
		switch (c) {
		case 'C': confdir = optarg; break;
		case 'T': o->implicit_tls = 1; break;
		case 'L': o->resume = 1; break;
		default: usage_exit(usage);
		}
	}
	if (optind != argc) usage_exit(usage);
	if (geteuid() == 0) {
		log_event("fatal", "error", "refusing to run as root: use tcpserver -u/-g or inetd's user field",
			  (char *)0);
		_exit(EXIT_TEMP);
	}
	conf_init(confdir);
}

void srvopts_check_tls(const struct srvopts *o, int tls_available)
{
	if (!o->implicit_tls || tls_available) return;
	log_event("config-error", "file", "tls/cert.pem", "dir", conf_dir(), "error",
		  "-T needs tls/cert.pem and tls/key.pem", (char *)0);
	_exit(EXIT_TEMP);
}
