/*
 * Fuzz target for lib/routes: routes_find on any bytes, for a few domains.
 * A found route must have a host without white space or NUL, a port in
 * 1..65535, a known TLS policy, and a user exactly when a password.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "routes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const domains[] = {"example.org", "sub.example.org", "x.test", ""};
	struct route r;
	const char *why;
	unsigned line, i;
	int rc;

	for (i = 0; i < 4; i++) {
		memset(&r, 0, sizeof r);
		rc = routes_find((const char *)data, size, domains[i], &r, &why, &line);
		if (rc < 0) {
			if (!why || !*why || !line) abort();
			continue;
		}
		if (rc == 0) continue;
		if (!r.host[0] || strpbrk(r.host, " \t\r\n") || r.port < 1 || r.port > 65535) abort();
		if (r.tls > ROUTES_TLS_VERIFY) abort();
		if (!r.user[0] != !r.password[0]) abort();
	}
	return 0;
}
