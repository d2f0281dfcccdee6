/*
 * posthorn-queue's send limits: who the message is sent for, that
 * account's limits, one count in its file under QUEUEDIR/limits/
 * (lib/sendlimit), and on a burst the lock and one note to the postmaster.
 *
 * Who, by the real uid of our caller (we are set-user-ID to the queue
 * owner, so the real uid is who ran us and cannot be faked):
 *   - smtpd's account (the "smtpduser" setting, default posthorn-smtpd):
 *     the A item's account (an authenticated session's user); without A the
 *     mail came in over MX and is not counted.  Only this account's A is
 *     believed: anyone else could name any account.
 *   - root, the queue owner and the mail owner: not counted.  They are the
 *     mail system itself (posthorn-runq's bounces, posthorn-local's
 *     forwards, our own note below, cron's mail), and root could lift any
 *     limit anyway.
 *   - anyone else (posthorn-sendmail, or posthorn-queue run by hand):
 *     "unix:LOGIN" of the real uid, which no mail address can be; an A
 *     item from them is ignored.
 */
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <fmt.h>
#include "bounce.h"
#include "conf.h"
#include "inject.h"
#include "limit.h"
#include "log.h"
#include "privs.h"
#include "queue.h"
#include "sendlimit.h"
#include "userdb.h"

#define SMTPDUSER_DEFAULT "posthorn-smtpd"
#define BURST_DEFAULT 3UL            /* times the hour's limit */
#define NOTE_TIMEOUT 60              /* seconds for the postmaster's note */

/* Does the account named in setting name (a user name or UID:GID) have
 * uid u?  A missing setting falls back to dflt; an unknown account is no. */
static int is_account(const char *name, const char *dflt, uid_t u)
{
	stralloc spec = {0};
	uid_t uid;
	gid_t gid;
	int r = conf_line(name, &spec, dflt);

	r = r >= 0 && spec.len && privs_lookup(spec.s, &uid, &gid) == 0 && uid == u;
	stralloc_free(&spec);
	return r;
}

/* Who the message is counted for (into who), or 0: not counted. */
static int whose(stralloc *who, const char *account)
{
	uid_t u = getuid();
	struct passwd *pw;
	char num[FMT_ULONG];

	if (is_account("smtpduser", SMTPDUSER_DEFAULT, u))
		return *account && stralloc_copys(who, account) && stralloc_0(who);
	if (u == 0 || u == geteuid() || is_account("mailowner", 0, u)) return 0;
	pw = getpwuid(u);
	num[fmt_ulong(num, (unsigned long)u)] = 0;
	return stralloc_copys(who, "unix:") && stralloc_cats(who, pw ? pw->pw_name : num) && stralloc_0(who);
}

/* The limits of account: its own record's, else its domain's, else the
 * settings.  users.cdb may be unreadable to our caller (it is root's, and
 * smtpd's group's): then the settings hold. */
static void limits(const char *account, struct sendlimit_conf *c)
{
	unsigned long hour, day, burst;
	stralloc cdb = {0}, key = {0};
	struct userrec rec;
	const char *at = strchr(account, '@');

	if (conf_ulong("sendlimit-hour", &hour, SENDLIMIT_HOUR_DEFAULT) < 0) hour = SENDLIMIT_HOUR_DEFAULT;
	if (conf_ulong("sendlimit-day", &day, SENDLIMIT_DAY_DEFAULT) < 0) day = SENDLIMIT_DAY_DEFAULT;
	if (conf_ulong("sendlimit-burst", &burst, BURST_DEFAULT) < 0) burst = BURST_DEFAULT;
	if (at && strncmp(account, "unix:", 5) && conf_path(&cdb, "users.cdb")) {
		unsigned long h = 0, d = 0;
		if (userdb_get(cdb.s, account, strlen(account), &rec) == USERDB_FOUND && rec.kind == USERREC_USER)
			h = rec.sendhour, d = rec.sendday;
		if ((!h || !d) && stralloc_copys(&key, at) &&
		    userdb_get(cdb.s, key.s, key.len, &rec) == USERDB_FOUND && rec.kind == USERREC_DOMAIN) {
			if (!h) h = rec.sendhour;
			if (!d) d = rec.sendday;
		}
		if (h) hour = h;
		if (d) day = d;
	}
	c->hour = hour;
	c->day = day;
	/* the burst scales with the hour's limit; with no hour limit, none */
	c->burst = hour && burst && hour <= ~0UL / burst ? hour * burst : 0;
	stralloc_free(&cdb);
	stralloc_free(&key);
}

/* One message to postmaster@ME, with the null sender: the account is
 * locked.  Sent as the queue owner alone (so it is not counted), with an
 * empty environment: our caller chose ours, and the injector we run must
 * be our own posthorn-queue, not one named there.  Best effort: the lock
 * holds whether or not the note goes. */
static void note(const char *account, unsigned long tries, long long now)
{
	static struct inject q;
	struct inject_result r;
	stralloc me = {0}, rcpt = {0}, m = {0};
	char num[FMT_ULONG];

	if (conf_line("me", &me, "localhost") < 0) return;
	if (getuid() != geteuid() && setreuid(geteuid(), geteuid()) < 0) return;
	clearenv();
	num[fmt_ulong(num, tries)] = 0;
	if (!stralloc_copys(&rcpt, "postmaster@") || !stralloc_cats(&rcpt, me.s) || !stralloc_0(&rcpt)) return;
	/* RFC 3834 3.1.7: Auto-Submitted for a message no person wrote */
	if (!stralloc_copys(&m, "From: Mail Delivery System <MAILER-DAEMON@") || !stralloc_cats(&m, me.s) ||
	    !stralloc_cats(&m, ">\nTo: ") || !stralloc_cats(&m, rcpt.s) ||
	    !stralloc_cats(&m, "\nSubject: sending locked for ") || !stralloc_cats(&m, account) ||
	    !stralloc_cats(&m, "\nDate: ") || !bounce_date(&m, now) ||
	    !stralloc_cats(&m, "\nAuto-Submitted: auto-generated\nMIME-Version: 1.0\n"
	                       "Content-Type: text/plain; charset=utf-8\n\n") ||
	    !stralloc_cats(&m, "posthorn-queue locked the sending of ") || !stralloc_cats(&m, account) ||
	    !stralloc_cats(&m, "\nafter ") || !stralloc_cats(&m, num) ||
	    !stralloc_cats(&m, " tries to send within an hour, far over its limit.\n"
	                       "Its password may have been stolen.  Every message it sends is refused\n"
	                       "until you lift the lock:\n\n    posthorn-user unlock ") ||
	    !stralloc_cats(&m, account) || !stralloc_cats(&m, "\n"))
		return;
	if (inject_open(&q, -1, NOTE_TIMEOUT)) return;
	inject_put(&q, m.s, m.len);
	inject_from(&q, "");
	inject_to(&q, rcpt.s);
	inject_close(&q, &r);
	log_event("sendlock-note", "to", rcpt.s, "result", r.line[0] ? r.line : r.text, (char *)0);
}

static int catnum(stralloc *s, unsigned long n)
{
	char num[FMT_ULONG];

	num[fmt_ulong(num, n)] = 0;
	return stralloc_cats(s, num);
}

/* a = ": strerror(errno)"; the reason for trouble with the file. */
static enum status_id file_trouble(stralloc *a)
{
	const char *e = strerror(errno);

	return stralloc_copys(a, ": ") && stralloc_cats(a, e) && stralloc_0(a) ? ST_SEND_LIMIT_FILE : ST_NOMEM;
}

/* Root made it (posthorn-sendmail run by root, posthorn-queue not
 * installed set-user-ID): it goes to the queue dir's owner, as
 * queue_make_dirs does, so the queue owner can open it next time. */
static void give_to_owner(const char *qdir, const char *path, int fd)
{
	struct stat q, f;

	if (geteuid() != 0 || stat(qdir, &q) < 0 || q.st_uid == 0) return;
	if (path && !stat(path, &f) && f.st_uid != q.st_uid && chown(path, q.st_uid, q.st_gid)) {}
	if (fd >= 0 && !fstat(fd, &f) && f.st_uid != q.st_uid && fchown(fd, q.st_uid, q.st_gid)) {}
}

enum status_id limit_charge(const char *qdir, const char *account, unsigned long nrcpt,
                            stralloc *a, stralloc *b)
{
	stralloc who = {0}, name = {0}, path = {0};
	struct sendlimit_conf c;
	struct sendlimit s;
	enum sendlimit_verdict v;
	long long now = (long long)time(0);
	int fd, r, ok;

	a->len = b->len = 0;
	if (!whose(&who, account)) return ST_NONE;
	limits(who.s, &c);
	if (!sendlimit_filename(&name, who.s) || !queue_path(&path, qdir, "limits", "")) return ST_NOMEM;
	if (mkdir(path.s, 0700) < 0 && errno != EEXIST) return file_trouble(a);
	give_to_owner(qdir, path.s, -1);
	if (!stralloc_cats(&path, "/") || !stralloc_cat(&path, &name) || !stralloc_0(&path)) return ST_NOMEM;
	r = sendlimit_load(path.s, 1, &fd, &s);
	if (r < 0) return file_trouble(a);
	give_to_owner(qdir, 0, fd);
	if (r == 1) log_event("sendlimit", "account", who.s, "error", "damaged limits file reset", "file", path.s,
	                      (char *)0);
	v = sendlimit_charge(&s, &c, now, nrcpt);
	/* a refusal changes the file too: its try counts toward a burst */
	r = sendlimit_store(fd, &s);
	ok = errno;
	close(fd);   /* and the flock with it */
	errno = ok;
	if (r < 0 && v == SENDLIMIT_OK) return file_trouble(a);
	if (v == SENDLIMIT_OK) return ST_NONE;
	ok = stralloc_copys(a, who.s) && stralloc_0(a);
	switch (v) {
	case SENDLIMIT_HOUR:
		ok = ok && stralloc_copys(b, ": ") && catnum(b, sendlimit_msgs_hour(&s, now)) &&
		     stralloc_cats(b, " messages in the last hour (limit ") && catnum(b, c.hour) && stralloc_cats(b, ")");
		break;
	case SENDLIMIT_DAY:
		ok = ok && stralloc_copys(b, ": ") && catnum(b, sendlimit_rcpts_day(&s, now)) &&
		     stralloc_cats(b, " recipients in the last day, ") && catnum(b, nrcpt) &&
		     stralloc_cats(b, " more asked (limit ") && catnum(b, c.day) && stralloc_cats(b, ")");
		break;
	default:
		ok = ok && stralloc_copys(b, " after a burst of ") && catnum(b, s.lock_tries) &&
		     stralloc_cats(b, " messages; ask the postmaster");
	}
	if (!ok || !stralloc_0(b)) return ST_NOMEM;
	if (v == SENDLIMIT_LOCK) {
		char num[FMT_ULONG];
		num[fmt_ulong(num, s.lock_tries)] = 0;
		log_event("sendlock", "account", who.s, "tries", num, (char *)0);
		note(who.s, s.lock_tries, now);
		return ST_SEND_LOCK;
	}
	return v == SENDLIMIT_LOCKED ? ST_SEND_LOCKED : ST_SEND_LIMIT;
}
