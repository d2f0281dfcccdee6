/* Unit tests of lib/msgdate (the sent date of SORT DATE and THREAD) and
 * lib/msgid (the identifiers THREAD REFERENCES links). */
#include <string.h>
#include "tap.h"
#include "msgdate.h"
#include "msgid.h"

static const struct { const char *in; long long t; } good[] = {
	{"Thu, 01 Jan 1970 00:00:00 +0000", 0},
	{"1 Jan 1970 00:00 GMT", 0},
	{"Fri, 21 Nov 1997 09:55:06 -0600", 880127706},
	{"Fri, 21 Nov 1997 10:55:06 -0500", 880127706},
	{"Fri, 21 Nov 1997 15:55:06 +0000", 880127706},
	{"Fri, 21 Nov 1997 09:55:06 CST", 880127706},
	{"21 Nov 97 09:55:06 CST", 880127706},
	{"Fri,21 Nov 1997 15:55:06", 880127706},
	{" Fri (comment) , 21 (x) Nov\r\n 1997 15:55:06 Z (zulu)", 880127706},
	{"Sat, 29 Feb 2020 12:00:00 +1400", 1582927200},
	{"Tue, 1 Jul 2003 10:52:37 +0200", 1057049557},
	{"Wed, 31 Dec 1969 23:59:59 +0000", -1},
	{"1 Jan 2000 00:00 (an unclosed comment runs to the end", 946684800},
};
static const char *const bad[] = {
	"", "garbage", "Fri, 21 Nov 1997", "32 Jan 2000 00:00 +0000", "29 Feb 2019 00:00 +0000",
	"1 Foo 2000 00:00 +0000", "1 Jan 2000 24:00 +0000", "1 Jan 2000 00:60 +0000", "1 Jan 2000 00:00 +0099",
	"1 Jan 2000 00:00 +00", "1 Jan 2000 00:00 +0000 trailing", "1 Jan 99999 00:00 +0000",
	"1 Jan 2000 00:00:00:00 +0000", "Friday, 1 Jan 2000 00:00 +0000",
	"999999999999999999999 Jan 2000 00:00 +0000",
};

int main(void)
{
	unsigned i;
	int64_t t;
	char id[MSGID_MAX + 1], big[2000], name[300];
	size_t pos, n;
	const char *refs;

	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		snprintf(name, sizeof name, "date [%s]", good[i].in);
		t = 12345;
		if (!ok(msgdate_parse(good[i].in, strlen(good[i].in), &t) == 0 && t == good[i].t, name))
			printf("#   got %lld want %lld\n", (long long)t, good[i].t);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(name, sizeof name, "bad date [%s]", bad[i]);
		ok(msgdate_parse(bad[i], strlen(bad[i]), &t) < 0, name);
	}
	memset(big, '(', sizeof big);
	ok(msgdate_parse(big, sizeof big, &t) < 0, "2000 open comments: refused, bounded");

	refs = " <a@x> (comment <no@x>) \"phrase <q@x>\" <b (c) @\r\n y> <noat> <> <c<d@x> <e@x";
	pos = 0;
	n = msgid_next(refs, strlen(refs), &pos, id);
	ok(n == 3 && !strcmp(id, "a@x"), "first id");
	n = msgid_next(refs, strlen(refs), &pos, id);
	ok(n == 3 && !strcmp(id, "b@y"), "comments and folding inside are dropped; outside skipped");
	n = msgid_next(refs, strlen(refs), &pos, id);
	ok(n == 0, "ids without @, empty, with < or unclosed are skipped");
	ok(msgid_next(refs, strlen(refs), &pos, id) == 0, "still at the end");
	memset(big, 'a', sizeof big);
	big[0] = '<';
	big[100] = '@';
	big[sizeof big - 1] = '>';
	pos = 0;
	ok(msgid_next(big, sizeof big, &pos, id) == 0, "an id over MSGID_MAX is skipped");
	big[MSGID_MAX + 1] = '>';
	pos = 0;
	ok(msgid_next(big, sizeof big, &pos, id) == MSGID_MAX && strlen(id) == MSGID_MAX, "an id of MSGID_MAX is kept");
	return tap_done();
}
