/* Unit tests of lib/conf: dir selection, defaults, unreadable files. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "tap.h"
#include "conf.h"

static char dir[] = "/tmp/posthorn-conf-XXXXXX";

static void put(const char *name, const char *text, int mode)
{
	char path[512];
	FILE *f;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

int main(void)
{
	stralloc sa = {0};
	unsigned long u = 0, n = 0;

	if (!mkdtemp(dir)) return 1;

	unsetenv("POSTHORN_CONF");
	conf_init(0);
	is_str(conf_dir(), "/etc/posthorn", "default dir without -C or environment");
	setenv("POSTHORN_CONF", "/from/env", 1);
	conf_init(0);
	is_str(conf_dir(), "/from/env", "POSTHORN_CONF chooses the dir");
	conf_init(dir);
	is_str(conf_dir(), dir, "-C wins over the environment");

	conf_path(&sa, "me");
	ok(sa.len == strlen(dir) + 3 && sa.s[sa.len] == 0, "conf_path is DIR/me, NUL-terminated");

	is_int(conf_line("me", &sa, "default.example"), 0, "missing optional file gives 0");
	is_str(sa.s, "default.example", "and the default");

	put("me", "  mail.example.org \r\nsecond line\n", 0644);
	is_int(conf_line("me", &sa, "x"), 1, "present file gives 1");
	is_str(sa.s, "mail.example.org", "first line, white space trimmed");

	put("limit", "12345\n", 0644);
	is_int(conf_ulong("limit", &u, 7), 1, "number read");
	is_int(u, 12345, "number value");
	is_int(conf_ulong("nolimit", &u, 7), 0, "missing number file");
	is_int(u, 7, "number default");
	put("bad", "12x\n", 0644);
	errno = 0;
	is_int(conf_ulong("bad", &u, 7), -1, "malformed number is an error");
	is_int(errno, EINVAL, "with EINVAL");
	put("huge", "99999999999999999999999999\n", 0644);
	is_int(conf_ulong("huge", &u, 7), -1, "overflowing number is an error");

	put("domains", "# our domains\nexample.org\n\n  example.net  \n#x\nexample.com", 0644);
	is_int(conf_lines("domains", &sa, &n), 1, "lines read");
	is_int(n, 3, "comments and blank lines dropped");
	ok(sa.len == 36 && !memcmp(sa.s, "example.org\0example.net\0example.com\0", 36), "lines NUL-separated and trimmed");
	is_int(conf_lines("nothing", &sa, &n), 0, "missing lines file");
	is_int(n, 0, "holds no lines");

	{
		/* Larger than CONF_FILE_MAX: refused, not truncated silently. */
		char *big = malloc(CONF_FILE_MAX + 2);
		memset(big, 'a', CONF_FILE_MAX + 1);
		big[CONF_FILE_MAX + 1] = 0;
		put("big", big, 0644);
		free(big);
		is_int(conf_line("big", &sa, ""), -1, "oversized file is an error");
	}

	if (geteuid() != 0) {
		put("secret", "x\n", 0);
		is_int(conf_line("secret", &sa, "d"), -1, "unreadable file is an error, not the default");
	} else {
		/* root reads anything; an unreadable file is made by a directory in its place */
		char path[512];
		snprintf(path, sizeof path, "%s/secret", dir);
		mkdir(path, 0700);
		is_int(conf_line("secret", &sa, "d"), -1, "unreadable file is an error, not the default");
		rmdir(path);
	}

	{
		char cmd[600];
		snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
		if (system(cmd) != 0) diag("cleanup failed");
	}
	stralloc_free(&sa);
	return tap_done();
}
