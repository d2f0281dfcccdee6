/* Unit tests for lib/peer: tcpserver's environment, the getpeername
 * fallback over a real loopback connection, and cleaning of hostile
 * environment values. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "peer.h"
#include "tap.h"

int main(void)
{
	struct peer p;
	struct sockaddr_in sa;
	socklen_t n = sizeof sa;
	int lsock, csock, ssock;
	char port[8];

	setenv("TCPREMOTEIP", "::ffff:192.0.2.7", 1);
	setenv("TCPREMOTEPORT", "4242", 1);
	setenv("TCPREMOTEHOST", "evil host\r\nX-Injected: yes", 1);
	setenv("TCPLOCALIP", "2001:db8::1", 1);
	setenv("TCPLOCALPORT", "25", 1);
	peer_get(&p, -1);
	ok(p.from_env, "tcpserver's variables used");
	is_str(p.remote_ip, "192.0.2.7", "IPv4-mapped address written as IPv4");
	is_str(p.remote_port, "4242", "remote port");
	is_str(p.remote_host, "evil?host??X-Injected:?yes", "control bytes and spaces in TCPREMOTEHOST replaced");
	is_str(p.local_ip, "2001:db8::1", "IPv6 local address kept");
	is_str(p.remote_info, "", "unset TCPREMOTEINFO is empty");
	unsetenv("TCPREMOTEIP");

	lsock = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(lsock, (struct sockaddr *)&sa, sizeof sa) || listen(lsock, 1) ||
	    getsockname(lsock, (struct sockaddr *)&sa, &n)) {
		ok(0, "loopback socket");
		return tap_done();
	}
	csock = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(csock, (struct sockaddr *)&sa, sizeof sa)) {
		ok(0, "connect");
		return tap_done();
	}
	ssock = accept(lsock, 0, 0);
	peer_get(&p, ssock);
	ok(!p.from_env, "no environment: getpeername");
	is_str(p.remote_ip, "127.0.0.1", "remote address from the socket");
	is_str(p.local_ip, "127.0.0.1", "local address from the socket");
	snprintf(port, sizeof port, "%u", (unsigned)ntohs(sa.sin_port));
	is_str(p.local_port, port, "local port from the socket");
	ok(atoi(p.remote_port) > 0, "remote port from the socket");
	peer_get(&p, -1);
	is_str(p.remote_ip, "", "not a socket: empty, no failure");
	close(ssock), close(csock), close(lsock);
	return tap_done();
}
