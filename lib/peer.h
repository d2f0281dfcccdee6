#ifndef PEER_H
#define PEER_H
/*
 * Who is on the other end of a network program's fd 0: the two endpoints of
 * the connection, as tcpserver (ucspi-tcp) passes them in the environment
 * (TCPREMOTEIP, TCPREMOTEPORT, TCPREMOTEHOST, TCPREMOTEINFO, TCPLOCALIP,
 * TCPLOCALPORT, TCPLOCALHOST), else, under inetd or a bare socket, read
 * with getpeername/getsockname.  Shared by smtpd, pop3d and imapd so that
 * every log line names a client the same way.
 *
 * Every field is a NUL-terminated string, "" when unknown; environment
 * values are cut to their field's size and any byte outside printable
 * ASCII is replaced by '?', so they are safe in a log line or a header.
 * IPv4-mapped IPv6 addresses (::ffff:192.0.2.1) are written as IPv4, and
 * tcpserver's "::ffff:"-less IPv6 form is kept as it is.
 */

#define PEER_IP_MAX 64      /* an IPv6 address with a zone fits */
#define PEER_HOST_MAX 256

struct peer {
	char remote_ip[PEER_IP_MAX];
	char remote_port[8];
	char remote_host[PEER_HOST_MAX];   /* from TCPREMOTEHOST only (no DNS here) */
	char remote_info[PEER_HOST_MAX];   /* TCPREMOTEINFO (ident), rarely set */
	char local_ip[PEER_IP_MAX];
	char local_port[8];
	char local_host[PEER_HOST_MAX];
	int from_env;                      /* 1: tcpserver's variables were used */
};

/* Fills *p for the connection on fd (normally 0).  Never fails: what
 * cannot be found stays "". */
void peer_get(struct peer *p, int fd);
#endif
