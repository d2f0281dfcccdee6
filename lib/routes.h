#ifndef ROUTES_H
#define ROUTES_H
/*
 * The routes file of the config dir (posthorn-routes(5)): where
 * posthorn-remote sends mail for a domain instead of looking up its MX.
 * One route per line, fields separated by white space:
 *
 *     PATTERN  HOST[:PORT]  [tls=none|opportunistic|verify]  [auth=USER:PASSWORD]
 *
 * PATTERN is a domain ("example.org"), a domain and all its subdomains
 * (".example.org", which does not match example.org itself), or "*" for
 * every other domain (a smarthost).  HOST is a host name or an address
 * literal ([192.0.2.1], [IPv6:2001:db8::1]), connected to directly (no MX
 * lookup).  PORT defaults to 25.  The most specific pattern wins: exact,
 * then the longest matching suffix, then "*".  Blank lines and lines
 * starting with '#' are ignored.
 */
#include <stddef.h>

#define ROUTES_HOST_MAX 255
#define ROUTES_AUTH_MAX 512
#define ROUTES_LINE_MAX 2048

enum routes_tls {
	ROUTES_TLS_DEFAULT = 0,     /* not given: opportunistic */
	ROUTES_TLS_NONE,
	ROUTES_TLS_OPPORTUNISTIC,
	ROUTES_TLS_VERIFY           /* required, certificate and name verified */
};

struct route {
	char host[ROUTES_HOST_MAX + 1];   /* name, or address without brackets */
	int literal;                      /* host was an address literal */
	unsigned port;
	enum routes_tls tls;
	char user[ROUTES_AUTH_MAX + 1];   /* "" = no AUTH */
	char password[ROUTES_AUTH_MAX + 1];
};

/* Finds the route for domain (lower case) in the text of a routes file.
 * Returns 1 and fills *r, 0 if no route applies, -1 for a malformed line
 * (*why and *line say which); lines are checked up to the match only for
 * syntax, so one bad line anywhere is reported whatever the domain. */
int routes_find(const char *text, size_t len, const char *domain, struct route *r,
                const char **why, unsigned *line);
#endif
