/* Unit tests for lib/injenv: the injection envelope written and read back,
 * canonical addresses, and hostile envelopes (what any local user can
 * write to the set-user-ID posthorn-queue): no F, stray items, long and
 * bad addresses, too many recipients, EOF anywhere, and the same verdict
 * whatever pieces the bytes come in. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "addr.h"
#include "injenv.h"
#include "tap.h"

struct outcome {
	enum injenv_state st;
	enum status_id why;
	size_t used;
	struct queue_env env;
};

/* Feeds len bytes in pieces of step (0: all at once), then EOF if the
 * reader still wants more. */
static void run(struct outcome *o, const char *buf, size_t len, size_t step, unsigned long maxrcpt)
{
	struct injenv r = {0};
	size_t off = 0;

	memset(&o->env, 0, sizeof o->env);
	injenv_init(&r, &o->env, maxrcpt);
	o->used = 0;
	o->st = INJENV_LETTER;
	while (off < len) {
		size_t n = step && step < len - off ? step : len - off, used;
		o->st = injenv_feed(&r, buf + off, n, &used);
		off += used;
		if (o->st == INJENV_DONE || o->st == INJENV_FAILED) break;
	}
	if (o->st != INJENV_DONE && o->st != INJENV_FAILED) o->st = injenv_eof(&r);
	o->used = off;
	o->why = r.why;
	injenv_free(&r);
}

static void check(const char *buf, size_t len, enum injenv_state st, enum status_id why, const char *name)
{
	static const size_t steps[] = {0, 1, 2, 7};
	struct outcome o;
	unsigned i, same = 1;
	char label[200];

	run(&o, buf, len, 0, 0);
	snprintf(label, sizeof label, "%s: state", name);
	is_int(o.st, st, label);
	if (st == INJENV_FAILED) {
		snprintf(label, sizeof label, "%s: %s %s", name, status_esc(why), status_text(why));
		is_int(o.why, why, label);
	}
	queue_env_free(&o.env);
	for (i = 1; i < sizeof steps / sizeof steps[0]; i++) {
		run(&o, buf, len, steps[i], 0);
		if (o.st != st || (st == INJENV_FAILED && o.why != why)) same = 0;
		queue_env_free(&o.env);
	}
	snprintf(label, sizeof label, "%s: the same in pieces of 1, 2, 7 bytes", name);
	ok(same, label);
}

#define CHECK(lit, st, why, name) check(lit, sizeof lit - 1, st, why, name)

static void writer(void)
{
	stralloc e = {0};
	struct outcome o;

	ok(injenv_from(&e, "a@b.test") && injenv_to(&e, "x@y.test") && injenv_to(&e, "z@y.test") && injenv_end(&e),
	   "the writer builds an envelope");
	ok(e.len == 31 && !memcmp(e.s, "Fa@b.test\0Tx@y.test\0Tz@y.test\0\0", 31), "in the qmail-queue format");
	run(&o, e.s, e.len, 0, 0);
	is_int(o.st, INJENV_DONE, "and the reader takes it");
	is_int(o.used, e.len, "all of it");
	is_str(o.env.sender.s, "a@b.test", "sender");
	is_int(o.env.n, 2, "two recipients");
	ok(o.env.n == 2 && !strcmp(o.env.r[0].addr, "x@y.test") && !strcmp(o.env.r[1].addr, "z@y.test"),
	   "in their order");
	queue_env_free(&o.env);
	e.len = 0;
	ok(injenv_from(&e, "") && injenv_to(&e, "x@y.test") && injenv_end(&e), "the null sender");
	run(&o, e.s, e.len, 1, 0);
	ok(o.st == INJENV_DONE && o.env.sender.len == 0 && o.env.sender.s && !o.env.sender.s[0],
	   "reads back as an empty sender");
	queue_env_free(&o.env);
	stralloc_free(&e);
}

static void canonical(void)
{
	static const char env[] = "FA@EXAMPLE.ORG\0T\"a.b\"@Y.Test\0TUser@y.test\0\0trailing";
	struct outcome o;

	run(&o, env, sizeof env - 1, 3, 0);
	is_int(o.st, INJENV_DONE, "an envelope with bytes after its end");
	is_int(o.used, sizeof env - 1 - 8, "stops right after the final NUL");
	is_str(o.env.sender.s, "A@example.org", "domain lower-cased, local part kept");
	ok(o.env.n == 2 && !strcmp(o.env.r[0].addr, "a.b@y.test"), "needless quotes removed");
	ok(o.env.n == 2 && !strcmp(o.env.r[1].addr, "User@y.test"), "a second recipient");
	queue_env_free(&o.env);
	CHECK("Fa%b@c.test\0Tx!y@y.test\0\0", INJENV_DONE, ST_NONE, "% and ! are accepted here (relay checks are smtpd's)");
}

static void hostile(void)
{
	char big[ADDR_PATH_MAX + 40];
	size_t n;

	CHECK("", INJENV_FAILED, ST_ENV_NONE, "nothing at all");
	CHECK("F", INJENV_FAILED, ST_ENV_CUT, "a letter, then EOF");
	CHECK("Fa@b.test", INJENV_FAILED, ST_ENV_CUT, "an item without its NUL");
	CHECK("Fa@b.test\0", INJENV_FAILED, ST_ENV_CUT, "a sender, then EOF");
	CHECK("Fa@b.test\0Tx@y.test\0", INJENV_FAILED, ST_ENV_CUT, "no final NUL");
	CHECK("\0", INJENV_FAILED, ST_ENV_NO_SENDER, "the final NUL first");
	CHECK("Ta@b.test\0\0", INJENV_FAILED, ST_ENV_NO_SENDER, "a recipient first");
	CHECK("Fa@b.test\0\0", INJENV_FAILED, ST_ENV_NO_RCPT, "no recipients");
	CHECK("Fa@b.test\0Fc@d.test\0\0", INJENV_FAILED, ST_ENV_BAD_ITEM, "a second F");
	CHECK("Fa@b.test\0Xc@d.test\0\0", INJENV_FAILED, ST_ENV_BAD_ITEM, "an unknown letter");
	CHECK("Fnot an address\0Tx@y.test\0\0", INJENV_FAILED, ST_ENV_BAD_SENDER, "a bad sender");
	CHECK("Fa@b.test\0Tx@\0\0", INJENV_FAILED, ST_ENV_BAD_RCPT, "a bad recipient");
	CHECK("Fa@b.test\0T\0\0", INJENV_FAILED, ST_ENV_BAD_RCPT, "an empty recipient");
	CHECK("Fa@b.test\0Tx\ny@y.test\0\0", INJENV_FAILED, ST_ENV_BAD_RCPT, "a line feed in an address");
	CHECK("Fa@b.test\0Tx\xff@y.test\0\0", INJENV_FAILED, ST_ENV_BAD_RCPT, "invalid UTF-8");

	big[0] = 'F';
	memset(big + 1, 'a', ADDR_PATH_MAX + 10);
	check(big, ADDR_PATH_MAX + 11, INJENV_FAILED, ST_ENV_ADDR_TOO_LONG, "an item longer than a path");
	big[0] = 'X';
	check(big, ADDR_PATH_MAX + 11, INJENV_FAILED, ST_ENV_ADDR_TOO_LONG, "the length counts before the letter");
	/* exactly ADDR_PATH_MAX bytes: read whole, then judged as an address */
	big[0] = 'F';
	n = 1 + ADDR_PATH_MAX;
	big[n++] = 0;
	check(big, n, INJENV_FAILED, ST_ENV_BAD_SENDER, "an item of ADDR_PATH_MAX bytes is read, then parsed");
}

static void limits(void)
{
	stralloc e = {0};
	struct outcome o;
	unsigned i;

	injenv_from(&e, "a@b.test");
	for (i = 0; i < 5; i++) injenv_to(&e, "x@y.test");
	injenv_end(&e);
	run(&o, e.s, e.len, 0, 5);
	ok(o.st == INJENV_DONE && o.env.n == 5, "maxrcpt 5: five recipients pass");
	queue_env_free(&o.env);
	run(&o, e.s, e.len, 0, 4);
	ok(o.st == INJENV_FAILED && o.why == ST_ENV_TOO_MANY, "maxrcpt 4: the fifth is refused");
	queue_env_free(&o.env);
	e.len = 0;
	injenv_from(&e, "a@b.test");
	for (i = 0; i <= QUEUE_RCPT_MAX; i++) injenv_to(&e, "x@y.test");
	injenv_end(&e);
	run(&o, e.s, e.len, 0, 0);
	ok(o.st == INJENV_FAILED && o.why == ST_ENV_TOO_MANY && o.env.n == QUEUE_RCPT_MAX,
	   "maxrcpt 0: the hard cap QUEUE_RCPT_MAX holds");
	queue_env_free(&o.env);
	run(&o, e.s, e.len, 0, QUEUE_RCPT_MAX * 2UL);
	ok(o.st == INJENV_FAILED && o.env.n == QUEUE_RCPT_MAX, "a maxrcpt above the cap is the cap");
	queue_env_free(&o.env);
	stralloc_free(&e);
}

int main(void)
{
	writer();
	canonical();
	hostile();
	limits();
	return tap_done();
}
