/*
 * peer: connection endpoints from tcpserver's environment or the socket;
 * contract in peer.h.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "peer.h"

static void copy_clean(char *dst, size_t size, const char *src)
{
	size_t i;

	for (i = 0; src && src[i] && i + 1 < size; i++) {
		unsigned char c = (unsigned char)src[i];
		dst[i] = c > 0x20 && c < 0x7f ? (char)c : '?';
	}
	dst[i] = 0;
}

static void from_env(char *dst, size_t size, const char *name)
{
	copy_clean(dst, size, getenv(name));
}

/* Writes the address and port of a sockaddr. */
/* port fits: a number up to 65535 */
static void format_sa(const struct sockaddr_storage *ss, char ip[PEER_IP_MAX], char port[8])
{
	char buf[INET6_ADDRSTRLEN];

	ip[0] = port[0] = 0;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
		if (inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf)) copy_clean(ip, PEER_IP_MAX, buf);
		snprintf(port, 8, "%u", (unsigned)ntohs(in->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			if (inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], buf, sizeof buf)) copy_clean(ip, PEER_IP_MAX, buf);
		} else if (inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf)) {
			copy_clean(ip, PEER_IP_MAX, buf);
		}
		snprintf(port, 8, "%u", (unsigned)ntohs(in6->sin6_port));
	} else if (ss->ss_family == AF_UNIX) {
		copy_clean(ip, PEER_IP_MAX, "local");
	}
}

/* "::ffff:192.0.2.1" -> "192.0.2.1" */
static void unmap(char *ip)
{
	if (!strncmp(ip, "::ffff:", 7) && strchr(ip + 7, '.') && !strchr(ip + 7, ':'))
		memmove(ip, ip + 7, strlen(ip + 7) + 1);
}

void peer_get(struct peer *p, int fd)
{
	memset(p, 0, sizeof *p);
	if (getenv("TCPREMOTEIP")) {
		p->from_env = 1;
		from_env(p->remote_ip, sizeof p->remote_ip, "TCPREMOTEIP");
		from_env(p->remote_port, sizeof p->remote_port, "TCPREMOTEPORT");
		from_env(p->remote_host, sizeof p->remote_host, "TCPREMOTEHOST");
		from_env(p->remote_info, sizeof p->remote_info, "TCPREMOTEINFO");
		from_env(p->local_ip, sizeof p->local_ip, "TCPLOCALIP");
		from_env(p->local_port, sizeof p->local_port, "TCPLOCALPORT");
		from_env(p->local_host, sizeof p->local_host, "TCPLOCALHOST");
	} else {
		struct sockaddr_storage ss;
		socklen_t n = sizeof ss;

		memset(&ss, 0, sizeof ss);
		if (!getpeername(fd, (struct sockaddr *)&ss, &n)) format_sa(&ss, p->remote_ip, p->remote_port);
		n = sizeof ss;
		memset(&ss, 0, sizeof ss);
		if (!getsockname(fd, (struct sockaddr *)&ss, &n)) format_sa(&ss, p->local_ip, p->local_port);
	}
	unmap(p->remote_ip);
	unmap(p->local_ip);
}
