/* Unit tests for lib/injenv: the injection envelope written and read back,
 * canonical addresses, and hostile envelopes (what any local user can
 * write to the set-user-ID posthorn-queue): no F, stray items, long and
 * bad addresses, too many recipients, EOF anywhere, and the same verdict
 * whatever pieces the bytes come in.  The H item (header text to put
 * before the message): kept byte for byte, and refused when it is not
 * first, too long, or not whole header fields.  The S item (sign the
 * message): once, before F, either side of H, and nothing but "S\0". */
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
	char head[QUEUE_HEAD_MAX + 2];   /* the header text read, NUL-terminated */
	size_t headlen;
	int sign;                        /* the S item was read */
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
	o->headlen = r.head.len;
	o->sign = r.sign;
	if (r.head.len) memcpy(o->head, r.head.s, r.head.len);
	o->head[o->headlen] = 0;
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

static void head(void)
{
	struct outcome o;
	static const char env[] = "HAuthentication-Results: mx.test;\n\tspf=pass smtp.mailfrom=a@b.test\nX-A: b\n"
	                          "\0Fa@b.test\0Tx@y.test\0\0";
	static char big[QUEUE_HEAD_MAX + 100];
	stralloc e = {0};
	size_t n, step;

	ok(injenv_head(&e, "X-A: 1\n", 7) && injenv_from(&e, "a@b.test") && injenv_to(&e, "x@y.test") && injenv_end(&e),
	   "the writer puts an H item first");
	ok(e.len == 9 + 10 + 10 + 1 && !memcmp(e.s, "HX-A: 1\n\0Fa@b.test\0", 19), "as H<text>\\0");
	run(&o, e.s, e.len, 0, 0);
	ok(o.st == INJENV_DONE && o.used == e.len && o.env.n == 1, "the reader takes it");
	is_str(o.head, "X-A: 1\n", "and keeps the header text");
	queue_env_free(&o.env);
	stralloc_free(&e);

	for (step = 0; step < 8; step++) {
		run(&o, env, sizeof env - 1, step, 0);
		if (o.st != INJENV_DONE || o.headlen != strlen(env + 1) || memcmp(o.head, env + 1, o.headlen) || o.env.n != 1 ||
		    strcmp(o.env.sender.s, "a@b.test"))
			break;
		queue_env_free(&o.env);
	}
	is_int(step, 8, "folded fields, byte for byte, in pieces of any size");
	if (step < 8) queue_env_free(&o.env);
	run(&o, "Fa@b.test\0Tx@y.test\0\0", 21, 0, 0);
	ok(o.st == INJENV_DONE && o.headlen == 0, "no H: no header text");
	queue_env_free(&o.env);
	CHECK("HX-A : b\n\0Fa@b.test\0Tx@y.test\0\0", INJENV_DONE, ST_NONE, "white space before the colon (RFC 5322 4.5)");
	CHECK("HX-A:\n\0Fa@b.test\0Tx@y.test\0\0", INJENV_DONE, ST_NONE, "an empty field body");
	CHECK("HX-\xc3\xa4: \xc3\xa4\n\0F\0Tx@y.test\0\0", INJENV_FAILED, ST_ENV_BAD_HEAD, "8-bit bytes in a field name");
	CHECK("HX-A: \xc3\xa4\n\0F\0Tx@y.test\0\0", INJENV_DONE, ST_NONE, "8-bit bytes in a body (RFC 6532)");

	CHECK("Fa@b.test\0HX-A: b\n\0Tx@y.test\0\0", INJENV_FAILED, ST_ENV_HEAD_NOT_FIRST, "H after F");
	CHECK("Fa@b.test\0Tx@y.test\0HX-A: b\n\0\0", INJENV_FAILED, ST_ENV_HEAD_NOT_FIRST, "H after a recipient");
	CHECK("HX-A: b\n\0HX-B: c\n\0Fa@b.test\0Tx@y.test\0\0", INJENV_FAILED, ST_ENV_HEAD_NOT_FIRST, "two H items");
	CHECK("HX-A: b\n\0Tx@y.test\0\0", INJENV_FAILED, ST_ENV_NO_SENDER, "H, then no F");
	CHECK("HX-A: b\n\0\0", INJENV_FAILED, ST_ENV_NO_SENDER, "H, then the final NUL");
	CHECK("H\0Fa@b.test\0Tx@y.test\0\0", INJENV_FAILED, ST_ENV_BAD_HEAD, "an empty H");
	CHECK("HX-A: b\0Fa@b.test\0Tx@y.test\0\0", INJENV_FAILED, ST_ENV_BAD_HEAD, "a last line without LF");
	CHECK("HX-A: b\nX-B: \0c\n\0Fa@b.test\0Tx@y.test\0\0", INJENV_FAILED, ST_ENV_BAD_HEAD, "a NUL inside");
	CHECK("HX-A: b\r\n\0Fa@b.test\0Tx@y.test\0\0", INJENV_FAILED, ST_ENV_BAD_HEAD, "CRLF line ends");
	CHECK("HX-A: b\rX-B: c\n\0Fa@b.test\0Tx@y.test\0\0", INJENV_FAILED, ST_ENV_BAD_HEAD, "a bare CR");
	CHECK("HX-A: b\n\nbody\n\0Fa@b.test\0Tx@y.test\0\0", INJENV_FAILED, ST_ENV_BAD_HEAD, "an empty line");
	CHECK("H\nX-A: b\n\0Fa@b.test\0Tx@y.test\0\0", INJENV_FAILED, ST_ENV_BAD_HEAD, "an empty first line");
	CHECK("HX-A: b\n \t\nX-B: c\n\0Fa@b.test\0Tx@y.test\0\0", INJENV_FAILED, ST_ENV_BAD_HEAD, "a line of white space");
	CHECK("H folded: b\n\0Fa@b.test\0Tx@y.test\0\0", INJENV_FAILED, ST_ENV_BAD_HEAD, "a continuation line first");
	CHECK("HX-A b\n\0Fa@b.test\0Tx@y.test\0\0", INJENV_FAILED, ST_ENV_BAD_HEAD, "no colon");
	CHECK("H: b\n\0Fa@b.test\0Tx@y.test\0\0", INJENV_FAILED, ST_ENV_BAD_HEAD, "an empty field name");
	CHECK("HX-A: b\nFrom a@b.test Mon\n\0Fa@b.test\0Tx@y.test\0\0", INJENV_FAILED, ST_ENV_BAD_HEAD,
	      "an mbox From_ line");
	CHECK("HX-A: b\n", INJENV_FAILED, ST_ENV_CUT, "H cut short");
	CHECK("H", INJENV_FAILED, ST_ENV_CUT, "only the letter H");

	/* the bound: QUEUE_HEAD_MAX bytes of text pass, one more does not */
	big[0] = 'H';
	memcpy(big + 1, "X-A: ", 5);
	memset(big + 6, 'a', QUEUE_HEAD_MAX - 6);
	big[QUEUE_HEAD_MAX] = '\n';
	n = QUEUE_HEAD_MAX + 1;
	memcpy(big + n, "\0Fa@b.test\0Tx@y.test\0\0", 22);
	check(big, n + 22, INJENV_DONE, ST_NONE, "header text of QUEUE_HEAD_MAX bytes");
	run(&o, big, n + 22, 0, 0);
	ok(o.headlen == QUEUE_HEAD_MAX && !memcmp(o.head, big + 1, QUEUE_HEAD_MAX), "kept whole");
	queue_env_free(&o.env);
	big[QUEUE_HEAD_MAX] = 'a';
	big[QUEUE_HEAD_MAX + 1] = '\n';
	memcpy(big + n + 1, "\0Fa@b.test\0Tx@y.test\0\0", 22);
	check(big, n + 23, INJENV_FAILED, ST_ENV_HEAD_TOO_LONG, "one byte more");
	memset(big + 1, 'a', sizeof big - 1);
	check(big, sizeof big, INJENV_FAILED, ST_ENV_HEAD_TOO_LONG, "endless text without a line end");
	memset(big + 1, '\n', sizeof big - 1);
	check(big, sizeof big, INJENV_FAILED, ST_ENV_BAD_HEAD, "endless empty lines");
}

static void sign(void)
{
	stralloc e = {0};
	struct outcome o;
	unsigned i;

	CHECK("S\0Fa@b.test\0Tx@y.test\0\0", INJENV_DONE, ST_NONE, "S first");
	CHECK("HX-A: b\n\0S\0Fa@b.test\0Tx@y.test\0\0", INJENV_DONE, ST_NONE, "H, then S");
	CHECK("S\0HX-A: b\n\0Fa@b.test\0Tx@y.test\0\0", INJENV_DONE, ST_NONE, "S, then H");
	CHECK("S\0S\0Fa@b.test\0Tx@y.test\0\0", INJENV_FAILED, ST_ENV_BAD_SIGN, "two S items");
	CHECK("S\0HX-A: b\n\0S\0Fa@b.test\0Tx@y.test\0\0", INJENV_FAILED, ST_ENV_BAD_SIGN, "S, H, S");
	CHECK("HX-A: b\n\0S\0HX-B: c\n\0Fa@b.test\0Tx@y.test\0\0", INJENV_FAILED, ST_ENV_HEAD_NOT_FIRST,
	      "H, S, H");
	CHECK("Fa@b.test\0S\0Tx@y.test\0\0", INJENV_FAILED, ST_ENV_BAD_SIGN, "S after F");
	CHECK("Fa@b.test\0Tx@y.test\0S\0\0", INJENV_FAILED, ST_ENV_BAD_SIGN, "S after a recipient");
	CHECK("Sx\0Fa@b.test\0Tx@y.test\0\0", INJENV_FAILED, ST_ENV_BAD_SIGN, "text after S");
	CHECK("SFa@b.test\0Tx@y.test\0\0", INJENV_FAILED, ST_ENV_BAD_SIGN, "S without its NUL");
	CHECK("S\0\0", INJENV_FAILED, ST_ENV_NO_SENDER, "S, then the final NUL");
	CHECK("S\0Tx@y.test\0\0", INJENV_FAILED, ST_ENV_NO_SENDER, "S, then no F");
	CHECK("S", INJENV_FAILED, ST_ENV_CUT, "only the letter S");
	CHECK("S\0", INJENV_FAILED, ST_ENV_CUT, "S, then EOF");

	for (i = 0; i < 3; i++) {
		static const char *const env[] = {"S\0Fa@b.test\0Tx@y.test\0\0", "HX-A: b\n\0S\0Fa@b.test\0Tx@y.test\0\0",
		                                  "Fa@b.test\0Tx@y.test\0\0"};
		static const size_t len[] = {23, 32, 21};
		run(&o, env[i], len[i], 1, 0);
		ok(o.st == INJENV_DONE && o.sign == (i < 2), i < 2 ? "S read: sign" : "no S: do not sign");
		queue_env_free(&o.env);
	}

	/* the writer: H, then S, then F (what lib/inject sends) */
	injenv_head(&e, "X-A: b\n", 7);
	injenv_sign(&e);
	injenv_from(&e, "a@b.test");
	injenv_to(&e, "x@y.test");
	injenv_end(&e);
	ok(e.len == 32 && !memcmp(e.s, "HX-A: b\n\0S\0Fa@b.test\0Tx@y.test\0\0", 32), "writer: S is \"S\\0\"");
	run(&o, e.s, e.len, 0, 0);
	ok(o.st == INJENV_DONE && o.sign && o.headlen == 7 && o.env.n == 1, "and reads back");
	queue_env_free(&o.env);
	stralloc_free(&e);
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

/* The A item: the account, before F, once; its form checked. */
static void account(void)
{
	stralloc e = {0};
	struct injenv r = {0};
	struct queue_env env;
	char big[300];

	ok(injenv_account(&e, "alice@example.org") && injenv_from(&e, "a@b.test") && injenv_to(&e, "x@y.test") &&
	   injenv_end(&e), "the writer puts A before F");
	memset(&env, 0, sizeof env);
	injenv_init(&r, &env, 0);
	is_int(injenv_feed(&r, e.s, e.len, 0), INJENV_DONE, "the reader takes it");
	is_str(r.account.s, "alice@example.org", "and keeps the account");
	injenv_free(&r);
	queue_env_free(&env);
	CHECK("Hx: y\n\0Aunix:root\0Fa@b.test\0Tx@y.test\0\0", INJENV_DONE, ST_NONE, "A after H");
	CHECK("Aa\0Ab\0Fa@b.test\0Tx@y.test\0\0", INJENV_FAILED, ST_ENV_BAD_ACCOUNT, "two A items");
	CHECK("A\0Fa@b.test\0Tx@y.test\0\0", INJENV_FAILED, ST_ENV_BAD_ACCOUNT, "an empty A");
	CHECK("Aa b\0Fa@b.test\0Tx@y.test\0\0", INJENV_FAILED, ST_ENV_BAD_ACCOUNT, "a space in A");
	CHECK("Aa\tb\0Fa@b.test\0Tx@y.test\0\0", INJENV_FAILED, ST_ENV_BAD_ACCOUNT, "a control byte in A");
	CHECK("Fa@b.test\0Aa\0Tx@y.test\0\0", INJENV_FAILED, ST_ENV_BAD_ITEM, "A after F");
	CHECK("Aa\0Hx: y\n\0Fa@b.test\0Tx@y.test\0\0", INJENV_DONE, ST_NONE, "H after A: H, S and A come in any order before F");
	CHECK("Aa\0S\0Hx: y\n\0Fa@b.test\0Tx@y.test\0\0", INJENV_DONE, ST_NONE, "A, S, H before F");
	memset(big, 'a', sizeof big);
	big[0] = 'A';
	memcpy(big + 257, "\0Fa@b.test\0Tx@y.test\0\0", 22);
	check(big, 257 + 22, INJENV_FAILED, ST_ENV_BAD_ACCOUNT, "an account of 256 bytes is too long");
	memcpy(big + 256, "\0Fa@b.test\0Tx@y.test\0\0", 22);
	check(big, 256 + 22, INJENV_DONE, ST_NONE, "one of 255 bytes is taken");
	stralloc_free(&e);
}

int main(void)
{
	writer();
	account();
	canonical();
	hostile();
	sign();
	limits();
	head();
	return tap_done();
}
