/*
 * QUOTA (RFC 9208): GETQUOTAROOT, GETQUOTA, SETQUOTA; the quota checks of
 * APPEND and COPY; the bytes of a message (storage.h).
 *
 * A user has at most one quota, the Maildir++ one that posthorn-local
 * enforces at delivery (lib/quota.h): a limit in bytes from the user's
 * users.cdb record, which posthorn-mailauth passes to the session as
 * $POSTHORN_QUOTA, and the usage that the Maildir's "maildirsize" file
 * keeps.  So there is one quota root, "", for every folder of the user
 * (a Maildir++ quota counts all of them), with the one resource STORAGE
 * (RFC 9208 5.1, in units of 1024 bytes: the usage rounded up, the limit
 * down).  A user without a quota has no quota root: GETQUOTAROOT names
 * none (RFC 9208 4.3.2) and GETQUOTA "" is NO [NONEXISTENT].  Users do not
 * set their own quota: SETQUOTA is NO [NOPERM] (RFC 9208 4.3.3 allows a
 * server to refuse it).
 *
 * APPEND and COPY ask first (quota_refuses, with the same rule posthorn-local
 * uses, quota_check) and say NO [OVERQUOTA] (RFC 9208 4.3.4) before
 * anything is stored; what they add is appended to maildirsize (quota_note)
 * as a delivery's is.  MOVE adds nothing to a Maildir++ quota: the message
 * stays in the same Maildir.  An EXPUNGE is not written down: as with
 * deletions by other Maildir programs, the usage shrinks at the file's next
 * recalculation (quota.h: when it grows long, or when it says "over" and
 * is older than 15 minutes).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <scan.h>
#include "commands.h"
#include "log.h"
#include "mailbox.h"
#include "quota.h"
#include "reply.h"
#include "session.h"
#include "storage.h"

unsigned long long msg_bytes(struct store *st, unsigned long i)
{
	const char *nm = st->names.s + st->m[i].name, *p = nm;
	char path[2048];
	struct stat sb;

	/* ",S=NNN" before the ":2," info part */
	while ((p = strstr(p, ",S="))) {
		const char *colon = strchr(nm, ':');
		unsigned long long v;
		size_t n;
		if (colon && colon < p) break;
		n = scan_ulonglong(p + 3, &v);
		if (n && (!p[3 + n] || p[3 + n] == ',' || p[3 + n] == ':')) return v;
		p += 3;
	}
	if (store_path(st, i, path, sizeof path) < 0 || stat(path, &sb) < 0) return 0;
	return (unsigned long long)sb.st_size;
}

unsigned long long quota_limit(void)
{
	static int known;
	static unsigned long long limit;
	const char *v;

	if (known) return limit;
	known = 1;
	/* anything but a plain number is no quota: the limit is posthorn-local's
	 * to enforce, this is only what the client is told */
	if ((v = getenv("POSTHORN_QUOTA")) && *v) {
		size_t n = scan_ulonglong(v, &limit);
		if (!n || v[n] || n > 20) limit = 0;
	}
	return limit;
}

int quota_refuses(unsigned long long size)
{
	int r;
	if (!quota_limit()) return 0;
	r = quota_check(".", quota_limit(), size);
	if (r < 0) { log_error("quota", "maildirsize"); return 0; }
	if (r) return 0;
	reply(R_NO_OVERQUOTA);
	return 1;
}

void quota_note(unsigned long long size)
{
	if (quota_add(".", quota_limit(), size) < 0) log_error("quota", "maildirsize");
}

/* * QUOTA "" (STORAGE used limit); 0, or -1 (replied). */
static int quota_line(void)
{
	struct quota_use use;
	if (quota_read(".", quota_limit(), &use) < 0) {
		reply(R_NO_CANNOT, "GETQUOTA", strerror(errno));
		return -1;
	}
	outf("* QUOTA \"\" (STORAGE %llu %llu)\r\n", use.bytes / 1024 + (use.bytes % 1024 != 0), quota_limit() / 1024);
	return 0;
}

/* RFC 9208 4.3.2 */
void do_getquotaroot(void)
{
	char name[IMAP_MAILBOX_MAX + 1], dir[IMAP_MAILBOX_MAX + 8];

	if (S.nargs != 1 || !imap_arg_string(S.args)) { reply(R_BAD_ARGS); return; }
	mailbox_canon(S.args->s, name, sizeof name);
	if (strlen(S.args->s) != S.args->len || mailbox_dir(name, dir, sizeof dir) < 0) { reply(R_NO_BADNAME); return; }
	if (!mailbox_exists(dir)) { reply(R_NO_NOMAILBOX); return; }
	if (!quota_limit()) {
		out("* QUOTAROOT ");
		out_string(name, strlen(name));
		out("\r\n");
		reply(R_OK_DONE, "GETQUOTAROOT");
		return;
	}
	out("* QUOTAROOT ");
	out_string(name, strlen(name));
	out(" \"\"\r\n");
	if (quota_line() < 0) return;
	reply(R_OK_DONE, "GETQUOTAROOT");
}

/* RFC 9208 4.3.1 */
void do_getquota(void)
{
	if (S.nargs != 1 || !imap_arg_string(S.args)) { reply(R_BAD_ARGS); return; }
	if (S.args->len || !quota_limit()) { reply(R_NO_NOQUOTAROOT); return; }
	if (quota_line() < 0) return;
	reply(R_OK_DONE, "GETQUOTA");
}

/* RFC 9208 4.3.3: refused, whatever it asks */
void do_setquota(void)
{
	if (S.nargs != 2 || !imap_arg_string(S.args) || S.args->next->type != IMAP_LIST) { reply(R_BAD_ARGS); return; }
	reply(R_NO_SETQUOTA);
}
