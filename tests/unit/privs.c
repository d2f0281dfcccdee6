/* Unit tests of lib/privs: owner lookup and a verified privilege drop. */
#include <errno.h>
#include <sys/wait.h>
#include <unistd.h>
#include "tap.h"
#include "privs.h"

int main(void)
{
	uid_t u = 0;
	gid_t g = 0;

	is_int(privs_lookup("1234:5678", &u, &g), 0, "UID:GID accepted");
	ok(u == 1234 && g == 5678, "UID:GID parsed");
	is_int(privs_lookup("12:", &u, &g), -1, "UID: without GID refused");
	is_int(privs_lookup("12:3x", &u, &g), -1, "trailing junk refused");
	is_int(privs_lookup("", &u, &g), -1, "empty refused");
	errno = 0;
	is_int(privs_lookup("no-such-user-posthorn", &u, &g), -1, "unknown user refused");
	is_int(errno, ENOENT, "with ENOENT");
	is_int(privs_lookup("root", &u, &g), 0, "root looked up by name");
	is_int(u, 0, "root is uid 0");
	is_int(privs_drop(0, 0), -1, "dropping to root is refused");

	if (geteuid() == 0) {
		pid_t pid = fork();
		int status = 0;
		if (pid == 0) {
			/* In the child: drop to nobody, then regaining root must fail. */
			if (privs_drop(65534, 65534) < 0) _exit(1);
			if (getuid() != 65534 || getegid() != 65534) _exit(2);
			if (setuid(0) == 0) _exit(3);
			_exit(0);
		}
		waitpid(pid, &status, 0);
		ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "root drops to 65534:65534 for good");
	} else {
		is_int(privs_drop(65534, 65534), -1, "a non-root process cannot change ids");
	}
	return tap_done();
}
