/* textfile: a small text file read whole, with a bound; see textfile.h. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include "textfile.h"

int textfile_read(const char *path, size_t max, stralloc *out, const char **why)
{
	char buf[4096];
	int fd = open(path, O_RDONLY | O_CLOEXEC), r = -1;

	out->len = 0;
	if (fd < 0) {
		if (errno == ENOENT) return 0;
		*why = "unable to open";
		return -1;
	}
	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0) {
			if (errno == EINTR) continue;
			*why = "unable to read";
			break;
		}
		if (n == 0) { r = 1; break; }
		if (out->len + (size_t)n > max) { *why = "file too large"; errno = EFBIG; break; }
		if (!stralloc_catb(out, buf, (size_t)n)) { *why = "out of memory"; errno = ENOMEM; break; }
	}
	{ int e = errno; close(fd); errno = e; }
	return r;
}
