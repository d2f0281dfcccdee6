/* Unit tests of lib/maildir: creation, folder paths, folder lookup, delivery. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "tap.h"
#include "maildir.h"

static char root[] = "/tmp/posthorn-maildir-XXXXXX";

static int is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_file(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static const char *pathf(const char *fmt, const char *a)
{
	static char buf[4][512];
	static int n;
	char *b = buf[n++ % 4];
	snprintf(b, 512, fmt, root, a);
	return b;
}

/* Name of the only file in dir (or "" if not exactly one). */
static void only_file(const char *dir, char *out, size_t cap, int *count)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	*count = 0;
	out[0] = 0;
	if (!d) return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.') continue;
		snprintf(out, cap, "%s", de->d_name);
		++*count;
	}
	closedir(d);
}

static void slurp(const char *path, char *out, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n = 0;
	if (f) { n = fread(out, 1, cap - 1, f); fclose(f); }
	out[n] = 0;
}

static int fd_with(const char *text)
{
	char name[] = "/tmp/posthorn-maildir-msg-XXXXXX";
	int fd = mkstemp(name);
	unlink(name);
	if (write(fd, text, strlen(text)) < 0) return -1;
	lseek(fd, 0, SEEK_SET);
	return fd;
}

static void test_paths(void)
{
	static const struct { const char *folder, *want; } good[] = {
		{"", "/m"}, {"INBOX", "/m"}, {"inbox", "/m"}, {"Sent", "/m/.Sent"},
		{"a/b", "/m/.a.b"}, {"a.b", "/m/.a.b"}, {"Caf\xc3\xa9", "/m/.Caf\xc3\xa9"},
		{"Mailing Lists", "/m/.Mailing Lists"}, {"INBOXX", "/m/.INBOXX"},
	};
	static const char *const bad[] = {
		"..", "../x", "a/../b", ".hidden", "a/", "/a", "a//b", "a..b", ".", "a/.b",
		"a\nb", "a\tb", "a\x7f", "tab\t",
	};
	stralloc out = {0};
	char big[MAILDIR_FOLDER_MAX + 2];
	unsigned i;

	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		int r = maildir_folder_path(&out, "/m", good[i].folder);
		is_int(r, 0, good[i].folder[0] ? good[i].folder : "(empty) folder path");
		if (!r) is_str(out.s, good[i].want, "  maps to the Maildir++ path");
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int r = maildir_folder_path(&out, "/m", bad[i]);
		char name[64];
		snprintf(name, sizeof name, "hostile folder name %u refused", i);
		ok(r == -1 && errno == EINVAL, name);
	}
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = 0;
	ok(maildir_folder_path(&out, "/m", big) == -1, "folder name over MAILDIR_FOLDER_MAX refused");
	big[MAILDIR_FOLDER_MAX] = 0;
	ok(maildir_folder_path(&out, "/m", big) == 0, "folder name of MAILDIR_FOLDER_MAX accepted");
	stralloc_free(&out);
}

static void test_create(void)
{
	unsigned i;

	is_int(maildir_create(pathf("%s/%s", "m"), (uid_t)-1, (gid_t)-1), 0, "maildir_create");
	ok(is_dir(pathf("%s/%s/tmp", "m")) && is_dir(pathf("%s/%s/new", "m")) && is_dir(pathf("%s/%s/cur", "m")),
	   "tmp, new and cur exist");
	{
		struct stat st;
		stat(pathf("%s/%s", "m"), &st);
		is_int(st.st_mode & 0777, 0700, "the Maildir is mode 0700");
	}
	is_int(maildir_create(pathf("%s/%s", "m"), (uid_t)-1, (gid_t)-1), 0, "maildir_create again is fine");
	for (i = 0; maildir_special_folders[i]; i++)
		is_int(maildir_create_folder(pathf("%s/%s", "m"), maildir_special_folders[i], (uid_t)-1, (gid_t)-1), 0,
		       maildir_special_folders[i]);
	ok(is_dir(pathf("%s/%s/.Sent/cur", "m")) && is_file(pathf("%s/%s/.Sent/maildirfolder", "m")),
	   "folder .Sent has cur/ and the maildirfolder marker");
	is_int(maildir_create_folder(pathf("%s/%s", "m"), "Lists/Debian", (uid_t)-1, (gid_t)-1), 0,
	       "subfolder created");
	ok(is_dir(pathf("%s/%s/.Lists.Debian/new", "m")), "subfolder lives in .Lists.Debian");
	ok(maildir_create_folder(pathf("%s/%s", "m"), "../evil", (uid_t)-1, (gid_t)-1) == -1 && errno == EINVAL,
	   "hostile folder not created");
	ok(!is_dir(pathf("%s/%s", "evil")) && !is_dir(pathf("%s/%s/..evil", "m")), "nothing made outside");
	ok(maildir_create(pathf("%s/%s", "nosuch/deep/m"), (uid_t)-1, (gid_t)-1) == -1,
	   "missing parent is an error");
	{
		int fd = open(pathf("%s/%s", "file"), O_CREAT | O_WRONLY, 0600);
		close(fd);
		ok(maildir_create(pathf("%s/%s", "file"), (uid_t)-1, (gid_t)-1) == -1, "a file in the way is an error");
	}
}

static void test_exists(void)
{
	char real[MAILDIR_FOLDER_MAX + 1], m[512];

	snprintf(m, sizeof m, "%s/m", root);

	is_int(maildir_folder_exists(m, "Sent", 1, real), 1, "Sent exists (exact)");
	is_str(real, "Sent", "  real name");
	is_int(maildir_folder_exists(m, "sent", 1, 0), 0, "sent does not exist (exact)");
	is_int(maildir_folder_exists(m, "sENT", 0, real), 1, "sENT exists (case-insensitive)");
	is_str(real, "Sent", "  real name is the folder's own");
	is_int(maildir_folder_exists(m, "lists/debian", 0, real), 1, "lists/debian found case-insensitively");
	is_str(real, "Lists.Debian", "  real name in Maildir++ form");
	is_int(maildir_folder_exists(m, "Nope", 0, real), 0, "missing folder");
	is_int(maildir_folder_exists(m, "../m", 0, real), 0, "hostile name is not a folder");
	is_int(maildir_folder_exists(m, "INBOX", 1, real), 1, "INBOX exists");
	mkdir(pathf("%s/%s/.Half", "m"), 0700);
	is_int(maildir_folder_exists(m, "Half", 0, real), 0, "a folder without cur/ does not count");
}

static void test_deliver(void)
{
	char m[512], name[512], text[4096], want[64];
	unsigned long long size = 0;
	int fd, count;

	snprintf(m, sizeof m, "%s/m", root);
	fd = fd_with("Subject: t\r\n\r\nline one\r\nline two\r\nbare\rcr\r\n");
	is_int(maildir_deliver(m, "Delivered-To: a@b\n", 18, fd, &size), 0, "deliver");
	close(fd);
	only_file(pathf("%s/%s/new", "m"), name, sizeof name, &count);
	is_int(count, 1, "one file in new/");
	snprintf(want, sizeof want, ",S=%llu", size);
	ok(strlen(name) > strlen(want) && !strcmp(name + strlen(name) - strlen(want), want),
	   "file name ends with ,S=SIZE");
	snprintf(text, sizeof text, "%s/new/%s", m, name);
	{
		struct stat st;
		stat(text, &st);
		is_int(st.st_size, size, "size is the stored size");
		is_int(st.st_mode & 0777, 0600, "message is mode 0600");
	}
	slurp(text, text, sizeof text);
	is_str(text, "Delivered-To: a@b\nSubject: t\n\nline one\nline two\nbare\rcr\n",
	       "head prepended, CRLF turned into LF, a bare CR kept");
	only_file(pathf("%s/%s/tmp", "m"), name, sizeof name, &count);
	is_int(count, 0, "tmp/ is empty afterwards");

	/* A CRLF split across reads: a long message whose CR ends a read buffer. */
	{
		static char big[40000];
		size_t i;
		/* One byte first, so the CR of a pair ends the 16 KiB read buffer. */
		big[0] = 'x';
		for (i = 1; i + 1 < sizeof big - 1; i += 2) { big[i] = '\r'; big[i + 1] = '\n'; }
		big[sizeof big - 1] = 0;
		fd = fd_with(big);
		is_int(maildir_deliver(pathf("%s/%s/.Sent", "m"), 0, 0, fd, &size), 0, "deliver into a folder");
		close(fd);
		only_file(pathf("%s/%s/.Sent/new", "m"), name, sizeof name, &count);
		is_int(count, 1, "one file in the folder's new/");
		{
			char p[sizeof m + sizeof name + 16];
			FILE *f;
			int c, crs = 0;
			snprintf(p, sizeof p, "%s/.Sent/new/%s", m, name);
			f = fopen(p, "rb");
			while (f && (c = getc(f)) != EOF) if (c == '\r') crs++;
			if (f) fclose(f);
			is_int(crs, 0, "every CRLF converted, also one split across two reads");
		}
	}

	fd = fd_with("x");
	ok(maildir_deliver(pathf("%s/%s", "nosuch"), 0, 0, fd, &size) == -1 && errno == ENOENT,
	   "delivery to a missing Maildir fails with ENOENT");
	close(fd);
	{
		int i, okall = 1;
		for (i = 0; i < 50; i++) {
			fd = fd_with("same");
			if (maildir_deliver(m, 0, 0, fd, &size) < 0) okall = 0;
			close(fd);
		}
		ok(okall, "50 deliveries in a row");
		only_file(pathf("%s/%s/new", "m"), name, sizeof name, &count);
		is_int(count, 51, "51 distinct files in new/");
	}
}

int main(void)
{
	if (!mkdtemp(root)) { perror("mkdtemp"); return 1; }
	test_paths();
	test_create();
	test_exists();
	test_deliver();
	{
		char cmd[600];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
		if (system(cmd)) {}
	}
	/* delivery order of names */
	ok(maildir_name_cmp("1700000000.M9150P1Q1.h", "1700000000.M12232P1Q1.h") < 0,
	   "name order: microseconds compared as numbers (M9150 before M12232)");
	ok(maildir_name_cmp("1700000000.M99999P9Q1.h", "1700000000.M100000P1Q1.h") < 0, "M99999 before M100000");
	ok(maildir_name_cmp("999999999.M5P1.h", "1000000000.M0P1.h") < 0, "seconds compared as numbers (1999 before 2001)");
	ok(maildir_name_cmp("1700000001.M0P1.h", "1700000000.M999999P1.h") > 0, "seconds first, then microseconds");
	ok(maildir_name_cmp("1700000000.M5P1.h:2,S", "1700000000.M5P1.h:2,S") == 0, "the same name: 0");
	ok(maildir_name_cmp("1700000000.123_4.host", "1700000000.45_4.host") < 0,
	   "old-style names (no .M): the whole name decides");
	return tap_done();
}
