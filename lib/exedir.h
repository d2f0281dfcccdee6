#ifndef EXEDIR_H
#define EXEDIR_H
/*
 * Programs that run a sibling (posthorn-pop3d and -imapd run
 * posthorn-mailauth, which runs them back) find it next to their own
 * executable, /proc/self/exe, never through $PATH or an argument: a
 * set-user-ID program must not let its caller choose what it executes.
 */
#include <stralloc.h>

/* out = "DIR/name" NUL-terminated, DIR being our executable's directory.
 * 1, or 0 (no /proc, ENOMEM). */
int exedir_path(stralloc *out, const char *name);
#endif
