#ifndef REMOTE_H
#define REMOTE_H
/*
 * posthorn-remote's modules (see posthorn-remote(8)):
 *   main.c     options, configuration, per-recipient results, output
 *   hosts.c    where to connect: a route, else MX (then A/AAAA) by DNS
 *   session.c  the SMTP client on one connection
 */
#include <stddef.h>
#include <stralloc.h>
#include "routes.h"
#include "status.h"

#define HOSTS_MAX 64            /* addresses tried per delivery */

enum rcpt_status { RCPT_OPEN = 0, RCPT_OK, RCPT_DEFER, RCPT_FAIL };

struct rcpt {
	const char *addr;
	enum rcpt_status status;
	stralloc reason;            /* NUL-terminated */
	int accepted;               /* RCPT got 2xx in the current session */
	int utf8;
};

struct host {
	char name[ROUTES_HOST_MAX + 1];   /* for TLS names and reasons */
	int v6;
	char ip[16];
	unsigned port;
};

struct remote {
	const char *domain, *sender;
	int sender_utf8;
	struct rcpt *r;
	unsigned n;
	int msgfd;
	unsigned long long msgsize;
	int eightbit;               /* the message holds bytes >= 128 */
	int bad_domain;
	stralloc helo;              /* our name for EHLO */
	unsigned timeout_connect, timeout;
	unsigned port;              /* for MX hosts: remote-port, default 25 */
	struct route route;         /* when have_route */
	int have_route;
	stralloc ca_file;           /* "" = system default */
	stralloc lasterr;           /* last host-level failure, for deferrals */
};

/* main.c: recipient i's result is st with the reason a, b (b may be null):
 * for the remote server's replies */
void remote_set(struct remote *m, unsigned i, enum rcpt_status st, const char *a, const char *b);
void remote_set_open(struct remote *m, enum rcpt_status st, const char *a, const char *b);
/* the same with a reason of lib/status (whose class gives st) and a detail */
void remote_status(struct remote *m, unsigned i, enum status_id id, const char *detail);
void remote_status_open(struct remote *m, enum status_id id, const char *detail);
unsigned remote_open_count(const struct remote *m);

/* hosts.c: fills hosts[]; returns the count, or 0 after setting every open
 * recipient's result (a DNS failure or a null MX) */
unsigned hosts_find(struct remote *m, struct host *hosts, unsigned max);

/* session.c: one attempt on one host.  Returns 1 if recipients' results
 * were decided there (stop), 0 if the next host should be tried (reason
 * in m->lasterr). */
int session_try(struct remote *m, const struct host *h);
#endif
