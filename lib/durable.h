#ifndef DURABLE_H
#define DURABLE_H
/*
 * The durability rule in code: nothing is vouched for until the file and the
 * directory that names it are fsync'ed.  Every writer of a file that another
 * program trusts (users.cdb, maildirsize, queue entries) goes through here.
 * All functions return 0 on success, -1 with errno set.
 */
#include <stddef.h>
#include <stralloc.h>

/* fsync the directory itself / the directory that contains path. */
int durable_sync_dir(const char *dir);
int durable_sync_parent(const char *path);

/* Opens a new temporary file "PATH.tmp.PID.N" (O_EXCL, mode) beside path, so
 * a rename onto path stays in one file system; tmpname gets its name,
 * NUL-terminated.  Returns the fd or -1. */
int durable_open_tmp(stralloc *tmpname, const char *path, int mode);

/* fsync fd, close it, rename tmpname onto path, fsync the directory.  On any
 * failure the temporary file is removed and path is left as it was. */
int durable_commit(int fd, const char *tmpname, const char *path);

/* Replaces path with exactly len bytes of data, atomically and durably. */
int durable_write(const char *path, const char *data, size_t len, int mode);

/* write(2) all of buf, retrying on EINTR and short writes. */
int durable_writeall(int fd, const char *buf, size_t len);
#endif
