/* maillock: a mailbox lock that dies with its process; see maillock.h. */
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#include <stralloc.h>
#include "maillock.h"

int maillock_take(const char *dir, const char *name)
{
	stralloc path = {0};
	int fd, e;

	if (!stralloc_copys(&path, dir) || !stralloc_cats(&path, "/") || !stralloc_cats(&path, name) ||
	    !stralloc_0(&path)) {
		stralloc_free(&path);
		errno = ENOMEM;
		return -1;
	}
	fd = open(path.s, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	stralloc_free(&path);
	if (fd < 0) return -1;
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EINTR) continue;
		e = errno == EAGAIN ? EWOULDBLOCK : errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int maillock_wait_fd(int fd, unsigned seconds)
{
	unsigned long i;

	for (i = 0; i < seconds * 100UL; i++) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) return 0;
		if (errno != EWOULDBLOCK && errno != EINTR) return -1;
		usleep(10000);
	}
	errno = EWOULDBLOCK;
	return -1;
}

int maillock_wait(const char *path, unsigned seconds)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0) return -1;
	if (maillock_wait_fd(fd, seconds) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}
