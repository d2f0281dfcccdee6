#ifndef TEXTFILE_H
#define TEXTFILE_H
/*
 * A small text file read whole, with a bound: the per-user rules, the
 * DNSBL zone list, and the like, which their parsers take as one buffer.
 */
#include <stddef.h>
#include <stralloc.h>

/* Reads the file at path into out (replacing its contents; not
 * NUL-terminated).  1 when read; 0 when there is no such file (out is
 * empty); -1 with errno and *why a short reason ("unable to open",
 * "unable to read", "file too large" with EFBIG past max bytes, "out of
 * memory"). */
int textfile_read(const char *path, size_t max, stralloc *out, const char **why);
#endif
