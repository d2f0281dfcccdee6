/*
 * lib/hdrsplit: fields, the end of the header and the body of messages fed
 * whole and in every piece size from 1 to 9 must give the same events, and
 * the events' data must give the input back.
 */
#include <stdlib.h>
#include "hdrsplit.h"
#include "tap.h"

static stralloc log_;   /* "F<len>:" "P" "E<len>" "B" events, body merged */
static stralloc back;   /* every byte of every event */
static int last;

static void ev(void *arg, enum hdrsplit_event e, const char *s, size_t n)
{
	char tag[32];

	(void)arg;
	stralloc_catb(&back, s, n);
	switch (e) {
	case HDRSPLIT_FIELD:
		snprintf(tag, sizeof tag, "F%zu;", n);
		stralloc_cats(&log_, tag);
		break;
	case HDRSPLIT_FIELD_PART:
		if (last != HDRSPLIT_FIELD_PART) stralloc_cats(&log_, "P;");
		break;
	case HDRSPLIT_END:
		snprintf(tag, sizeof tag, "E%zu;", n);
		stralloc_cats(&log_, tag);
		break;
	case HDRSPLIT_BODY:
		if (last != HDRSPLIT_BODY) stralloc_cats(&log_, "B;");
		break;
	}
	last = (int)e;
}

static struct hdrsplit h;

static void run(const char *msg, size_t len, size_t piece)
{
	size_t i;

	log_.len = back.len = 0;
	last = -1;
	hdrsplit_init(&h, ev, 0);
	for (i = 0; i < len; i += piece) hdrsplit_feed(&h, msg + i, len - i < piece ? len - i : piece);
	hdrsplit_end(&h);
	stralloc_0(&log_);
}

static void check(const char *name, const char *msg, size_t len, const char *want)
{
	size_t piece;
	char t[160];

	run(msg, len, len ? len : 1);
	snprintf(t, sizeof t, "%s: events", name);
	if (!ok(!strcmp(log_.s, want), t)) printf("#   got %s, want %s\n", log_.s, want);
	snprintf(t, sizeof t, "%s: bytes back", name);
	ok(back.len == len && !memcmp(back.s, msg, len), t);
	for (piece = 1; piece < 10; piece++) {
		run(msg, len, piece);
		if (strcmp(log_.s, want) || back.len != len || memcmp(back.s, msg, len)) break;
	}
	snprintf(t, sizeof t, "%s: same in pieces of 1..9", name);
	if (!ok(piece == 10, t)) printf("#   piece %zu: %s\n", piece, log_.s);
}

#define CHECK(name, msg, want) check(name, msg, sizeof msg - 1, want)

int main(void)
{
	static char big[HDRSPLIT_FIELD_MAX + 200];
	size_t n;

	CHECK("plain", "From: a@b\nSubject: hi\n\nbody\n", "F10;F12;E1;B;");
	CHECK("folded", "Subject: a\n b\n\tc\nTo: x\n\nb", "F17;F6;E1;B;");
	CHECK("no body", "From: a@b\n", "F10;E0;");
	CHECK("no empty line, body-like line", "From: a@b\nhello world\nmore\n", "F10;E0;B;");
	CHECK("first line not a field", "hello\nFrom: x\n", "E0;B;");
	CHECK("leading white space", " x: y\n\nb\n", "E0;B;");
	CHECK("empty message", "", "E0;");
	CHECK("only empty line", "\nbody", "E1;B;");
	CHECK("no final LF", "From: a", "F7;E0;");
	CHECK("incomplete non-field", "garbage", "E0;B;");
	CHECK("obsolete space before colon", "Subject : x\n\n", "F12;E1;");
	CHECK("CR kept in lines", "A: b\r\n\nx", "F6;E1;B;");
	CHECK("line of CR LF is not the end", "A: b\n\r\nx\n", "F5;E0;B;");
	CHECK("empty body", "A: b\n\n", "F5;E1;");

	/* a field over the bound goes out in parts, the next one whole */
	memcpy(big, "X-Big: a\n", 9);
	for (n = 9; n < HDRSPLIT_FIELD_MAX + 100; n += 10) memcpy(big + n, " 12345678\n", 10);
	memcpy(big + n, "To: x\n\nb", 8);
	check("oversize field", big, n + 8, "P;F6;E1;B;");
	/* a first line over the bound is not a field */
	memset(big, 'a', HDRSPLIT_FIELD_MAX + 10);
	memcpy(big + HDRSPLIT_FIELD_MAX + 10, ": x\n\nb", 6);
	check("overlong first line", big, HDRSPLIT_FIELD_MAX + 16, "E0;B;");
	hdrsplit_free(&h);
	return tap_done();
}
