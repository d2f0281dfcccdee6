#ifndef PRIVS_H
#define PRIVS_H
/*
 * Who owns the mail: the "mailowner" config file names the account that owns
 * every Maildir ("vmail"-style storage user), as a user name or "UID:GID".
 * posthorn-user chowns new Maildirs to it; posthorn-local started as root
 * becomes it before touching a mailbox, and never delivers as root.
 */
#include <sys/types.h>

/* Resolves spec ("name" via getpwnam, or "UID:GID").  0, or -1 with errno
 * (ENOENT: no such user, EINVAL: malformed). */
int privs_lookup(const char *spec, uid_t *uid, gid_t *gid);

/* setgroups(1, &gid), setgid, setuid, each checked, then verified by reading
 * the ids back (and checking that setuid(0) now fails).  A parent-death
 * signal (prctl PR_SET_PDEATHSIG), which the kernel clears when the ids
 * change, is set again.  0 or -1. */
int privs_drop(uid_t uid, gid_t gid);
#endif
