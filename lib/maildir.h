#ifndef MAILDIR_H
#define MAILDIR_H
/*
 * Maildir and Maildir++ folders (the layout mutt, Dovecot and Courier read).
 *
 * A delivery writes to tmp/ under a unique name (uniq_name, with ",S=SIZE"
 * appended for Maildir++ quota), fsyncs the file, links it into new/ (rename
 * where link is refused), removes the tmp/ name and fsyncs new/.  Only then
 * does maildir_deliver return success: the durability rule.  Deliveries never
 * take a lock; the IMAP UID list is not touched here.
 *
 * Folders are Maildir++: "FOLDER" lives in MAILDIR/.FOLDER, a subfolder
 * "a/b" in MAILDIR/.a.b; INBOX is MAILDIR itself.
 */
#include <stddef.h>
#include <sys/types.h>
#include <stralloc.h>

#define MAILDIR_FOLDER_MAX 255

/* The folders that posthorn-user creates for each new user. */
extern const char *const maildir_special_folders[]; /* "Sent","Drafts","Trash","Junk",0 */

/* Creates MAILDIR/{tmp,new,cur} (and MAILDIR itself, mode 0700), each owned
 * by uid/gid when uid != (uid_t)-1.  Existing dirs are fine. 0 or -1. */
int maildir_create(const char *maildir, uid_t uid, gid_t gid);

/* Creates folder (Maildir++ name, "Sent") inside maildir, with its
 * maildirfolder marker file; owner as above.  The new entries are fsync'ed
 * (the folder's tmp/new/cur and marker, the folder in maildir) before it
 * returns.  An existing folder is completed, not an error, so two deliverers
 * may create the same folder at once.  0 or -1 (EINVAL: bad name). */
int maildir_create_folder(const char *maildir, const char *folder, uid_t uid, gid_t gid);

/* out = path of folder inside maildir ("INBOX" or "" gives maildir itself),
 * NUL-terminated.  Folder names holding '/' map to '.', and names with "..",
 * a leading '.', or control bytes are refused (-1, EINVAL). */
int maildir_folder_path(stralloc *out, const char *maildir, const char *folder);

/* 1 if the folder exists (has cur/), 0 if not.  Case-insensitive on ASCII
 * when exact is 0; then the folder's real name is copied to realname (cap
 * MAILDIR_FOLDER_MAX + 1) when realname is not null. */
int maildir_folder_exists(const char *maildir, const char *folder, int exact, char *realname);

/* Delivers: copies head (hlen bytes, may be 0) then everything from fd until
 * EOF into a new message in dir (a Maildir or folder path), converting CRLF
 * line ends to LF.  *size gets the stored size in bytes.  fd is read from its
 * current offset.  0 or -1 (errno; EDQUOT/ENOSPC are reported as such). */
int maildir_deliver(const char *dir, const char *head, size_t hlen, int fd, unsigned long long *size);
/* Delivery order of two Maildir file names (without dir): the seconds
 * that start the name, numerically (a name from 1999 sorts before one from
 * 2001), then the microseconds of the modern form "SECONDS.MUSEC..."
 * (written without leading zeros, so M99999 comes before M100000), then
 * the whole name.  <0, 0, >0 like strcmp. */
int maildir_name_cmp(const char *a, const char *b);
#endif
