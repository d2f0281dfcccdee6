/* privs: the mail owner and a checked privilege drop; see privs.h. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <scan.h>
#include "privs.h"

int privs_lookup(const char *spec, uid_t *uid, gid_t *gid)
{
	unsigned long u, g;
	size_t n;
	struct passwd *pw;

	n = scan_ulong(spec, &u);
	if (n && spec[n] == ':') {
		size_t m = scan_ulong(spec + n + 1, &g);
		if (!m || spec[n + 1 + m]) { errno = EINVAL; return -1; }
		*uid = (uid_t)u;
		*gid = (gid_t)g;
		return 0;
	}
	if (!*spec) { errno = EINVAL; return -1; }
	errno = 0;
	pw = getpwnam(spec);
	if (!pw) {
		if (!errno) errno = ENOENT;
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

int privs_drop(uid_t uid, gid_t gid)
{
	int deathsig = 0;

	if (uid == 0) { errno = EPERM; return -1; }
	/* The kernel clears a parent-death signal when the ids change; a
	 * deliverer that posthorn-runq armed must stay armed. */
	if (prctl(PR_GET_PDEATHSIG, &deathsig)) deathsig = 0;
	if (setgroups(1, &gid) < 0) return -1;
	if (setgid(gid) < 0) return -1;
	if (setuid(uid) < 0) return -1;
	/* Verify rather than trust: a half-done drop must not go unnoticed. */
	if (getuid() != uid || geteuid() != uid || getgid() != gid || getegid() != gid) {
		errno = EPERM;
		return -1;
	}
	if (setuid(0) == 0) { errno = EPERM; return -1; }
	if (deathsig && prctl(PR_SET_PDEATHSIG, deathsig)) return -1;
	return 0;
}
