/*
 * DATA (RFC 5321 4.1.1.4) and BDAT (RFC 3030 CHUNKING): the message text,
 * decoded by lib/smtpdata and streamed into the injector as it arrives.
 *
 * Rules for the text (posthorn-smtpd(8), "Message text"): only CRLF.CRLF
 * ends DATA; a message holding a bare CR or LF, a NUL byte or a line over
 * 998 octets is read to its end and refused with 554 5.6.0, so no
 * look-alike of the end of data can ever reach a later hop (SMTP
 * smuggling).  The same rules hold for BDAT chunks.  The size limit
 * (databytes) and the loop check (more than maxhops Received fields) are
 * applied while reading; once a message is doomed the injector is
 * abandoned and the rest is read and dropped.
 *
 * Input is taken straight from lib/stream's buffer (its in/inpos/inlen
 * fields, see stream.h): after the end-of-data line the bytes that follow
 * are pipelined commands and must stay in the buffer for the command loop.
 */
#include <errno.h>
#include <string.h>
#include <fmt.h>
#include "log.h"
#include "reply.h"
#include "smtpcmd.h"
#include "smtpd.h"

/* Points *p at buffered input (filling the buffer if it is empty) and
 * returns how many bytes are there, or a negative stream_status.  When the
 * buffer had to be filled, the first byte comes through one[] and is
 * already consumed; *taken says so. */
static long input(struct session *s, const char **p, char one[1], int *taken)
{
	size_t n = stream_pending(&s->st);
	long r;

	*taken = 0;
	if (n) {
		*p = s->st.in + s->st.inpos;
		return (long)n;
	}
	r = stream_read(&s->st, one, 1);
	if (r < 0) return r;
	*p = one;
	*taken = 1;
	return 1;
}

static void consume(struct session *s, size_t n, int taken)
{
	if (!taken) s->st.inpos += n;
}

static int doomed(const struct session *s)
{
	const struct smtpdata *d = &s->dec;

	return d->flags || (s->conf->databytes && d->size > s->conf->databytes) || d->received > s->conf->maxhops;
}

/* Decoded text goes to the injector until the message is doomed. */
static void output(struct session *s, const char *buf, size_t len)
{
	if (!s->inj.pid) return;
	if (doomed(s)) {
		inject_abort(&s->inj);
		return;
	}
	if (len) {
		scan_data(s, buf, len);
		checks_data(s, buf, len);
	}
}

/* The reply for a doomed message (R_NONE if it is fine). */
static int verdict(const struct session *s)
{
	const struct smtpdata *d = &s->dec;

	if (d->flags & (SMTPDATA_BARELF | SMTPDATA_BARECR)) return R_DATA_BARE;
	if (d->flags & SMTPDATA_NUL) return R_DATA_NUL;
	if (d->flags & SMTPDATA_LONGLINE) return R_DATA_LONG_LINE;
	if (s->conf->databytes && d->size > s->conf->databytes) return R_DATA_TOO_BIG;
	if (d->received > s->conf->maxhops) return R_LOOP;
	return R_NONE;
}

/* One line per message, with its outcome. */
static void log_message(struct session *s, const char *result)
{
	char size[FMT_ULONG], n[FMT_ULONG];
	const char *spf, *dkim, *dmarc, *dnsbl;
	stralloc to = {0};
	size_t i;

	for (i = 0; i < s->tx.rcpts.len; i++) {
		char c = s->tx.rcpts.s[i] ? s->tx.rcpts.s[i] : ',';
		if (i + 1 < s->tx.rcpts.len || c != ',') stralloc_append(&to, &c);
	}
	stralloc_0(&to);
	size[fmt_ulonglong(size, s->dec.size)] = 0;
	n[fmt_ulong(n, s->tx.nrcpt)] = 0;
	checks_log(s, &spf, &dkim, &dmarc, &dnsbl);
	log_event("message", "client", s->peer.remote_ip, "helo", s->helo_name.len ? s->helo_name.s : 0,
	          "tls", session_tls_active(s) ? stream_tls_version(&s->st) : 0,
	          "auth", s->auth_user.len ? s->auth_user.s : 0, "from", s->tx.sender.s ? s->tx.sender.s : "",
	          "rcpts", n, "to", to.s, "size", size, "dnsbl", dnsbl, "spf", spf, "dkim", dkim, "dmarc", dmarc,
	          "result", result, "scan", s->scan.log[0] ? s->scan.log : 0, (char *)0);
	stralloc_free(&to);
}

/* Hands the envelope over and waits for the injector's verdict; its code,
 * enhanced code and text come back structured (lib/inject) and go into
 * our reply as they are.  result gets the reply for the log ("250 2.0.0
 * queued as ID").  1 when the message was queued. */
static int injected(struct session *s, stralloc *result)
{
	struct inject_result r;
	char num[FMT_ULONG];
	size_t i;

	/* the account the send limits count (posthorn-queue(8)) */
	if (s->auth_user.len) inject_account(&s->inj, s->auth_user.s);
	inject_from(&s->inj, s->tx.sender.s);
	for (i = 0; i < s->tx.rcpts.len; i += strlen(s->tx.rcpts.s + i) + 1)
		inject_to(&s->inj, s->tx.rcpts.s + i);
	inject_close(&s->inj, &r);
	if (r.timedout) log_event("inject", "error", "injector timed out, killed", (char *)0);
	/* A send limit (4.7.1) is the sender's to wait out, not trouble of
	 * ours: 450, "mailbox unavailable" as RFC 5321 4.2.3's rate limits */
	if (r.code == 451 && !strcmp(r.esc, "4.7.1")) r.code = 450;
	if (!strncmp(r.text, "sending locked now ", 19))
		log_event("sendlock", "account", s->auth_user.s, "reason", r.text, (char *)0);
	reply_raw(s, r.code, r.esc, r.text, 0);
	num[fmt_ulong(num, (unsigned long)r.code)] = 0;
	if (!stralloc_copys(result, num) || !stralloc_cats(result, " ") || !stralloc_cats(result, r.esc) ||
	    !stralloc_cats(result, " ") || !stralloc_cats(result, r.text) || !stralloc_0(result))
		result->len = 0;
	return r.code == 250;
}

/* Ends a transaction: the injector's answer, or a refusal by rule. */
static void conclude(struct session *s)
{
	static stralloc result, detail;
	int r = verdict(s);

	if (r == R_NONE && s->inj.pid) {
		detail.len = 0;
		r = checks_data_end(s, &detail);
		if (r == R_NONE) r = scan_end(s, &detail);
		if (r != R_NONE) {
			inject_abort(&s->inj);
			reply_detail(s, r, detail.len ? detail.s : 0);
			log_message(s, r == R_DMARC_REJECT ? "550 dmarc" : r == R_MANY_FROM ? "550 from"
			               : r == R_SCAN_VIRUS ? "554 virus" : r == R_SCAN_SPAM ? "554 spam" : "451");
			session_reset_tx(s);
			return;
		}
	}
	if (r != R_NONE) {
		char code[4] = {0};
		inject_abort(&s->inj);
		reply(s, r);
		code[0] = (char)('0' + reply_code(r) / 100), code[1] = (char)('0' + reply_code(r) / 10 % 10);
		code[2] = (char)('0' + reply_code(r) % 10);
		log_message(s, code);
	} else if (!s->inj.pid) {
		reply(s, R_QUEUE_TEMP);
		log_message(s, "451");
	} else {
		if (injected(s, &result)) s->messages++;
		log_message(s, result.len ? result.s : "?");
	}
	session_reset_tx(s);
}

/* Starts the injector and gives it our Received field; reply id or 0. */
static int begin(struct session *s, enum smtpdata_mode mode)
{
	static stralloc head;

	if (!s->tx.sender.s && (!stralloc_copys(&s->tx.sender, "") || !stralloc_0(&s->tx.sender))) return R_QUEUE_TEMP;
	if (inject_open(&s->inj, -1, SMTPD_INJECT_TIMEOUT)) {
		log_event("inject", "error", "unable to start the injector", "reason", strerror(errno), (char *)0);
		return R_QUEUE_TEMP;
	}
	/* our own users' mail is DKIM-signed by the queue; relayed-in mail never */
	if (s->auth_user.len) inject_sign(&s->inj);
	if (!received_header(s, &head)) {
		inject_abort(&s->inj);
		return R_QUEUE_TEMP;
	}
	smtpdata_init(&s->dec, mode);
	inject_put(&s->inj, head.s, head.len);
	checks_data_begin(s);
	scan_begin(s);
	return R_NONE;
}

static int need_rcpt(const struct session *s)
{
	return s->tx.rcpt_tries ? R_NO_VALID_RCPT : R_NEED_RCPT;
}

int check_data(struct session *s, const char *arg, size_t len)
{
	if (!s->tx.active) return R_NEED_MAIL;
	if (s->tx.chunking) return R_DATA_AFTER_BDAT;
	if (!s->tx.nrcpt) return need_rcpt(s);
	return check_noarg(s, arg, len);
}

void do_data(struct session *s, const char *arg, size_t len)
{
	static char out[STREAM_BUF];
	int r;

	(void)arg, (void)len;
	if ((r = begin(s, SMTPDATA_DOT)) != R_NONE) {
		reply(s, r);
		session_reset_tx(s);
		return;
	}
	reply(s, R_DATA_GO);
	while (!s->dec.done) {
		const char *p;
		char one[1];
		int taken;
		long n = input(s, &p, one, &taken);
		size_t used, olen;

		if (n < 0) {
			log_message(s, "lost");
			session_lost(s, (int)n);
			return;
		}
		if ((size_t)n > sizeof out) n = sizeof out;
		used = smtpdata_feed(&s->dec, p, (size_t)n, out, &olen);
		consume(s, used, taken);
		output(s, out, olen);
	}
	conclude(s);
}

/* BDAT's argument: "SIZE" or "SIZE LAST". */
static int bdat_args(const char *arg, size_t len, unsigned long long *size, int *last)
{
	size_t i = 0;

	while (i < len && arg[i] != ' ') i++;
	if (smtpcmd_number(arg, i, size)) return -1;
	*last = 0;
	while (i < len && arg[i] == ' ') i++;
	if (i == len) return 0;
	if (!smtpcmd_is(arg + i, len - i, "LAST")) return -1;
	*last = 1;
	return 0;
}

int check_bdat(struct session *s, const char *arg, size_t len)
{
	(void)s, (void)arg, (void)len;
	return R_NONE;   /* do_bdat must read the chunk whatever the state */
}

/* Reads size bytes of chunk, into the decoder when keep is set. */
static int read_chunk(struct session *s, unsigned long long size, int keep)
{
	static char out[STREAM_BUF];

	while (size) {
		const char *p;
		char one[1];
		int taken;
		long n = input(s, &p, one, &taken);
		size_t olen, take;

		if (n < 0) return (int)n;
		take = (unsigned long long)n > size ? (size_t)size : (size_t)n;
		if (take > sizeof out) take = sizeof out;
		if (taken) take = 1;
		if (keep) {
			smtpdata_feed(&s->dec, p, take, out, &olen);
			output(s, out, olen);
		}
		consume(s, take, taken);
		size -= take;
	}
	return 0;
}

void do_bdat(struct session *s, const char *arg, size_t len)
{
	unsigned long long size;
	int last, refuse = R_NONE, r;

	if (bdat_args(arg, len, &size, &last)) {
		/* without a size we cannot tell the chunk from the next command */
		reply(s, R_BDAT_SYNTAX);
		s->quit = 1;
		s->end_reason = "bdat-syntax";
		return;
	}
	if (s->conf->databytes && size > s->conf->databytes) {
		/* reading it all just to stay in step would be the attack */
		reply(s, R_DATA_CHUNK_TOO_BIG);
		s->quit = 1;
		s->end_reason = "bdat-too-big";
		return;
	}
	if (!s->helo) refuse = R_HELO_FIRST;
	else if (!s->tx.active) refuse = R_NEED_MAIL;
	else if (!s->tx.nrcpt) refuse = need_rcpt(s);
	else if (s->tx.failed) refuse = R_CHUNK_AFTER_FAIL;
	else if (!s->tx.chunking) {
		if ((refuse = begin(s, SMTPDATA_CHUNK)) == R_NONE) s->tx.chunking = 1;
		else s->tx.failed = 1;
	}
	if ((r = read_chunk(s, size, refuse == R_NONE))) {
		if (refuse == R_NONE) log_message(s, "lost");
		session_lost(s, r);
		return;
	}
	if (refuse != R_NONE) {
		reply(s, refuse);
		if (last && s->tx.failed) session_reset_tx(s);
		return;
	}
	if (last) {
		smtpdata_finish(&s->dec);
		conclude(s);
		return;
	}
	if ((r = verdict(s)) != R_NONE) {
		inject_abort(&s->inj);
		reply(s, r);
		log_message(s, "refused");
		s->tx.failed = 1;
		return;
	}
	reply_detail(s, R_CHUNK_OK, 0);
}
