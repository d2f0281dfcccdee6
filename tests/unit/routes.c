/* Unit tests for lib/routes: patterns (exact, .suffix, *), the most
 * specific one winning, hosts and literals, ports, options, bad lines. */
#include <stdio.h>
#include <string.h>
#include "routes.h"
#include "tap.h"

static const char file[] =
	"# routes\n"
	"\n"
	"*                 smart.relay.test:587 tls=verify auth=me:s3cret\n"
	".example.org      [192.0.2.7]:2525 tls=none\n"
	"example.org       mx.example.org\n"
	".deep.example.org [IPv6:2001:db8::1]\n";

static void lookups(void)
{
	struct route r;
	const char *why;
	unsigned line;

	is_int(routes_find(file, strlen(file), "example.org", &r, &why, &line), 1, "exact domain found");
	is_str(r.host, "mx.example.org", "exact beats .suffix and *");
	is_int(r.port, 25, "default port 25");
	is_int(r.tls, ROUTES_TLS_DEFAULT, "no tls= is the default (opportunistic)");
	is_int(routes_find(file, strlen(file), "a.example.org", &r, &why, &line), 1, "subdomain found");
	is_str(r.host, "192.0.2.7", "a .suffix route, literal without brackets");
	ok(r.literal && r.port == 2525 && r.tls == ROUTES_TLS_NONE, "literal, port 2525, tls=none");
	routes_find(file, strlen(file), "x.deep.example.org", &r, &why, &line);
	ok(!strcmp(r.host, "2001:db8::1") && r.literal, "the longest suffix wins; IPv6 literal without the tag");
	is_int(routes_find(file, strlen(file), "Other.Test", &r, &why, &line), 1, "anything else: *");
	ok(!strcmp(r.host, "smart.relay.test") && r.port == 587 && r.tls == ROUTES_TLS_VERIFY, "the smarthost with its options");
	ok(!strcmp(r.user, "me") && !strcmp(r.password, "s3cret"), "auth= user and password");
	is_int(routes_find("example.org x.test\n", 19, "other.test", &r, &why, &line), 0, "no route: 0");
	is_int(routes_find("", 0, "x.test", &r, &why, &line), 0, "an empty file: 0");
}

static void bad(void)
{
	static const struct { const char *line, *name; } t[] = {
		{"example.org\n", "pattern without host"},
		{"example.org host.test:0\n", "port 0"},
		{"example.org host.test:70000\n", "port over 65535"},
		{"example.org host.test:25x\n", "port with letters"},
		{"example.org [192.0.2.1\n", "unclosed bracket"},
		{"example.org [300.1.1.1]\n", "bad IPv4 literal"},
		{"example.org host.test tls=maybe\n", "unknown tls policy"},
		{"example.org host.test auth=nopassword\n", "auth without a colon"},
		{"example.org host.test colour=red\n", "unknown option"},
		{"exa mple.org host.test a b c\n", "too many fields"},
		{"bad..domain host.test\n", "bad pattern"},
		{"example.org -host-.test\n", "bad host name"},
	};
	struct route r;
	const char *why;
	unsigned line;
	char name[200], text[300];
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		snprintf(text, sizeof text, "# first\n%s", t[i].line);
		snprintf(name, sizeof name, "refused: %s", t[i].name);
		ok(routes_find(text, strlen(text), "example.org", &r, &why, &line) == -1 && line == 2 && *why, name);
	}
	ok(routes_find("x.test h.test\n\0", 15, "x.test", &r, &why, &line) == -1, "a NUL byte is refused");
}

int main(void)
{
	lookups();
	bad();
	return tap_done();
}
