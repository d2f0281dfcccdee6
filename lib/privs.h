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
 * the ids back (and checking that setuid(0) now fails).  0 or -1. */
int privs_drop(uid_t uid, gid_t gid);
/* For servers started as root that serve one mail owner (pop3d, imapd):
 * when the effective uid is root, becomes the account named by spec (the
 * mailowner setting); otherwise does nothing.  0, or -1 with errno and
 * *why naming the step that failed ("no mailowner configured",
 * "unknown mailowner", "unable to drop privileges"). */
int privs_become_owner(const char *spec, const char **why);
#endif
