/* Unit tests for lib/sendlimit: the hour's and the day's windows, bucket
 * reuse, the burst lock, the clock going back, saturation, the file format
 * (round trip, every kind of damage, a torn write), file names, and
 * load/store on a real file. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "sendlimit.h"
#include "tap.h"

#define T0 1796300000LL   /* a Thursday in 2026, on no minute boundary */

static void hour_window(void)
{
	struct sendlimit s;
	struct sendlimit_conf c = {3, 0, 0};
	int i;

	sendlimit_reset(&s);
	for (i = 0; i < 3; i++) is_int(sendlimit_charge(&s, &c, T0 + i, 1), SENDLIMIT_OK, "under the hour's limit");
	is_int(sendlimit_charge(&s, &c, T0 + 5, 1), SENDLIMIT_HOUR, "the 4th in the hour is refused");
	is_int(sendlimit_msgs_hour(&s, T0 + 5), 3, "a refusal is not counted as sent");
	is_int(sendlimit_tries_hour(&s, T0 + 5), 4, "but as a try");
	is_int(sendlimit_charge(&s, &c, T0 + 59 * 60 - 60, 1), SENDLIMIT_HOUR, "58 minutes on: still refused");
	is_int(sendlimit_msgs_hour(&s, T0 + 60 * 60), 0, "an hour on: nothing counts");
	is_int(sendlimit_charge(&s, &c, T0 + 60 * 60, 1), SENDLIMIT_OK, "and one may go again");
	/* spread over the hour: buckets of different minutes add up */
	sendlimit_reset(&s);
	for (i = 0; i < 3; i++) sendlimit_charge(&s, &c, T0 + i * 600, 1);
	is_int(sendlimit_charge(&s, &c, T0 + 1800, 1), SENDLIMIT_HOUR, "three spread over 20 minutes fill the hour");
	is_int(sendlimit_charge(&s, &c, T0 + 3600 + 1, 1), SENDLIMIT_OK, "the first one's minute has gone");
}

static void day_window(void)
{
	struct sendlimit s;
	struct sendlimit_conf c = {0, 10, 0};

	sendlimit_reset(&s);
	is_int(sendlimit_charge(&s, &c, T0, 6), SENDLIMIT_OK, "6 recipients");
	is_int(sendlimit_charge(&s, &c, T0 + 3600, 5), SENDLIMIT_DAY, "5 more would pass 10");
	is_int(sendlimit_charge(&s, &c, T0 + 3600, 4), SENDLIMIT_OK, "4 more make 10");
	is_int(sendlimit_rcpts_day(&s, T0 + 3600), 10, "10 in the day");
	is_int(sendlimit_charge(&s, &c, T0 + 7200, 1), SENDLIMIT_DAY, "an 11th is refused");
	is_int(sendlimit_charge(&s, &c, T0 + 24 * 3600 + 1, 7), SENDLIMIT_DAY, "a day on, the second hour's 4 still count");
	is_int(sendlimit_charge(&s, &c, T0 + 24 * 3600 + 1, 6), SENDLIMIT_OK, "but the first hour's 6 have gone");
	is_int(sendlimit_rcpts_day(&s, T0 + 49 * 3600), 0, "two days on: nothing");
	is_int(sendlimit_charge(&s, &c, T0, 11), SENDLIMIT_DAY, "one message of more than the limit");
	is_int(sendlimit_charge(&s, &c, T0, (unsigned long)-1), SENDLIMIT_DAY, "no overflow with a huge count");
}

static void burst(void)
{
	struct sendlimit s;
	struct sendlimit_conf c = {2, 0, 6};
	int i;

	sendlimit_reset(&s);
	for (i = 0; i < 5; i++) sendlimit_charge(&s, &c, T0 + i, 1);
	is_int(sendlimit_charge(&s, &c, T0 + 10, 1), SENDLIMIT_LOCK, "the 6th try in the hour locks");
	ok(s.locked && s.lock_tries == 6 && s.locked_at == T0 + 10, "locked, with when and how many");
	is_int(sendlimit_charge(&s, &c, T0 + 11, 1), SENDLIMIT_LOCKED, "then: locked");
	is_int(sendlimit_charge(&s, &c, T0 + 86400 * 30, 1), SENDLIMIT_LOCKED, "a month later: still locked");
	sendlimit_unlock(&s);
	is_int(sendlimit_charge(&s, &c, T0 + 12, 1), SENDLIMIT_OK, "unlocked, the counts are gone");
	c.burst = 0;
	sendlimit_reset(&s);
	for (i = 0; i < 100; i++) sendlimit_charge(&s, &c, T0 + i, 1);
	ok(!s.locked, "burst 0: never locks");
}

static void clock_back(void)
{
	struct sendlimit s;
	struct sendlimit_conf c = {3, 0, 0};
	int i;

	sendlimit_reset(&s);
	for (i = 0; i < 3; i++) sendlimit_charge(&s, &c, T0 + 1800 + i, 1);
	is_int(sendlimit_charge(&s, &c, T0, 1), SENDLIMIT_HOUR, "the clock 30 minutes back: the counts still hold");
	is_int(sendlimit_msgs_hour(&s, T0 - 86400), 0, "a day back: buckets far ahead are ignored");
	is_int(sendlimit_msgs_hour(&s, 0), 0, "at time 0 nothing counts");
	is_int(sendlimit_charge(&s, &c, -5, 1), SENDLIMIT_OK, "a time before 1970 is no crash");
	sendlimit_reset(&s);
	s.min[1].stamp = 1;   /* minute 1: time 60..119 */
	s.min[1].msgs = UINT32_MAX;
	is_int(sendlimit_msgs_hour(&s, 60), UINT32_MAX, "a full counter");
	s.min[1].msgs = UINT32_MAX - 1;
	c.hour = 0;
	sendlimit_charge(&s, &c, 60, 1);
	sendlimit_charge(&s, &c, 60, 1);
	is_int(s.min[1].msgs, UINT32_MAX, "counters saturate, never wrap");
}

static void file_format(void)
{
	struct sendlimit s, t;
	struct sendlimit_conf c = {5, 50, 9};
	unsigned char buf[SENDLIMIT_FILE_SIZE + 1];
	size_t i;
	int bad = 0;

	sendlimit_reset(&s);
	for (i = 0; i < 9; i++) sendlimit_charge(&s, &c, T0 + (long long)i * 97, 2);
	sendlimit_format(&s, buf);
	is_int(SENDLIMIT_FILE_SIZE, 944, "the file is 944 bytes");
	ok(s.locked && sendlimit_parse(&t, buf, SENDLIMIT_FILE_SIZE) == 0 && !memcmp(&s, &t, sizeof s),
	   "format and parse round trip, locked too");
	ok(sendlimit_parse(&t, buf, 0) == 0 && !t.locked && !sendlimit_msgs_hour(&t, T0), "an empty file is a fresh state");
	is_int(sendlimit_parse(&t, buf, SENDLIMIT_FILE_SIZE - 1), -1, "a short file is damaged");
	buf[SENDLIMIT_FILE_SIZE] = 0;
	is_int(sendlimit_parse(&t, buf, SENDLIMIT_FILE_SIZE + 1), -1, "a long one too");
	for (i = 0; i < SENDLIMIT_FILE_SIZE; i++) {
		buf[i] ^= 0x10;
		if (sendlimit_parse(&t, buf, SENDLIMIT_FILE_SIZE) != -1 || t.locked || sendlimit_tries_hour(&t, T0 + 900))
			bad++;
		buf[i] ^= 0x10;
	}
	is_int(bad, 0, "any flipped bit is found, and leaves a reset state");
	/* a torn write: the new state's first half, the old one's second */
	{
		unsigned char old[SENDLIMIT_FILE_SIZE];
		sendlimit_unlock(&s);   /* the 9 tries above locked it */
		sendlimit_format(&s, old);
		sendlimit_charge(&s, &c, T0 + 1000, 1);
		sendlimit_format(&s, buf);
		memcpy(buf + 512, old + 512, SENDLIMIT_FILE_SIZE - 512);
		is_int(sendlimit_parse(&t, buf, SENDLIMIT_FILE_SIZE), -1, "a torn write is found");
	}
	/* a well-formed file that says locked=2 */
	sendlimit_reset(&s);
	s.locked = 2;
	sendlimit_format(&s, buf);
	is_int(sendlimit_parse(&t, buf, SENDLIMIT_FILE_SIZE), -1, "a lock field other than 0 or 1");
}

static void names(void)
{
	stralloc n = {0};
	char acct[SENDLIMIT_ACCOUNT_MAX + 1];

	ok(sendlimit_filename(&n, "alice@example.org"), "a name");
	is_str(n.s, "alice@example.org", "an address stays readable");
	sendlimit_filename(&n, "unix:root");
	is_str(n.s, "unix%3aroot", "':' escaped");
	sendlimit_filename(&n, "../x/Y");
	is_str(n.s, "%2e.%2fx%2f%59", "no '/', no leading dot, upper case escaped");
	sendlimit_filename(&n, ".");
	is_str(n.s, "%2e", "'.' is not a name of its own");
	memset(acct, 'a', sizeof acct - 1);
	acct[sizeof acct - 1] = 0;
	sendlimit_filename(&n, acct);
	is_int(n.len, SENDLIMIT_NAME_MAX, "a long account is cut to SENDLIMIT_NAME_MAX");
	ok(n.s[SENDLIMIT_NAME_MAX - 17] == '~', "with ~ and a hash");
	{
		stralloc m = {0};
		acct[100] = 'b';
		sendlimit_filename(&m, acct);
		ok(m.len == n.len && strcmp(m.s, n.s), "two long accounts that differ far in get two names");
		stralloc_free(&m);
	}
	memset(acct, '/', 100);
	acct[100] = 0;
	sendlimit_filename(&n, acct);
	ok(n.len <= SENDLIMIT_NAME_MAX && !strchr(n.s, '/'), "an escaped long name is cut too");
	stralloc_free(&n);
}

static void files(void)
{
	char dir[] = "/tmp/sendlimit-unit-XXXXXX", path[100];
	struct sendlimit s;
	struct sendlimit_conf c = {2, 0, 0};
	int fd;

	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return;
	}
	snprintf(path, sizeof path, "%s/a", dir);
	ok(sendlimit_load(path, 0, &fd, &s) == -1, "missing, not created: -1");
	is_int(sendlimit_load(path, 1, &fd, &s), 0, "created: a fresh state");
	sendlimit_charge(&s, &c, T0, 1);
	is_int(sendlimit_store(fd, &s), 0, "stored");
	close(fd);
	ok(sendlimit_load(path, 0, &fd, &s) == 0 && sendlimit_msgs_hour(&s, T0) == 1, "read back");
	close(fd);
	fd = open(path, O_WRONLY | O_APPEND);
	ok(fd >= 0 && write(fd, "junk", 4) == 4, "damage it");
	close(fd);
	is_int(sendlimit_load(path, 0, &fd, &s), 1, "a damaged file: 1, and reset");
	ok(!sendlimit_msgs_hour(&s, T0), "to a fresh state");
	sendlimit_store(fd, &s);
	close(fd);
	is_int(sendlimit_load(path, 0, &fd, &s), 0, "then whole again");
	close(fd);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	hour_window();
	day_window();
	burst();
	clock_back();
	file_format();
	names();
	files();
	return tap_done();
}
