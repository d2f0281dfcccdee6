/* path: paths into fixed buffers, checked; see path.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include "path.h"

static int vpath(char *buf, size_t cap, const char *fmt, va_list ap)
{
	int n = vsnprintf(buf, cap, fmt, ap);

	if (n < 0) { errno = EINVAL; return -1; }
	if ((size_t)n >= cap) {
		if (cap) buf[0] = 0;
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int path_fmt(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vpath(buf, cap, fmt, ap);
	va_end(ap);
	return r;
}

int path_join(char *buf, size_t cap, const char *dir, const char *name)
{
	return path_fmt(buf, cap, "%s/%s", dir, name);
}
