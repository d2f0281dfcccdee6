/*
 * status: the table of reasons; see status.h.  Codes from RFC 3463 and the
 * IANA registry of RFC 5248; RFC 7505 for null MX (X.1.10), RFC 6531 for
 * SMTPUTF8 (X.6.7).  A text that takes a variable part ends where that part
 * starts; a caller that adds strerror puts ": " before it.
 */
#include <string.h>
#include <buffer.h>
#include "exitcode.h"
#include "status.h"

static const struct {
	const char *esc;
	const char *text;
} table[ST_COUNT] = {
	[ST_NONE]                = {"4.3.0", "no reason given"},
	[ST_NOMEM]               = {"4.3.0", "out of memory"},
	[ST_CONF_READ]           = {"4.3.0", "unable to read config "},
	[ST_CONF_BAD]            = {"4.3.0", "bad config "},
	[ST_READ_MESSAGE]        = {"4.3.0", "unable to read the message"},
	[ST_BAD_RCPT]            = {"5.1.3", "bad recipient address"},

	[ST_INJECT_OK]           = {ESC_OK, "queued"},
	[ST_INJECT_PERM]         = {"5.3.0", "message refused by the queue"},
	[ST_INJECT_TEMP]         = {"4.3.0", "temporary failure queueing the message"},
	[ST_INJECT_START]        = {"4.3.0", "unable to run the injector"},
	[ST_INJECT_TIMEOUT]      = {"4.3.0", "injector timed out, killed"},
	[ST_INJECT_SIGNAL]       = {"4.3.0", "injector killed by signal "},

	[ST_QUEUED]              = {ESC_OK, "queued as "},
	[ST_CONF_STAT]           = {"4.3.0", "unable to stat the config dir"},
	[ST_CONF_UNTRUSTED]      = {"4.3.0", "refusing a config dir not owned by root or the queue owner, "
	                                     "or writable by others: "},
	[ST_QUEUE_SETUP]         = {"4.3.0", "unable to set up the queue dir"},
	[ST_QUEUE_CREATE]        = {"4.3.0", "unable to create a file in the queue"},
	[ST_TOO_BIG]             = {"5.3.4", "message too big: more than "},
	[ST_WRITE_MESSAGE]       = {"4.3.0", "unable to write the message"},
	[ST_SYNC_MESSAGE]        = {"4.3.0", "unable to fsync the message"},
	[ST_WRITE_ENV]           = {"4.3.0", "unable to write the envelope"},
	[ST_COMMIT_MESSAGE]      = {"4.3.0", "unable to commit the message"},
	[ST_COMMIT_ENV]          = {"4.3.0", "unable to commit the envelope"},
	[ST_SYNC_QUEUE]          = {"4.3.0", "unable to fsync the queue"},
	[ST_ENV_READ]            = {"4.3.0", "unable to read the envelope"},
	[ST_ENV_NONE]            = {"4.3.0", "no envelope: the writer died"},
	[ST_ENV_CUT]             = {"4.3.0", "envelope cut short: the writer died"},
	[ST_ENV_ADDR_TOO_LONG]   = {"5.1.3", "address too long in envelope"},
	[ST_ENV_NO_SENDER]       = {"5.3.0", "envelope does not start with F"},
	[ST_ENV_BAD_ITEM]        = {"5.3.0", "envelope item is neither F nor T"},
	[ST_ENV_BAD_SENDER]      = {"5.1.7", "bad sender address in envelope: "},
	[ST_ENV_BAD_RCPT]        = {"5.1.3", "bad recipient address in envelope: "},
	[ST_ENV_TOO_MANY]        = {"5.5.3", "too many recipients in envelope"},
	[ST_ENV_NO_RCPT]         = {"5.5.1", "no recipients in envelope"},
	[ST_ENV_HEAD_NOT_FIRST]  = {"5.3.0", "envelope item H twice or after F"},
	[ST_ENV_HEAD_TOO_LONG]   = {"5.3.0", "header text in envelope too long"},
	[ST_ENV_BAD_HEAD]        = {"5.3.0", "bad header text in envelope: "},
	[ST_ENV_BAD_ACCOUNT]     = {"5.3.0", "bad account in envelope: "},
	/* RFC 3463 3.8: X.7.1 "delivery not authorized"; 4.7.1 is the usual
	 * "try later" of rate limits */
	[ST_SEND_LIMIT]          = {"4.7.1", "sending limit reached for "},
	[ST_SEND_LOCKED]         = {"5.7.1", "sending locked for "},
	[ST_SEND_LOCK]           = {"5.7.1", "sending locked now for "},
	[ST_SEND_LIMIT_FILE]     = {"4.3.0", "unable to update the send limits file"},
	[ST_ENV_BAD_SIGN]        = {"5.3.0", "bad envelope item S: "},

	[ST_DELIVERED]           = {ESC_OK, "delivered to "},
	[ST_STAT_MESSAGE]        = {"4.3.0", "unable to stat the message on fd 0"},
	[ST_MESSAGE_NOT_FILE]    = {"4.3.0", "the message on fd 0 is not a seekable regular file"},
	[ST_REWIND_MESSAGE]      = {"4.3.0", "unable to rewind the message"},
	[ST_SENDER_TOO_LONG]     = {"5.1.7", "sender address too long"},
	[ST_SENDER_CONTROL]      = {"5.1.7", "control character in sender address"},
	[ST_CONF_FILE]           = {"4.3.5", "unable to read config file "},
	[ST_CONF_DIR]            = {"4.3.5", "unable to read config dir "},
	[ST_CONF_DELIMITER]      = {"4.3.5", "config file delimiter must hold one character"},
	[ST_CONF_OVERQUOTA]      = {"4.3.5", "config file overquota must say defer or bounce"},
	[ST_CONF_PIPE_TIMEOUT]   = {"4.3.5", "config file pipe-timeout must be 1 to 86400 seconds"},
	[ST_NO_MAILOWNER]        = {"4.3.5", "refusing to deliver as root: write the mail owner's name into "},
	[ST_MAILOWNER_ROOT]      = {"4.3.5", "refusing to deliver as root: mailowner is root"},
	[ST_MAILOWNER_UNKNOWN]   = {"4.3.5", "unknown mailowner "},
	[ST_MAILOWNER_BECOME]    = {"4.3.0", "unable to become mailowner "},
	[ST_AS_ROOT]             = {"4.3.0", "refusing to deliver as root"},
	[ST_BATCH_PARENT]        = {"4.3.0", "the batch process is gone"},
	[ST_LOOP_DELIVERED_TO]   = {"5.4.6", "mail loop: already delivered to "},
	[ST_LOOP_HOPS]           = {"5.4.6", "mail loop: more than 25 Delivered-To header fields"},
	[ST_TOO_MANY_LOCAL]      = {"4.3.5", "alias expansion too large: more than 256 local users"},
	[ST_TOO_MANY_LOOKUPS]    = {"4.3.5", "alias expansion too large: more than 1024 lookups"},
	[ST_TOO_MANY_FORWARDS]   = {"4.3.5", "too many forwarding addresses: more than 256"},
	[ST_ALIAS_LOOP]          = {"5.4.6", "alias loop: "},
	[ST_ALIAS_DEEP]          = {"5.4.6", "alias loop: nested deeper than 10 at "},
	[ST_USERDB_CORRUPT]      = {"4.3.0", "users.cdb is corrupt: "},
	[ST_USERDB_READ]         = {"4.3.0", "unable to read "},
	[ST_USERDB_TARGET]       = {"4.3.5", "users.cdb: bad target "},
	[ST_USERDB_DOMAIN]       = {"4.3.5", "users.cdb: "},
	[ST_NO_DOMAIN]           = {"5.1.2", "no such domain: "},
	[ST_NO_USER]             = {"5.1.1", "no such user: "},
	[ST_BAD_FOLDER]          = {"4.3.5", "invalid folder name for "},
	[ST_QUOTA_READ]          = {"4.3.0", "unable to read the quota of "},
	[ST_MAILBOX_FULL]        = {"4.2.2", "mailbox full: "},
	[ST_MAILBOX_FULL_PERM]   = {"5.2.2", "mailbox full: "},
	[ST_DISK_QUOTA]          = {"4.2.2", "disk quota exceeded delivering to "},
	[ST_DISK_FULL]           = {"4.3.1", "mail system full delivering to "},
	[ST_MAILDIR_WRITE]       = {"4.3.0", "unable to deliver to "},
	[ST_RULES_BROKEN]        = {"4.3.5", "posthorn-rules of "},
	[ST_PIPE_CREATE]         = {"4.3.0", "unable to create a pipe"},
	[ST_PIPE_SETUP]          = {"4.3.0", "unable to set up a pipe"},
	[ST_FORK]                = {"4.3.0", "unable to fork"},
	[ST_PROGRAM_WAIT]        = {"4.3.0", "unable to wait for a program"},
	[ST_PROGRAM_TEMP]        = {"4.3.0", "program at line "},
	[ST_PROGRAM_PERM]        = {"5.3.0", "program at line "},
	[ST_FORWARD_UNAVAILABLE] = {"4.3.0", "forwarding not available: "},
	[ST_FORWARD_TIMEOUT]     = {"4.3.0", "forwarding timed out: "},
	[ST_FORWARD_FAILED]      = {"4.3.0", "forwarding failed: "},
	[ST_FORWARD_REFUSED]     = {"5.3.0", "forwarding refused by "},

	[ST_ROUTES_BAD]          = {"4.3.5", "bad routes file, line "},
	[ST_STDIN_NOT_FILE]      = {"4.3.0", "the message on stdin is not a regular file"},
	[ST_DOMAIN_BAD]          = {"5.1.2", "cannot deliver to this domain: "},
	[ST_NO_HOST]             = {"4.4.1", "no host could be reached"},
	[ST_HOST_FAILED]         = {"4.4.1", ""},
	[ST_ROUTE_NOT_IP]        = {"4.3.5", "route host is not an IP address: "},
	[ST_ROUTE_DNS]           = {"4.4.3", "DNS lookup failed for route host "},
	[ST_ROUTE_NO_ADDRESS]    = {"4.4.3", "route host has no address: "},
	[ST_DNS_MX]              = {"4.4.3", "DNS lookup of the MX records failed for "},
	[ST_DNS_ADDRESS]         = {"4.4.3", "DNS lookup of the addresses failed for "},
	[ST_DNS_EVERY_MX]        = {"4.4.3", "DNS lookup failed for every MX host of "},
	[ST_MX_NO_ADDRESS]       = {"4.4.3", "no MX host has an address: "},
	[ST_NULL_MX]             = {"5.1.10", "the domain accepts no mail (null MX, RFC 7505): "},
	[ST_NO_MAIL_SERVER]      = {"5.1.2", "the domain has no mail server (no MX, A or AAAA record): "},
	[ST_TOO_BIG_FOR]         = {"5.3.4", "message too big for "},
	[ST_SENDER_NEEDS_UTF8]   = {"5.6.7", "the sender address needs SMTPUTF8, which the server does not offer: "},
	[ST_RCPT_NEEDS_UTF8]     = {"5.6.7", "the address needs SMTPUTF8, which the server does not offer: "},

	[ST_REMOTE_NOT_ROOT]     = {"4.3.5", "posthorn-remote is not run as root: set remoteuser in the config dir"},
	[ST_REMOTEUSER]          = {"4.3.5", "unable to become remoteuser"},
	[ST_DELIVERER_EXEC]      = {"4.3.0", "unable to run the deliverer"},
	[ST_USERLIST_READ]       = {"4.3.0", "unable to read the user list "},
	[ST_OPEN_QUEUED]         = {"4.3.0", "unable to open the queued message"},
	[ST_LOCAL_START]         = {"4.3.0", "unable to start posthorn-local"},
	[ST_REMOTE_MISSING]      = {"4.4.0", "remote delivery not available: posthorn-remote is not installed"},
	[ST_REMOTE_START]        = {"4.3.0", "unable to start posthorn-remote"},
	[ST_EXPIRED]             = {ESC_EXPIRED, "message expired: in the queue for more than "},
	[ST_REMOTE_NO_RESULT]    = {"4.4.0", "posthorn-remote gave no result for this recipient"},
	[ST_LOCAL_DONE]          = {ESC_OK, "delivered"},
	[ST_LOCAL_SILENT]        = {"4.3.0", "posthorn-local said nothing"},
	[ST_DELIVERY_TIMEOUT]    = {"4.4.2", "delivery timed out and was killed"},
	[ST_DELIVERER_SIGNAL]    = {"4.3.0", "the deliverer was killed by a signal"},
	[ST_RETURNED]            = {ESC_PERM, "returned to the sender by the postmaster"},
};

static enum status_id known(enum status_id id)
{
	return (unsigned)id < ST_COUNT && table[id].esc ? id : ST_NONE;
}

const char *status_esc(enum status_id id) { return table[known(id)].esc; }

const char *status_text(enum status_id id) { return table[known(id)].text; }

int status_exit(enum status_id id)
{
	switch (status_esc(id)[0]) {
	case '2': return EXIT_DONE;
	case '5': return EXIT_PERM;
	default: return EXIT_TEMP;
	}
}

const char *status_reason(enum status_id id)
{
	static char buf[ESC_MAX + 2 + 200];
	size_t e = strlen(status_esc(id)), t = strlen(status_text(id));

	/* cannot truncate: every text of the table is under 200 bytes (the
	 * unit test checks) */
	if (e + 1 + t >= sizeof buf) t = sizeof buf - e - 2;
	memcpy(buf, status_esc(id), e);
	buf[e] = ' ';
	memcpy(buf + e + 1, status_text(id), t);
	buf[e + 1 + t] = 0;
	return buf;
}

int status_cat(stralloc *out, enum status_id id)
{
	return stralloc_cats(out, status_esc(id)) && stralloc_cats(out, " ") && stralloc_cats(out, status_text(id));
}

void status_line(buffer *out, enum status_id id, const char *a, const char *b)
{
	buffer_puts(out, status_esc(id));
	buffer_puts(out, " ");
	buffer_puts(out, status_text(id));
	if (a) buffer_puts(out, a);
	if (b) buffer_puts(out, b);
	buffer_puts(out, "\n");
	buffer_flush(out);
}

/* RFC 3463 2: class "." subject "." detail, subject and detail 1 to 3
 * digits; what follows must not continue the code (a digit or a dot). */
unsigned status_code_len(const char *s)
{
	unsigned i = 1, part;

	if (s[0] != '2' && s[0] != '4' && s[0] != '5') return 0;
	for (part = 0; part < 2; part++) {
		unsigned digits = 0;
		if (s[i++] != '.') return 0;
		while (s[i] >= '0' && s[i] <= '9') {
			if (++digits > 3) return 0;
			i++;
		}
		if (!digits) return 0;
	}
	return s[i] == '.' ? 0 : i;
}
