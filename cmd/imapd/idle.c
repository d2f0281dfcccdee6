/*
 * IDLE (RFC 2177): the process sleeps in poll(2) on the client and on an
 * inotify watch of the selected folder's new/ and cur/, so a delivery or
 * a change by another session is pushed within moments, with no polling.
 * Changes go out as the untagged responses of select.c (EXPUNGE is allowed
 * during IDLE).  The client ends it with DONE; IDLE ends by itself after
 * the session timeout (RFC 2177 wants clients to re-IDLE every 29 minutes).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>
#include "exitcode.h"
#include "commands.h"
#include "reply.h"
#include "session.h"
#include "view.h"
#include "log.h"
#include "path.h"

#define IDLE_SETTLE_MS 20      /* let a burst of renames finish before we look */

static int watch(void)
{
	char p[2048];
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	static const char *const subs[] = {"new", "cur"};
	unsigned k;

	if (fd < 0) return -1;
	for (k = 0; k < 2; k++) {
		if (path_join(p, sizeof p, S.st.dir, subs[k]) < 0 ||
		    inotify_add_watch(fd, p, IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF) < 0) {
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
	}
	return fd;
}

void do_idle(void)
{
	int ifd = -1;
	time_t until = time(0) + (time_t)S.timeout;

	if (S.nargs) { reply(R_BAD_ARGS); return; }
	if (S.state == ST_SELECTED) {
		ifd = watch();
		if (ifd < 0) log_error("inotify", S.mailbox);
		view_update(1);
	}
	S.idling = 1;
	out("+ idling\r\n");
	if (stream_flush(&S.io) < 0) S.dead = 1;
	while (!S.dead) {
		struct pollfd pf[2];
		int n, r, left = (int)(until - time(0));

		if (left <= 0) {
			untagged(R_BYE_TIMEOUT);
			session_end("timeout", EXIT_DONE);
		}
		if (!stream_pending(&S.io)) {
			pf[0].fd = S.io.infd;
			pf[0].events = POLLIN;
			pf[1].fd = ifd;
			pf[1].events = POLLIN;
			n = poll(pf, ifd >= 0 ? 2 : 1, left > 60 ? 60000 : left * 1000);
			if (n < 0 && errno != EINTR) break;
			if (n <= 0) continue;
			if (ifd >= 0 && (pf[1].revents & POLLIN)) {
				char buf[4096];
				struct timespec ts = {0, IDLE_SETTLE_MS * 1000000L};
				nanosleep(&ts, 0);
				while (read(ifd, buf, sizeof buf) > 0) {}
				view_update(1);
				if (stream_flush(&S.io) < 0) S.dead = 1;
			}
			if (!(pf[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
		}
		r = session_readline(64);
		if (r < 0) break;
		S.idling = 0;
		if (ifd >= 0) close(ifd);
		if (r == 0 && !strcasecmp(S.buf.s, "DONE")) reply(R_OK_IDLE);
		else reply(R_BAD_SYNTAX, "expected DONE");
		return;
	}
	S.idling = 0;
	if (ifd >= 0) close(ifd);
	reply(R_BAD_SYNTAX, "IDLE failed");
}
