/*
 * bounce: RFC 3464 delivery status notifications; contract in bounce.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "bounce.h"
#include "status.h"

static int is_digit(char c) { return c >= '0' && c <= '9'; }

void bounce_status(const char *reason, int expired, char out[16])
{
	const char *p;
	size_t n;

	for (p = reason; *p; p++) {
		if (p != reason && (is_digit(p[-1]) || p[-1] == '.')) continue;
		if ((n = status_code_len(p)) != 0) {
			/* Only the first code counts, and only if its class fits:
			 * 5 for a failure, or 4 for a message that expired. */
			if (p[0] == '5' || (expired && p[0] == '4')) {
				memcpy(out, p, n);
				out[n] = 0;
				return;
			}
			break;
		}
	}
	strcpy(out, expired ? ESC_EXPIRED : ESC_PERM);   /* fits: out[16] */
}

/* Where an SMTP reply code ("550 " or "550-") starts in reason, or null. */
static const char *smtp_reply(const char *reason)
{
	const char *p;

	for (p = reason; p[0] && p[1] && p[2] && p[3]; p++) {
		if (p != reason && p[-1] != ' ' && p[-1] != ':' && p[-1] != '(') continue;
		if ((p[0] == '4' || p[0] == '5') && is_digit(p[1]) && is_digit(p[2]) && (p[3] == ' ' || p[3] == '-'))
			return p;
	}
	return 0;
}

/* Appends s as printable ASCII on one line. */
static int cat_clean(stralloc *out, const char *s)
{
	for (; *s; s++) {
		char c = (unsigned char)*s < 32 || (unsigned char)*s > 126 ? '?' : *s;
		if (!stralloc_append(out, &c)) return 0;
	}
	return 1;
}

int bounce_date(stralloc *out, long long t)
{
	char buf[64];
	time_t tt = (time_t)t;
	struct tm tm;
	static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	long off;
	size_t n;

	if (!localtime_r(&tt, &tm)) return 0;
	/* Names by hand: strftime's %a and %b follow the locale. */
	off = tm.tm_gmtoff / 60;
	n = (size_t)snprintf(buf, sizeof buf, "%s, %d %s %d %02d:%02d:%02d %c%02ld%02ld", days[tm.tm_wday],
	                     tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
	                     off < 0 ? '-' : '+', (off < 0 ? -off : off) / 60, (off < 0 ? -off : off) % 60);
	return n < sizeof buf && stralloc_catb(out, buf, n);
}

/* Appends the original header (up to the first empty line), bounded and cut
 * at a line end, each line ending in LF. */
static int cat_header(stralloc *out, int msgfd)
{
	char buf[8192];
	size_t total = 0, linestart = out->len;
	off_t off = 0;
	ssize_t r, i;
	int atbol = 1;

	for (;;) {
		r = pread(msgfd, buf, sizeof buf, off);
		if (r < 0) {
			if (errno == EINTR) continue;
			return 0;
		}
		if (r == 0) break;
		off += r;
		for (i = 0; i < r; i++) {
			char c = buf[i];
			if (c == '\r') continue;
			if (c == '\n' && atbol) goto done;  /* the empty line */
			if (total >= BOUNCE_HEADER_MAX) goto cut;
			if (!stralloc_append(out, &c)) return 0;
			total++;
			atbol = c == '\n';
			if (atbol) linestart = out->len;
		}
	}
done:
	if (!atbol && !stralloc_cats(out, "\n")) return 0;
	return 1;
cut:
	out->len = linestart;
	return 1;
}

int bounce_build(stralloc *out, const struct bounce_info *b, int msgfd)
{
	stralloc boundary = {0};
	char status[16];
	unsigned i;
	int okay = 0;

	if (!stralloc_copys(&boundary, "=_posthorn_bounce_") || !stralloc_cats(&boundary, b->id)) goto out;
	if (!stralloc_cats(out, "From: Mail Delivery System <MAILER-DAEMON@") || !cat_clean(out, b->me) ||
	    !stralloc_cats(out, ">\nTo: ") ||
	    !stralloc_cats(out, b->double_bounce ? "postmaster" : "<") ||
	    (!b->double_bounce && (!cat_clean(out, b->orig_sender) || !stralloc_cats(out, ">"))) ||
	    !stralloc_cats(out, "\nSubject: ") ||
	    !stralloc_cats(out, b->double_bounce ? "Undeliverable bounce message" : "Undelivered mail returned to sender") ||
	    !stralloc_cats(out, "\nDate: ") || !bounce_date(out, (long long)time(0)) ||
	    !stralloc_cats(out, "\nMessage-ID: <") || !cat_clean(out, b->id) || !stralloc_cats(out, ".bounce@") ||
	    !cat_clean(out, b->me) ||
	    !stralloc_cats(out, ">\nAuto-Submitted: auto-replied\nMIME-Version: 1.0\n"
	                        "Content-Type: multipart/report; report-type=delivery-status;\n\tboundary=\"") ||
	    !stralloc_cat(out, &boundary) ||
	    !stralloc_cats(out, "\"\n\nThis is a MIME-formatted delivery status notification.\n\n--") ||
	    !stralloc_cat(out, &boundary) ||
	    !stralloc_cats(out, "\nContent-Type: text/plain; charset=us-ascii\n\nThis is the mail system at ") ||
	    !cat_clean(out, b->me) || !stralloc_cats(out, ".\n\n"))
		goto out;
	if (b->double_bounce) {
		if (!stralloc_cats(out, "A delivery status notification could not be returned to its recipient.\n"
		                        "The failure is below, followed by the header of the notification.\n\n"))
			goto out;
	} else if (!stralloc_cats(out, "Your message could not be delivered to one or more recipients.\n"
	                               "The reasons are below, followed by the header of your message.\n\n"))
		goto out;
	for (i = 0; i < b->n; i++)
		if (!stralloc_cats(out, "<") || !cat_clean(out, b->rcpt[i].addr) || !stralloc_cats(out, ">: ") ||
		    !cat_clean(out, b->rcpt[i].reason) || !stralloc_cats(out, "\n"))
			goto out;
	if (!stralloc_cats(out, "\n--") || !stralloc_cat(out, &boundary) ||
	    !stralloc_cats(out, "\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; ") ||
	    !cat_clean(out, b->me) || !stralloc_cats(out, "\nX-Posthorn-Queue-ID: ") || !cat_clean(out, b->id) ||
	    !stralloc_cats(out, "\nArrival-Date: ") || !bounce_date(out, b->arrival) || !stralloc_cats(out, "\n"))
		goto out;
	for (i = 0; i < b->n; i++) {
		const char *reply = smtp_reply(b->rcpt[i].reason);
		bounce_status(b->rcpt[i].reason, b->rcpt[i].expired, status);
		if (!stralloc_cats(out, "\nFinal-Recipient: rfc822; ") || !cat_clean(out, b->rcpt[i].addr) ||
		    !stralloc_cats(out, "\nAction: failed\nStatus: ") || !stralloc_cats(out, status) ||
		    !stralloc_cats(out, "\nDiagnostic-Code: ") ||
		    !stralloc_cats(out, reply ? "smtp; " : "x-posthorn; ") ||
		    !cat_clean(out, reply ? reply : b->rcpt[i].reason) ||
		    !stralloc_cats(out, "\nLast-Attempt-Date: ") || !bounce_date(out, (long long)time(0)) ||
		    !stralloc_cats(out, "\n"))
			goto out;
	}
	if (!stralloc_cats(out, "\n--") || !stralloc_cat(out, &boundary) ||
	    !stralloc_cats(out, "\nContent-Type: text/rfc822-headers\n\n") || !cat_header(out, msgfd) ||
	    !stralloc_cats(out, "\n--") || !stralloc_cat(out, &boundary) || !stralloc_cats(out, "--\n"))
		goto out;
	okay = 1;
out:
	stralloc_free(&boundary);
	return okay;
}
