/*
 * Connections to content scanners with a deadline (see scanconn.h).  The
 * socket is non-blocking and every wait is a poll(2) until the deadline;
 * send(2) with MSG_NOSIGNAL, so a scanner that hangs up mid-message is an
 * error return, not a SIGPIPE.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "scanconn.h"

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

long long scanconn_deadline(unsigned seconds)
{
	return now_ms() + (long long)seconds * 1000;
}

/* Waits for events on fd until the deadline: 1 ready, 0 timeout, -1 error. */
static int wait_for(int fd, short events, long long deadline)
{
	for (;;) {
		struct pollfd p = {fd, events, 0};
		long long left = deadline - now_ms();
		int r;
		if (left <= 0) return 0;
		r = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (r > 0) return 1;
		if (r < 0 && errno != EINTR) return -1;
	}
}

/* "HOST:PORT" or "[HOST]:PORT" into an IPv4 or IPv6 address. */
static int parse_inet(const char *addr, struct sockaddr_storage *ss, socklen_t *sl)
{
	char host[SCANCONN_ADDR_MAX + 1];
	const char *colon = strrchr(addr, ':'), *h = addr;
	size_t hl;
	unsigned long port = 0;
	const char *p;

	if (!colon || !colon[1] || strlen(addr) > SCANCONN_ADDR_MAX) return -1;
	for (p = colon + 1; *p; p++) {
		if (*p < '0' || *p > '9') return -1;
		port = port * 10 + (unsigned long)(*p - '0');
		if (port > 65535) return -1;
	}
	if (!port) return -1;
	hl = (size_t)(colon - addr);
	if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') h++, hl -= 2;
	memcpy(host, h, hl);
	host[hl] = 0;
	memset(ss, 0, sizeof *ss);
	{
		struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
		if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
			in4->sin_family = AF_INET;
			in4->sin_port = htons((unsigned short)port);
			*sl = sizeof *in4;
			return 0;
		}
		if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
			in6->sin6_family = AF_INET6;
			in6->sin6_port = htons((unsigned short)port);
			*sl = sizeof *in6;
			return 0;
		}
	}
	return -1;
}

int scanconn_open(const char *addr, long long deadline, const char **why)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, err = 0, r;
	socklen_t el = sizeof err;

	if (addr[0] == '/') {
		struct sockaddr_un *un = (struct sockaddr_un *)&ss;
		size_t n = strlen(addr);
		if (n >= sizeof un->sun_path) {
			*why = "socket path too long";
			return -1;
		}
		memset(&ss, 0, sizeof ss);
		un->sun_family = AF_UNIX;
		memcpy(un->sun_path, addr, n + 1);
		sl = sizeof *un;
	} else if (parse_inet(addr, &ss, &sl)) {
		*why = "bad address (want /path or IP:PORT)";
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*why = "socket failed";
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&ss, sl) == 0) return fd;
	if (errno != EINPROGRESS && errno != EAGAIN) {
		*why = "connect failed";
		close(fd);
		return -1;
	}
	r = wait_for(fd, POLLOUT, deadline);
	if (r <= 0) {
		*why = r ? "connect failed" : "timeout";
		close(fd);
		return -1;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) || err) {
		*why = "connect failed";
		close(fd);
		return -1;
	}
	return fd;
}

int scanconn_write(int fd, const char *buf, size_t len, long long deadline, const char **why)
{
	while (len) {
		ssize_t w = send(fd, buf, len, MSG_NOSIGNAL);
		if (w > 0) {
			buf += w, len -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR) continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			int r = wait_for(fd, POLLOUT, deadline);
			if (r > 0) continue;
			*why = r ? "write failed" : "timeout";
			return -1;
		}
		*why = "write failed";
		return -1;
	}
	return 0;
}

ssize_t scanconn_read(int fd, char *buf, size_t max, long long deadline, const char **why)
{
	for (;;) {
		ssize_t r = read(fd, buf, max);
		int w;
		if (r >= 0) return r;
		if (errno == EINTR) continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			*why = "read failed";
			return -1;
		}
		w = wait_for(fd, POLLIN, deadline);
		if (w > 0) continue;
		*why = w ? "read failed" : "timeout";
		return -1;
	}
}
