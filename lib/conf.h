#ifndef CONF_H
#define CONF_H
/*
 * The config dir: one small file per setting, DJB-style.  Which dir: the
 * -C DIR option if the program got one, else $POSTHORN_CONF, else
 * CONF_DEFAULT_DIR.  Files are read once at start-up.
 *
 * Every reader returns 1 when the file was there, 0 when it is missing (the
 * caller's default is then filled in), -1 when it exists but cannot be read
 * or is longer than CONF_FILE_MAX (errno says why).  A program treats -1 for a
 * file it needs as a temporary failure (EXIT_TEMP): the admin fixes the mode
 * and the mail waits, nothing bounces.
 */
#include <stralloc.h>

#define CONF_DEFAULT_DIR "/etc/posthorn"
#define CONF_FILE_MAX 65536

/* Chooses the dir: dir from -C if not null, else the environment, else the
 * default.  Must be called before the other functions. */
void conf_init(const char *dir);
const char *conf_dir(void);

/* For set-user-ID programs, whose caller chooses -C: is the config dir owned
 * by root or by our effective user, and writable by nobody else (so that
 * neither /tmp nor a dir of the caller's can pass)?  1, or 0 with errno
 * set (EPERM when the dir is not trusted). */
int conf_trusted(void);

/* out = "DIR/name", NUL-terminated (out->len excludes the NUL). 0 on ENOMEM. */
int conf_path(stralloc *out, const char *name);

/* First line of the file, surrounding white space removed, NUL-terminated. */
int conf_line(const char *name, stralloc *out, const char *dflt);

/* First line as an unsigned decimal number; a malformed number is -1 with
 * errno EINVAL. */
int conf_ulong(const char *name, unsigned long *out, unsigned long dflt);

/* All lines, each NUL-terminated in out, blank lines and lines starting with
 * '#' dropped, surrounding white space removed; *count gets the number of
 * lines.  Missing file: out empty, count 0. */
int conf_lines(const char *name, stralloc *out, unsigned long *count);
#endif
