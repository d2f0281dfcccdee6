/* Unit tests for lib/userrec: one table of lines and what must come of
 * them, then the format -> parse round trip. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "userrec.h"
#include "tap.h"

#define H "$y$j9T$salt$hashhashhash"

/* Long strings by concatenation, so each length is visible. */
#define X8 "xxxxxxxx"
#define X64 X8 X8 X8 X8 X8 X8 X8 X8
#define X256 X64 X64 X64 X64
#define X1024 X256 X256 X256 X256

#define ANY "*"

struct row {
	const char *in;
	const char *why;   /* 0: must parse; ANY: refused (addr_strerror's words); else the reason */
	const char *out;   /* canonical line (userrec_format); 0: same as in */
};

static const struct row rows[] = {
	/* users */
	{"user alice@example.org hash=" H " maildir=/var/mail/a quota=1000", 0, 0},
	{"user alice@example.org maildir=/var/mail/a", 0, 0},
	{"user Alice@Example.ORG maildir=/m", 0, "user alice@example.org maildir=/m"},
	{"user a@x.org quota=5 maildir=/m hash=h", 0, "user a@x.org hash=h maildir=/m quota=5"},
	{"  user\ta@x.org \t maildir=/m  ", 0, "user a@x.org maildir=/m"},
	{"user a@x.org maildir=/m quota=0", 0, "user a@x.org maildir=/m"},
	{"user a@x.org maildir=/m quota=007", 0, "user a@x.org maildir=/m quota=7"},
	{"user a@x.org maildir=/m quota=18446744073709551615", 0, 0},
	{"user a@x.org maildir=/m quota=18446744073709551616", "quota too large", 0},
	{"user a@x.org maildir=/m quota=99999999999999999999", "quota too large", 0},
	{"user a@x.org maildir=/m quota=-1", "quota is not a decimal number", 0},
	{"user a@x.org maildir=/m quota=1k", "quota is not a decimal number", 0},
	{"user a@x.org maildir=/m quota=+1", "quota is not a decimal number", 0},
	{"user a@x.org", "user without maildir=", 0},
	{"user a@x.org hash=h", "user without maildir=", 0},
	{"user a@x.org maildir=relative/path", "maildir path is not absolute", 0},
	{"user a@x.org maildir=/a/../etc", "maildir path holds \"..\"", 0},
	{"user a@x.org maildir=/a/..", "maildir path holds \"..\"", 0},
	{"user a@x.org maildir=/..", "maildir path holds \"..\"", 0},
	{"user a@x.org maildir=/a/..b/c..", 0, 0},
	{"user a@x.org maildir=/" X1024, "maildir path too long", 0},
	{"user a@x.org maildir=/m maildir=/n", "duplicate field", 0},
	{"user a@x.org maildir=/m hash=a hash=b", "duplicate field", 0},
	{"user a@x.org maildir=/m Hash=x", "unknown field", 0},
	{"user a@x.org maildir=/m quote=1", "unknown field", 0},
	{"user a@x.org maildir=/m to=b@x.org", "unknown field", 0},
	{"user a@x.org maildir=/m catchall=b@x.org", "unknown field", 0},
	{"user a@x.org maildir=/m junk", "field without '='", 0},
	{"user a@x.org maildir=", "empty field value", 0},
	{"user a@x.org maildir=/m hash=", "empty field value", 0},
	{"user a@x.org maildir=/m hash=" X256, "hash too long", 0},
	{"user a@x.org hash=$6$a=b$c maildir=/m", 0, 0},
	{"user", "missing address", 0},
	{"user noatsign maildir=/m", ANY, 0},
	{"user a@@x.org maildir=/m", ANY, 0},
	{"user a@[192.0.2.1] maildir=/m", "address literal not allowed here", 0},
	{"user a%b@x.org maildir=/m", ANY, 0},
	{"user \"a b\"@x.org maildir=/m", ANY, 0},
	{"user \"a,b\"@x.org maildir=/m", "address holds white space, a control character or a comma", 0},
	{"user \"a.\"@x.org maildir=/m", 0, 0},
	{"user jörg@bücher.example maildir=/m/jörg", 0, 0},
	{"user a@x.org maildir=/m\r", "control character in line", 0},
	{"user a@x.org maildir=/m\n", "control character in line", 0},
	{"user a@x.org maildir=/m\x7f", "control character in line", 0},
	/* aliases */
	{"alias postmaster@x.org to=alice@x.org", 0, 0},
	{"alias postmaster@x.org to=alice@x.org,Bob@Elsewhere.NET", 0,
	 "alias postmaster@x.org to=alice@x.org,bob@elsewhere.net"},
	{"alias a@x.org to=b@[192.0.2.1]", 0, 0},
	{"alias a@x.org", "alias without to=", 0},
	{"alias a@x.org to=", "empty field value", 0},
	{"alias a@x.org to=b@x.org,", "empty alias target", 0},
	{"alias a@x.org to=,b@x.org", "empty alias target", 0},
	{"alias a@x.org to=b@x.org,,c@x.org", "empty alias target", 0},
	{"alias a@x.org to=b@x.org,B@X.org", "duplicate alias target", 0},
	{"alias a@x.org to=b", ANY, 0},
	{"alias a@x.org to=b@x.org maildir=/m", "unknown field", 0},
	{"alias a@x.org to=b@x.org to=c@x.org", "duplicate field", 0},
	/* domains */
	{"domain example.org", 0, 0},
	{"domain Example.ORG", 0, "domain example.org"},
	{"domain example.org catchall=postmaster@example.org", 0, 0},
	/* send limits (posthorn-queue(8)) */
	{"user a@x.org maildir=/m quota=5 sendhour=50 sendday=500", 0, 0},
	{"user a@x.org sendday=7 maildir=/m", 0, "user a@x.org maildir=/m sendday=7"},
	{"domain x.org sendhour=10", 0, 0},
	{"domain x.org sendday=9 catchall=a@x.org sendhour=1", 0, "domain x.org catchall=a@x.org sendhour=1 sendday=9"},
	{"user a@x.org maildir=/m sendhour=0", "send limit is 0 (leave the field out for the default)", 0},
	{"user a@x.org maildir=/m sendhour=1000000001", "send limit too large", 0},
	{"user a@x.org maildir=/m sendhour=99999999999999999999999", "send limit too large", 0},
	{"user a@x.org maildir=/m sendday=-1", "send limit is not a decimal number", 0},
	{"user a@x.org maildir=/m sendhour=1 sendhour=2", "duplicate field", 0},
	{"alias a@x.org to=b@x.org sendhour=1", "unknown field", 0},
	{"domain example.org catchall=x", ANY, 0},
	{"domain example.org catchall=", "empty field value", 0},
	{"domain", "missing domain", 0},
	{"domain -bad-.org", "bad domain", 0},
	{"domain [192.0.2.1]", "bad domain", 0},
	{"domain x.org maildir=/m", "unknown field", 0},
	{"domain x.org catchall=a@x.org catchall=b@x.org", "duplicate field", 0},
	/* the line as a whole */
	{"", "empty line", 0},
	{"   ", "empty line", 0},
	{"User a@x.org maildir=/m", "unknown record kind (not user, alias or domain)", 0},
	{"group a@x.org", "unknown record kind (not user, alias or domain)", 0},
};

/* Test names stay on one line. */
static const char *printable(const char *s)
{
	static char buf[64];
	size_t i;

	for (i = 0; s[i] && i < sizeof buf - 1; i++) buf[i] = (unsigned char)s[i] < 0x20 ? '?' : s[i];
	buf[i] = 0;
	return buf;
}

static void check_table(void)
{
	stralloc out = {0};
	struct userrec *r = malloc(sizeof *r);
	char name[200];
	size_t i;

	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		const struct row *w = &rows[i];
		const char *why = "(none)";
		int got = userrec_parse(r, w->in, strlen(w->in), &why);
		int want_ok = !w->why;
		snprintf(name, sizeof name, "%s: %s", want_ok ? "parses" : "refused", printable(w->in));
		if (!is_int(got, want_ok ? 0 : -1, name)) printf("#   reason: %s\n", why);
		if (w->why && strcmp(w->why, ANY) && got < 0) {
			snprintf(name, sizeof name, "  reason for %s", printable(w->in));
			is_str(why, w->why, name);
		}
		if (got == 0) {
			userrec_format(&out, r);
			snprintf(name, sizeof name, "  canonical form of %s", printable(w->in));
			is_str(out.s, w->out ? w->out : w->in, name);
		}
	}
	stralloc_free(&out);
	free(r);
}

static void check_bounds(void)
{
	static char line[USERREC_LINE_MAX + 2];
	struct userrec *r = malloc(sizeof *r);
	stralloc out = {0};
	const char *why = 0;
	size_t n;
	unsigned i;

	/* A line of exactly USERREC_LINE_MAX bytes is fine, one more is not. */
	n = (size_t)snprintf(line, sizeof line, "user a@x.org maildir=/m hash=");
	memset(line + n, 'h', USERREC_HASH_MAX);
	n += USERREC_HASH_MAX;
	memset(line + n, ' ', USERREC_LINE_MAX - n);
	is_int(userrec_parse(r, line, USERREC_LINE_MAX, &why), 0, "a line of USERREC_LINE_MAX bytes parses");
	line[USERREC_LINE_MAX] = ' ';
	is_int(userrec_parse(r, line, USERREC_LINE_MAX + 1, &why), -1, "one byte more is refused");
	is_str(why, "line too long", "  reason");

	is_int(userrec_parse(r, "user a@x.org\0 maildir=/m", 25, &why), -1, "NUL byte refused");
	is_str(why, "control character in line", "  reason");

	/* USERREC_TARGETS_MAX targets, then one more. */
	n = (size_t)snprintf(line, sizeof line, "alias a@x.org to=");
	for (i = 0; i < USERREC_TARGETS_MAX; i++)
		n += (size_t)snprintf(line + n, sizeof line - n, "%st%u@x.org", i ? "," : "", i);
	is_int(userrec_parse(r, line, n, &why), 0, "alias with USERREC_TARGETS_MAX targets parses");
	is_int(r->ntargets, USERREC_TARGETS_MAX, "  all targets kept");
	is_str(r->targets[USERREC_TARGETS_MAX - 1], "t63@x.org", "  last target");
	n += (size_t)snprintf(line + n, sizeof line - n, ",one@more.org");
	is_int(userrec_parse(r, line, n, &why), -1, "one target more is refused");
	is_str(why, "too many alias targets", "  reason");

	/* userrec_key */
	userrec_parse(r, "domain Example.org catchall=a@example.org", 41, &why);
	userrec_key(&out, r);
	is_str(out.s, "@example.org", "key of a domain record is @domain");
	userrec_parse(r, "alias Post@Example.org to=a@example.org", 39, &why);
	userrec_key(&out, r);
	is_str(out.s, "post@example.org", "key of an alias is its lower-cased address");
	is_int(r->kind, USERREC_ALIAS, "kind alias");
	stralloc_free(&out);
	free(r);
}

/* Every record built in memory formats to a line that parses back to it. */
static void check_round_trip(void)
{
	struct userrec *a = calloc(1, sizeof *a), *b = malloc(sizeof *b);
	stralloc line = {0}, again = {0};
	const char *why = 0;

	a->kind = USERREC_USER;
	strcpy(a->name, "bob@example.org");
	strcpy(a->hash, H);
	strcpy(a->maildir, "/var/mail/posthorn/example.org/bob");
	a->quota = 123456789012ULL;
	userrec_format(&line, a);
	is_int(userrec_parse(b, line.s, line.len, &why), 0, "user: format -> parse");
	ok(!memcmp(a, b, sizeof *a), "user: same record back");
	userrec_format(&again, b);
	is_str(again.s, line.s, "user: same line again");

	memset(a, 0, sizeof *a);
	a->kind = USERREC_ALIAS;
	strcpy(a->name, "all@example.org");
	a->ntargets = 3;
	strcpy(a->targets[0], "bob@example.org");
	strcpy(a->targets[1], "carol@example.org");
	strcpy(a->targets[2], "dave@elsewhere.net");
	userrec_format(&line, a);
	is_str(line.s, "alias all@example.org to=bob@example.org,carol@example.org,dave@elsewhere.net", "alias: line");
	is_int(userrec_parse(b, line.s, line.len, &why), 0, "alias: format -> parse");
	ok(!memcmp(a, b, sizeof *a), "alias: same record back");

	memset(a, 0, sizeof *a);
	a->kind = USERREC_DOMAIN;
	strcpy(a->name, "example.org");
	strcpy(a->catchall, "bob@example.org");
	userrec_format(&line, a);
	is_int(userrec_parse(b, line.s, line.len, &why), 0, "domain: format -> parse");
	ok(!memcmp(a, b, sizeof *a), "domain: same record back");

	stralloc_free(&line);
	stralloc_free(&again);
	free(a);
	free(b);
}

int main(void)
{
	check_table();
	check_bounds();
	check_round_trip();
	return tap_done();
}
