/*
 * posthorn-remote: sends one queued message to one domain by SMTP (see
 * posthorn-remote(8)).
 *
 *     posthorn-remote [-C DIR] DOMAIN SENDER RCPT...   < message (seekable)
 *
 * Writes one line per recipient, in argument order, for posthorn-runq:
 * "ok REASON", "defer REASON" or "fail REASON".  Exit 0 when every line was
 * written (whatever they say), 111 when we could not even start, 64 usage.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include <buffer.h>
#include <dns.h>
#include "addr.h"
#include "conf.h"
#include "exitcode.h"
#include "log.h"
#include "remote.h"
#include "status.h"

static const char usage_text[] = "usage: posthorn-remote [-C dir] domain sender recipient...\n";

void remote_set(struct remote *m, unsigned i, enum rcpt_status st, const char *a, const char *b)
{
	struct rcpt *r = &m->r[i];
	r->status = st;
	if (!stralloc_copys(&r->reason, a) || (b && !stralloc_cats(&r->reason, b)) || !stralloc_0(&r->reason)) {
		r->reason.len = 0;
		return;
	}
	r->reason.len--;
}

void remote_set_open(struct remote *m, enum rcpt_status st, const char *a, const char *b)
{
	unsigned i;
	for (i = 0; i < m->n; i++)
		if (m->r[i].status == RCPT_OPEN) remote_set(m, i, st, a, b);
}

/* A result from lib/status: its class says ok, defer or fail. */
void remote_status(struct remote *m, unsigned i, enum status_id id, const char *detail)
{
	static stralloc line;
	int x = status_exit(id);

	line.len = 0;
	if (!status_cat(&line, id) || !stralloc_0(&line)) line.len = 0;
	remote_set(m, i, x == EXIT_DONE ? RCPT_OK : x == EXIT_PERM ? RCPT_FAIL : RCPT_DEFER, line.len ? line.s : "", detail);
}

void remote_status_open(struct remote *m, enum status_id id, const char *detail)
{
	unsigned i;
	for (i = 0; i < m->n; i++)
		if (m->r[i].status == RCPT_OPEN) remote_status(m, i, id, detail);
}

unsigned remote_open_count(const struct remote *m)
{
	unsigned i, n = 0;
	for (i = 0; i < m->n; i++) n += m->r[i].status == RCPT_OPEN;
	return n;
}

/* Before any recipient could be tried: one reason line and exit 111 (the
 * reasons used here are all temporary). */
_Noreturn static void die_temp(enum status_id id, const char *a, const char *b)
{
	status_line(buffer_1, id, a, b);
	_exit(status_exit(id));
}

static void read_config(struct remote *m)
{
	stralloc routes = {0}, me = {0}, path = {0};
	unsigned long v;
	char host[256];
	const char *why;
	unsigned line;
	int r;

	if (gethostname(host, sizeof host)) strcpy(host, "localhost");   /* fits: a short constant */
	host[sizeof host - 1] = 0;
	if (conf_line("me", &me, host) < 0) die_temp(ST_CONF_READ, "me: ", strerror(errno));
	if (conf_line("helohost", &m->helo, me.s) < 0) die_temp(ST_CONF_READ, "helohost: ", strerror(errno));
	if (conf_ulong("timeout-connect", &v, 30) < 0) die_temp(ST_CONF_READ, "timeout-connect", 0);
	m->timeout_connect = v ? (unsigned)v : 1;
	if (conf_ulong("timeout-remote", &v, 300) < 0) die_temp(ST_CONF_READ, "timeout-remote", 0);
	m->timeout = v ? (unsigned)v : 1;
	if (conf_ulong("remote-port", &v, 25) < 0 || !v || v > 65535) die_temp(ST_CONF_BAD, "remote-port", 0);
	m->port = (unsigned)v;
	if (!conf_path(&path, "tls/ca.pem")) die_temp(ST_NOMEM, 0, 0);
	if (!access(path.s, R_OK)) stralloc_copy(&m->ca_file, &path);
	else stralloc_copys(&m->ca_file, "");
	stralloc_0(&m->ca_file);
	r = conf_lines("routes", &routes, &v);
	if (r < 0) die_temp(ST_CONF_READ, "routes: ", strerror(errno));
	if (r > 0) {
		/* conf_lines gives NUL-separated lines: make them a text again. */
		size_t i;
		for (i = 0; i < routes.len; i++)
			if (!routes.s[i]) routes.s[i] = '\n';
		r = routes_find(routes.s, routes.len, m->domain, &m->route, &why, &line);
		if (r < 0) {
			char num[16];   /* fits: at most 10 digits and ": " */
			snprintf(num, sizeof num, "%u: ", line);
			die_temp(ST_ROUTES_BAD, num, why);
		}
		m->have_route = r;
	}
	stralloc_free(&routes);
	stralloc_free(&me);
}

/* Size and 8-bit content of the message, read once. */
static void scan_message(struct remote *m)
{
	struct stat st;
	char buf[65536];
	ssize_t r, i;

	if (fstat(0, &st) || !S_ISREG(st.st_mode)) die_temp(ST_STDIN_NOT_FILE, 0, 0);
	m->msgfd = 0;
	m->msgsize = (unsigned long long)st.st_size;
	while ((r = read(0, buf, sizeof buf)) != 0) {
		if (r < 0) {
			if (errno == EINTR) continue;
			die_temp(ST_READ_MESSAGE, ": ", strerror(errno));
		}
		for (i = 0; i < r && !m->eightbit; i++)
			if ((unsigned char)buf[i] >= 128) m->eightbit = 1;
		if (m->eightbit) break;
	}
}

static void output(const struct remote *m)
{
	static const char *const word[] = {"defer", "ok", "defer", "fail"};
	unsigned i;

	for (i = 0; i < m->n; i++) {
		const struct rcpt *r = &m->r[i];
		buffer_puts(buffer_1, word[r->status]);
		buffer_puts(buffer_1, " ");
		buffer_put(buffer_1, r->reason.s, r->reason.len);
		buffer_puts(buffer_1, "\n");
		log_event("result", "domain", m->domain, "rcpt", r->addr, "status", word[r->status], "reason", r->reason.s,
		          (char *)0);
	}
	buffer_flush(buffer_1);
}

int main(int argc, char **argv)
{
	static struct remote m;
	static struct host hosts[HOSTS_MAX];
	const char *confdir = 0;
	struct addr a;
	unsigned i, nh;
	int opt;
	char seed[128];

	log_init("posthorn-remote");
	signal(SIGPIPE, SIG_IGN);
	while ((opt = getopt(argc, argv, "C:")) != -1) {
		if (opt == 'C') confdir = optarg;
		else goto usage;
	}
	if (argc - optind < 3) goto usage;
	m.domain = argv[optind];
	m.sender = argv[optind + 1];
	m.n = (unsigned)(argc - optind - 2);
	m.bad_domain = addr_check_domain(m.domain, strlen(m.domain), ADDR_ALLOW_UTF8) != ADDR_OK;
	if (*m.sender && addr_parse(&a, m.sender, strlen(m.sender), ADDR_ALLOW_UTF8 | ADDR_ALLOW_RELAYCHARS) == ADDR_OK)
		m.sender_utf8 = a.utf8;
	m.r = calloc(m.n, sizeof *m.r);
	if (!m.r) die_temp(ST_NOMEM, 0, 0);
	for (i = 0; i < m.n; i++) {
		m.r[i].addr = argv[optind + 2 + i];
		if (addr_parse(&a, m.r[i].addr, strlen(m.r[i].addr), ADDR_ALLOW_UTF8 | ADDR_ALLOW_RELAYCHARS) != ADDR_OK)
			remote_status(&m, i, ST_BAD_RCPT, 0);
		else
			m.r[i].utf8 = a.utf8;
	}
	conf_init(confdir);
	read_config(&m);
	scan_message(&m);
	snprintf(seed, sizeof seed, "%ld.%ld", (long)getpid(), (long)time(0));   /* fits: two numbers */
	dns_random_init(seed);

	/* Address-literal domains ([192.0.2.1]) are not delivered to (yet):
	 * a clear permanent failure rather than a guess. */
	if (m.bad_domain) remote_status_open(&m, ST_DOMAIN_BAD, m.domain);
	nh = remote_open_count(&m) ? hosts_find(&m, hosts, HOSTS_MAX) : 0;
	m.lasterr.len = 0;
	if (!status_cat(&m.lasterr, ST_NO_HOST) || !stralloc_0(&m.lasterr)) die_temp(ST_NOMEM, 0, 0);
	for (i = 0; i < nh && remote_open_count(&m); i++)
		if (session_try(&m, &hosts[i])) break;
	remote_set_open(&m, RCPT_DEFER, m.lasterr.s, 0);
	output(&m);
	return EXIT_DONE;
usage:
	buffer_puts(buffer_2, usage_text);
	buffer_flush(buffer_2);
	return EXIT_USAGE;
}
