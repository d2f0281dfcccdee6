#ifndef PATH_H
#define PATH_H
/*
 * Paths built into fixed buffers, with the truncation check in one place:
 * a path cut short names another file, so one that does not fit is an
 * error (ENAMETOOLONG), never a shorter path.
 */
#include <stddef.h>

/* buf = dir "/" name.  0, or -1 with errno ENAMETOOLONG when it does not
 * fit in cap bytes (buf then holds no usable path). */
int path_join(char *buf, size_t cap, const char *dir, const char *name);

/* buf = the printf-formatted path.  0, or -1 with errno ENAMETOOLONG as
 * above (or EINVAL for a format error). */
int path_fmt(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
#endif
