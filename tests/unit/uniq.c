/* Unit tests of lib/uniq and lib/durable. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "tap.h"
#include "durable.h"
#include "uniq.h"

static int valid_name(const stralloc *s)
{
	size_t i;
	for (i = 0; i < s->len; i++)
		if (s->s[i] == '/' || s->s[i] == ':' || s->s[i] == 0 || s->s[i] == '\n') return 0;
	return s->len > 10;
}

int main(void)
{
	stralloc a = {0}, b = {0}, tmp = {0};
	char dir[] = "/tmp/posthorn-uniq-XXXXXX";
	char path[256], buf[64];
	int i, dup_found = 0, all_valid = 1, fd;
	stralloc names[200];

	for (i = 0; i < 200; i++) {
		stralloc_init(&names[i]);
		uniq_name(&names[i]);
		if (!valid_name(&names[i])) all_valid = 0;
		if (i && names[i].len == names[i - 1].len && !memcmp(names[i].s, names[i - 1].s, names[i].len))
			dup_found = 1;
	}
	ok(all_valid, "names hold no '/', ':' or NUL");
	ok(!dup_found, "200 names in a row differ");
	uniq_name(&a);
	ok(a.len > 0 && strstr((stralloc_0(&a), a.s), ".M") && strchr(a.s, 'P') && strchr(a.s, 'Q'),
	   "name has the SECONDS.MusecPpidQn.host form");
	{
		/* Two processes at once: the pid part keeps them apart. */
		int p[2];
		pid_t pid = -1;
		if (pipe(p) == 0 && (pid = fork()) == 0) {
			stralloc c = {0};
			uniq_name(&c);
			if (write(p[1], c.s, c.len) < 0) _exit(1);
			_exit(0);
		}
		close(p[1]);
		ssize_t n = read(p[0], buf, sizeof buf);
		waitpid(pid, 0, 0);
		uniq_name(&b);
		ok(n > 0 && ((size_t)n != b.len || memcmp(buf, b.s, b.len)), "child and parent names differ");
	}

	if (!mkdtemp(dir)) return 1;
	snprintf(path, sizeof path, "%s/file", dir);
	is_int(durable_write(path, "hello\n", 6, 0640), 0, "durable_write succeeds");
	fd = open(path, O_RDONLY);
	ok(fd >= 0 && read(fd, buf, sizeof buf) == 6 && !memcmp(buf, "hello\n", 6), "file holds the data");
	close(fd);
	{
		struct stat st;
		stat(path, &st);
		is_int(st.st_mode & 0777, 0640, "file has the mode asked for");
	}
	is_int(durable_write(path, "bye\n", 4, 0640), 0, "durable_write replaces");
	fd = open(path, O_RDONLY);
	ok(fd >= 0 && read(fd, buf, sizeof buf) == 4 && !memcmp(buf, "bye\n", 4), "replacement is whole");
	close(fd);
	fd = durable_open_tmp(&tmp, path, 0600);
	ok(fd >= 0 && strstr(tmp.s, ".tmp."), "temp file beside the target");
	close(fd);
	unlink(tmp.s);
	snprintf(path, sizeof path, "%s/missing-dir/file", dir);
	is_int(durable_write(path, "x", 1, 0600), -1, "writing into a missing dir fails");
	is_int(durable_sync_dir(dir), 0, "sync of a dir");
	{
		char cmd[300];
		snprintf(cmd, sizeof cmd, "ls %s | grep -c tmp >/dev/null || true; rm -rf %s", dir, dir);
		if (system(cmd) != 0) diag("cleanup failed");
	}
	return tap_done();
}
