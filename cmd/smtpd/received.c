/*
 * The Received header field we put on top of every message (RFC 5321 4.4,
 * RFC 5322 3.6.7):
 *
 *   Received: from HELO (HOST [IP])
 *           by ME (posthorn) with ESMTPSA
 *           (TLSv1.3 TLS_AES_256_GCM_SHA384; authenticated as USER)
 *           for <RCPT>; DATE
 *
 * The protocol name follows RFC 3848 / RFC 6531 (SMTP, ESMTP, ESMTPS,
 * ESMTPA, ESMTPSA, UTF8SMTP...).  "for" is written only for a single
 * recipient, so Bcc recipients are not shown to each other.  Everything the
 * client chose (HELO, user name) is cut and cleaned of anything that could
 * end the comment or the field.  Lines end in LF, as the queue stores them.
 */
#include <string.h>
#include <time.h>
#include "smtpd.h"

/* Appends s, with bytes outside printable ASCII and the comment
 * delimiters replaced by '?'. */
static int cat_clean(stralloc *out, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		char c = s[i];
		if ((unsigned char)c <= 0x20 || (unsigned char)c >= 0x7f || c == '(' || c == ')' || c == '\\') c = '?';
		if (!stralloc_append(out, &c)) return 0;
	}
	return 1;
}

static const char *protocol(const struct session *s)
{
	static char buf[16];   /* "UTF8SMTPSA" at most */
	int tls = session_tls_active(s), auth = s->auth_user.len > 0;

	if (!s->esmtp) return "SMTP";
	strcpy(buf, s->tx.smtputf8 ? "UTF8SMTP" : "ESMTP");
	if (tls) strcat(buf, "S");
	if (auth) strcat(buf, "A");
	return buf;
}

int received_header(struct session *s, stralloc *out)
{
	char date[64];
	time_t now = time(0);
	struct tm tm;
	const char *v;

	if (!localtime_r(&now, &tm) || !strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S %z", &tm)) date[0] = 0;
	if (!stralloc_copys(out, "Received: from ")) return 0;
	if (!cat_clean(out, s->helo_name.s, s->helo_name.len)) return 0;
	if (!stralloc_cats(out, " (")) return 0;
	if (s->peer.remote_host[0] && (!cat_clean(out, s->peer.remote_host, strlen(s->peer.remote_host)) ||
	                               !stralloc_cats(out, " ")))
		return 0;
	if (!stralloc_cats(out, "[") || !stralloc_cats(out, s->peer.remote_ip[0] ? s->peer.remote_ip : "unknown") ||
	    !stralloc_cats(out, "])\n\tby ") || !cat_clean(out, s->conf->me, strlen(s->conf->me)) ||
	    !stralloc_cats(out, " (posthorn) with ") || !stralloc_cats(out, protocol(s)))
		return 0;
	if (session_tls_active(s) || s->auth_user.len) {
		if (!stralloc_cats(out, "\n\t(")) return 0;
		if (session_tls_active(s)) {
			v = stream_tls_version(&s->st);
			if (!cat_clean(out, v ? v : "TLS", strlen(v ? v : "TLS")) || !stralloc_cats(out, " ")) return 0;
			v = stream_tls_cipher(&s->st);
			if (!cat_clean(out, v ? v : "unknown", strlen(v ? v : "unknown"))) return 0;
			if (s->auth_user.len && !stralloc_cats(out, "; ")) return 0;
		}
		if (s->auth_user.len && (!stralloc_cats(out, "authenticated as ") ||
		                         !cat_clean(out, s->auth_user.s, s->auth_user.len)))
			return 0;
		if (!stralloc_cats(out, ")")) return 0;
	}
	if (s->tx.nrcpt == 1) {
		if (!stralloc_cats(out, "\n\tfor <") || !cat_clean(out, s->tx.rcpts.s, strlen(s->tx.rcpts.s)) ||
		    !stralloc_cats(out, ">"))
			return 0;
	}
	return stralloc_cats(out, "; ") && stralloc_cats(out, date) && stralloc_cats(out, "\n");
}
