/* durable: fsync'ed files and directories, atomic replacement; see durable.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <fmt.h>
#include "durable.h"

int durable_sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r;
	if (fd < 0) return -1;
	r = fsync(fd);
	if (r < 0) { int e = errno; close(fd); errno = e; return -1; }
	return close(fd);
}

int durable_sync_parent(const char *path)
{
	const char *slash = strrchr(path, '/');
	stralloc dir = {0};
	int r;

	if (!slash) return durable_sync_dir(".");
	if (slash == path) return durable_sync_dir("/");
	if (!stralloc_copyb(&dir, path, (size_t)(slash - path)) || !stralloc_0(&dir)) return -1;
	r = durable_sync_dir(dir.s);
	stralloc_free(&dir);
	return r;
}

int durable_open_tmp(stralloc *tmpname, const char *path, int mode)
{
	static unsigned long counter;
	char num[FMT_ULONG];
	int attempt;

	for (attempt = 0; attempt < 100; attempt++) {
		int fd;
		if (!stralloc_copys(tmpname, path) || !stralloc_cats(tmpname, ".tmp.") ||
		    !stralloc_catb(tmpname, num, fmt_ulong(num, (unsigned long)getpid())) ||
		    !stralloc_cats(tmpname, ".") ||
		    !stralloc_catb(tmpname, num, fmt_ulong(num, ++counter)) || !stralloc_0(tmpname))
			return -1;
		tmpname->len--;
		fd = open(tmpname->s, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
		if (fd >= 0 || errno != EEXIST) return fd;
	}
	return -1;
}

int durable_commit(int fd, const char *tmpname, const char *path)
{
	int e;
	if (fsync(fd) < 0) { e = errno; close(fd); goto fail; }
	if (close(fd) < 0) { e = errno; goto fail; }
	if (rename(tmpname, path) < 0) { e = errno; goto fail; }
	return durable_sync_parent(path);
fail:
	unlink(tmpname);
	errno = e;
	return -1;
}

int durable_writeall(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t w = write(fd, buf, len);
		if (w < 0) {
			if (errno == EINTR) continue;
			return -1;
		}
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

int durable_write(const char *path, const char *data, size_t len, int mode)
{
	stralloc tmp = {0};
	int fd = durable_open_tmp(&tmp, path, mode), r;

	if (fd < 0) { stralloc_free(&tmp); return -1; }
	if (durable_writeall(fd, data, len) < 0) {
		int e = errno;
		close(fd);
		unlink(tmp.s);
		stralloc_free(&tmp);
		errno = e;
		return -1;
	}
	r = durable_commit(fd, tmp.s, path);
	stralloc_free(&tmp);
	return r;
}
