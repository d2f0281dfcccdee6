/* Unit tests for lib/loginban: the file format and its hostile cases, the
 * names (IPv6 per /64, IPv4-mapped as IPv4, nothing of the client's bytes
 * in a path), and counting in a temp dir: the ban at exactly N within the
 * window, failures ageing out, refusals not lengthening the ban, expiry,
 * a corrupt file or an absurd ban never locking anybody out, removal and
 * expiry of files, and the settings. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "conf.h"
#include "loginban.h"
#include "tap.h"

static struct loginban_rec rec;

#define PARSE(lit) loginban_parse(lit, sizeof lit - 1, &rec)

static void test_parse(void)
{
	char buf[LOGINBAN_FILE_MAX + 8], out[LOGINBAN_FILE_MAX];
	size_t n;
	unsigned i;

	is_int(PARSE(""), 0, "an empty file: an empty record");
	is_int(rec.until + rec.refused + rec.nfail, 0, "empty: nothing");
	is_int(PARSE("until 1700000000\nrefused 3\nfail 10 20 30\n"), 0, "all three lines");
	is_int(rec.until, 1700000000, "until");
	is_int(rec.refused, 3, "refused");
	is_int(rec.nfail, 3, "three failures");
	is_int(rec.fail[2], 30, "in order");
	is_int(PARSE("fail\n"), 0, "fail with none");
	is_int(PARSE("until 5"), -1, "no line end: malformed");
	is_int(PARSE("until 5\nuntil 6\n"), -1, "a line twice: malformed");
	is_int(PARSE("until -5\n"), -1, "a sign: malformed");
	is_int(PARSE("until 5 6\n"), -1, "two numbers for until: malformed");
	is_int(PARSE("until  5\n"), -1, "two spaces: malformed");
	is_int(PARSE("until\n"), -1, "no number: malformed");
	is_int(PARSE("until 18446744073709551615\n"), 0, "the largest number");
	is_int(PARSE("until 18446744073709551616\n"), -1, "one more: overflow, malformed");
	is_int(PARSE("fail 1 2 \n"), -1, "a trailing space: malformed");
	is_int(PARSE("banned 1\n"), -1, "an unknown line: malformed");
	is_int(PARSE("until 1\0\n"), -1, "a NUL: malformed");
	is_int(rec.until + rec.nfail, 0, "malformed: the record is left empty");

	n = (size_t)snprintf(buf, sizeof buf, "fail");
	for (i = 0; i < LOGINBAN_FAILURES_MAX; i++) n += (size_t)snprintf(buf + n, sizeof buf - n, " %u", i);
	buf[n++] = '\n';
	is_int(loginban_parse(buf, n, &rec), 0, "the ring full");
	is_int(rec.nfail, LOGINBAN_FAILURES_MAX, "every entry");
	n--;
	n += (size_t)snprintf(buf + n, sizeof buf - n, " 7\n");
	is_int(loginban_parse(buf, n, &rec), -1, "one entry over the ring: malformed");
	memset(buf, '\n', sizeof buf);
	is_int(loginban_parse(buf, 1, &rec), -1, "a blank line: malformed");
	memcpy(buf, "until 1\n", 8);
	is_int(loginban_parse(buf, LOGINBAN_FILE_MAX + 1, &rec), -1, "over the bound: malformed");

	/* the largest record fits the file bound and reads back the same */
	memset(&rec, 0, sizeof rec);
	rec.until = rec.refused = ~0ULL;
	for (i = 0; i < LOGINBAN_FAILURES_MAX; i++) rec.fail[i] = ~0ULL - i;
	rec.nfail = LOGINBAN_FAILURES_MAX;
	n = loginban_format(&rec, out, sizeof out);
	ok(n > 0 && n <= LOGINBAN_FILE_MAX, "the largest record fits LOGINBAN_FILE_MAX");
	{
		struct loginban_rec back;
		is_int(loginban_parse(out, n, &back), 0, "and parses");
		ok(!memcmp(&back, &rec, sizeof rec), "to the same record");
	}
	is_int(loginban_format(&rec, out, 40), 0, "a buffer too small: 0");
}

static void test_names(void)
{
	char name[LOGINBAN_NAME_MAX], show[LOGINBAN_SHOW_MAX];

	is_int(loginban_name("192.0.2.1", name), 0, "IPv4");
	is_str(name, "4-192.0.2.1", "IPv4 name");
	is_int(loginban_name("::ffff:192.0.2.1", name), 0, "IPv4-mapped");
	is_str(name, "4-192.0.2.1", "IPv4-mapped counts as IPv4");
	is_int(loginban_name("2001:db8:1:2:aaaa:bbbb:cccc:dddd", name), 0, "IPv6");
	is_str(name, "6-2001:db8:1:2::", "IPv6: its /64");
	is_int(loginban_name("2001:0DB8:0001:0002::1", name), 0, "IPv6, another host, other spelling");
	is_str(name, "6-2001:db8:1:2::", "the same /64, the same name");
	is_int(loginban_name("2001:db8:1:3::1", name), 0, "the next /64");
	is_str(name, "6-2001:db8:1:3::", "another name");
	is_int(loginban_name("fe80::1%eth0", name), 0, "a zone");
	is_str(name, "6-fe80::", "the zone dropped");
	is_int(loginban_name("", name), -1, "empty: no name");
	is_int(loginban_name("local", name), -1, "local: no name");
	is_int(loginban_name("../../etc/passwd", name), -1, "a path: no name");
	is_int(loginban_name("192.0.2.1/../x", name), -1, "an address and more: no name");
	is_int(loginban_name("1.2.3.4.5", name), -1, "not an address");
	is_int(loginban_name("0192.0.2.1", name), -1, "a leading zero: not an address");
	is_int(loginban_name("2001:db8:0000:0000:0000:0000:0000:0000:0000", name), -1, "too long");

	is_int(loginban_show("4-192.0.2.1", show), 0, "show IPv4");
	is_str(show, "192.0.2.1", "as is");
	is_int(loginban_show("6-2001:db8:1:2::", show), 0, "show IPv6");
	is_str(show, "2001:db8:1:2::/64", "with its /64");
	is_int(loginban_show("6-2001:db8:1:2::1", show), -1, "a host part: not our name");
	is_int(loginban_show("4-192.000.2.1", show), -1, "not canonical: not our name");
	is_int(loginban_show("6-192.0.2.1", show), -1, "the wrong family: not our name");
	is_int(loginban_show(".tmp", show), -1, "another file: not our name");

	is_int(loginban_name_typed("2001:db8:1:2::/64", name), 0, "typed /64");
	is_str(name, "6-2001:db8:1:2::", "its name");
	is_int(loginban_name_typed("2001:db8:1:2::77", name), 0, "typed IPv6 host");
	is_str(name, "6-2001:db8:1:2::", "its /64's name");
	is_int(loginban_name_typed("192.0.2.9/32", name), 0, "typed /32");
	is_int(loginban_name_typed("192.0.2.9/24", name), -1, "typed /24: refused");
	is_int(loginban_name_typed("2001:db8::/48", name), -1, "typed /48: refused");
	is_int(loginban_name_typed("nonsense", name), -1, "typed nonsense: refused");
}

static struct loginban_conf conf;
static char dir[] = "/tmp/loginban-unit.XXXXXX";

static int file_of(const char *name, char *out, size_t cap)
{
	char path[512];
	int fd, n;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if ((fd = open(path, O_RDONLY)) < 0) return -1;
	n = (int)read(fd, out, cap - 1);
	close(fd);
	if (n < 0) return -1;
	out[n] = 0;
	return n;
}

static void put_file(const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f) return;
	fputs(text, f);
	fclose(f);
}

static void test_counting(void)
{
	char text[LOGINBAN_FILE_MAX], path[512];
	struct stat st;
	time_t t = 1700000000;
	int i;

	conf.failures = 3;
	conf.window = 600;
	conf.bantime = 3600;
	if (!stralloc_copys(&conf.dir, dir) || !stralloc_0(&conf.dir)) exit(1);

	is_int(loginban_check(&conf, "192.0.2.1", t), 0, "no file: not banned");
	is_int(loginban_fail(&conf, "192.0.2.1", t), LOGINBAN_COUNTED, "failure 1: counted");
	snprintf(path, sizeof path, "%s/4-192.0.2.1", dir);
	ok(!stat(path, &st) && (st.st_mode & 07777) == 0660, "the file is 0660 whatever the umask");
	is_int(loginban_fail(&conf, "192.0.2.1", t + 1), LOGINBAN_COUNTED, "failure 2: counted");
	is_int(loginban_check(&conf, "192.0.2.1", t + 1), 0, "two of three: not banned");
	is_int(loginban_fail(&conf, "192.0.2.2", t + 1), LOGINBAN_COUNTED, "another address: its own count");
	is_int(loginban_fail(&conf, "192.0.2.1", t + 2), LOGINBAN_STARTED, "failure 3: the ban starts");
	is_int(loginban_check(&conf, "192.0.2.1", t + 2), 1, "banned");
	is_int(loginban_check(&conf, "192.0.2.2", t + 2), 0, "the other address is not");
	is_int(loginban_check(&conf, "::ffff:192.0.2.1", t + 2), 1, "nor can it hide as IPv4-mapped");
	is_int(loginban_fail(&conf, "192.0.2.1", t + 100), LOGINBAN_REFUSED, "during the ban: refused");
	file_of("4-192.0.2.1", text, sizeof text);
	is_str(text, "until 1700003602\nrefused 1\nfail\n", "the ban's end is not moved by a refusal");
	is_int(loginban_check(&conf, "192.0.2.1", t + 3601), 1, "banned one second before its end");
	is_int(loginban_check(&conf, "192.0.2.1", t + 3602), 0, "not banned at its end");
	is_int(loginban_fail(&conf, "192.0.2.1", t + 3602), LOGINBAN_COUNTED, "after the ban: counting from nothing");
	file_of("4-192.0.2.1", text, sizeof text);
	is_str(text, "until 0\nrefused 0\nfail 1700003602\n", "the old ban is cleared");

	/* failures age out of the window */
	for (i = 0; i < 2; i++) loginban_fail(&conf, "198.51.100.7", t + i);
	is_int(loginban_fail(&conf, "198.51.100.7", t + 600), LOGINBAN_COUNTED, "two failures 600 s ago are out of the window");
	is_int(loginban_fail(&conf, "198.51.100.7", t + 601), LOGINBAN_COUNTED, "two in the window");
	is_int(loginban_fail(&conf, "198.51.100.7", t + 602), LOGINBAN_STARTED, "three in the window: banned");

	/* IPv6: any host of the /64 adds to one count */
	is_int(loginban_fail(&conf, "2001:db8:5:6::1", t), LOGINBAN_COUNTED, "IPv6 host 1");
	is_int(loginban_fail(&conf, "2001:db8:5:6::2", t), LOGINBAN_COUNTED, "IPv6 host 2");
	is_int(loginban_fail(&conf, "2001:db8:5:6:ffff::3", t), LOGINBAN_STARTED, "IPv6 host 3 of the /64: banned");
	is_int(loginban_check(&conf, "2001:db8:5:6:1234:5678:9abc:def0", t), 1, "the whole /64 is banned");
	is_int(loginban_check(&conf, "2001:db8:5:7::1", t), 0, "the next /64 is not");

	/* hostile files never lock anybody out */
	put_file("4-203.0.113.1", "until 99999999999\n");
	is_int(loginban_check(&conf, "203.0.113.1", t), 0, "a ban far beyond loginban-time: not believed");
	is_int(loginban_fail(&conf, "203.0.113.1", t), LOGINBAN_COUNTED, "and counting goes on");
	put_file("4-203.0.113.2", "garbage\x01\n");
	is_int(loginban_check(&conf, "203.0.113.2", t), 0, "a corrupt file: not banned");
	is_int(loginban_fail(&conf, "203.0.113.2", t), LOGINBAN_COUNTED, "a corrupt file: counted from nothing");
	file_of("4-203.0.113.2", text, sizeof text);
	is_str(text, "until 0\nrefused 0\nfail 1700000000\n", "and rewritten");
	snprintf(path, sizeof path, "%s/4-203.0.113.3", dir);
	if (symlink("/etc/passwd", path)) diag("symlink failed");
	is_int(loginban_check(&conf, "203.0.113.3", t), 0, "a symlink: not followed, not banned");
	is_int(loginban_fail(&conf, "203.0.113.3", t), LOGINBAN_NOTHING, "a symlink: not written through");
	snprintf(path, sizeof path, "%s/4-203.0.113.4", dir);
	if (mkfifo(path, 0600)) diag("mkfifo failed");
	is_int(loginban_check(&conf, "203.0.113.4", t), 0, "a fifo: no hang, not banned");
	is_int(loginban_fail(&conf, "203.0.113.4", t), LOGINBAN_NOTHING, "a fifo: not counted");
	is_int(loginban_fail(&conf, "local", t), LOGINBAN_NOTHING, "not an address: not counted");

	/* off */
	conf.failures = 0;
	is_int(loginban_check(&conf, "192.0.2.1", t + 2), 0, "loginban-failures 0: nobody is banned");
	is_int(loginban_fail(&conf, "192.0.2.9", t), LOGINBAN_NOTHING, "and nothing is counted");
	conf.failures = 3;

	/* removal and expiry */
	is_int(loginban_read(&conf, "6-2001:db8:5:6::", &rec), 0, "read a record");
	ok(rec.until == (unsigned long long)t + 3600, "its ban");
	is_int(loginban_remove(&conf, "6-2001:db8:5:6::"), 0, "removed");
	is_int(loginban_check(&conf, "2001:db8:5:6::1", t), 0, "the ban is lifted");
	is_int(loginban_remove(&conf, "6-2001:db8:5:6::"), -1, "removed twice: an error");
	is_int(errno, ENOENT, "ENOENT");
	is_int(loginban_expire(&conf, "4-192.0.2.2", t + 2), 0, "a failure in the window: kept");
	is_int(loginban_expire(&conf, "4-192.0.2.2", t + 601), 1, "out of the window: removed");
	is_int(loginban_expire(&conf, "4-198.51.100.7", t + 1000), 0, "banned: kept");
}

static void test_conf(void)
{
	char cdir[] = "/tmp/loginban-conf.XXXXXX", path[512];
	struct loginban_conf c = {0};
	const char *bad;
	FILE *f;

	if (!mkdtemp(cdir)) return;
	conf_init(cdir);
	is_int(loginban_conf_read(&c, &bad), 0, "no settings");
	is_int(c.failures, LOGINBAN_FAILURES_DEFAULT, "failures default");
	is_int(c.window, LOGINBAN_WINDOW_DEFAULT, "window default");
	is_int(c.bantime, LOGINBAN_TIME_DEFAULT, "ban time default");
	is_str(c.dir.s, LOGINBAN_DIR_DEFAULT, "bandir default");
	snprintf(path, sizeof path, "%s/loginban-failures", cdir);
	if ((f = fopen(path, "w"))) fputs("100000\n", f), fclose(f);
	snprintf(path, sizeof path, "%s/bandir", cdir);
	if ((f = fopen(path, "w"))) fputs("  /srv/bans \n", f), fclose(f);
	is_int(loginban_conf_read(&c, &bad), 0, "settings");
	is_int(c.failures, LOGINBAN_FAILURES_MAX, "failures clamped to the ring");
	is_str(c.dir.s, "/srv/bans", "bandir");
	snprintf(path, sizeof path, "%s/loginban-time", cdir);
	if ((f = fopen(path, "w"))) fputs("soon\n", f), fclose(f);
	is_int(loginban_conf_read(&c, &bad), -1, "a bad number");
	is_str(bad, "loginban-time", "named");
	unlink(path);
	snprintf(path, sizeof path, "%s/loginban-failures", cdir);
	unlink(path);
	snprintf(path, sizeof path, "%s/bandir", cdir);
	unlink(path);
	rmdir(cdir);
}

int main(void)
{
	char cmd[600];

	umask(022);   /* as a service may run: the file must still be 0660 */
	/* the log lines of the hostile cases are expected: not on the terminal */
	if (!getenv("LOGINBAN_UNIT_LOG") && !freopen("/dev/null", "w", stderr)) return 1;
	test_parse();
	test_names();
	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return tap_done();
	}
	test_counting();
	test_conf();
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd)) diag("cleanup failed");
	return tap_done();
}
