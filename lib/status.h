#ifndef STATUS_H
#define STATUS_H
/*
 * The one vocabulary of results on the mail path (posthorn(7), "EXIT CODES
 * AND REASONS").  A program that queues or delivers (posthorn-queue,
 * posthorn-local, posthorn-remote) ends with one reason line: an RFC 3463
 * enhanced status code, a space, a text.  Its class is the exit code
 * (lib/exitcode.h): 2 -> EXIT_DONE, 4 -> EXIT_TEMP, 5 -> EXIT_PERM, so a
 * reason and its exit code cannot disagree.
 *
 * Each reason has a name here and one row in status.c: its code and the
 * fixed start of its text.  A caller appends the variable part (an address,
 * a file name, strerror), as the comment of each name shows; the table's
 * texts are what users, bounces and tests see, byte for byte.
 */
#include <stralloc.h>

/* Codes used on their own (RFC 3463 3.x; RFC 5248's registry). */
#define ESC_OK        "2.0.0"   /* success */
#define ESC_PERM      "5.0.0"   /* permanent failure, no finer code */
#define ESC_EXPIRED   "4.4.7"   /* delivery time expired (runq's expiry) */
#define ESC_MAX 15              /* bytes of "C.SSS.DDD" */

enum status_id {
	ST_NONE = 0,
	/* shared by the programs */
	ST_NOMEM,               /* 4.3.0 out of memory */
	ST_CONF_READ,           /* 4.3.0 unable to read config NAME[: err] */
	ST_CONF_BAD,            /* 4.3.0 bad config NAME */
	ST_READ_MESSAGE,        /* 4.3.0 unable to read the message: err */
	ST_BAD_RCPT,            /* 5.1.3 bad recipient address[: why] */

	/* the injection client (lib/inject): its verdicts when the injector
	 * said nothing, and its own failures */
	ST_INJECT_OK,           /* 2.0.0 queued */
	ST_INJECT_PERM,         /* 5.3.0 message refused by the queue */
	ST_INJECT_TEMP,         /* 4.3.0 temporary failure queueing the message */
	ST_INJECT_START,        /* 4.3.0 unable to run the injector: err */
	ST_INJECT_TIMEOUT,      /* 4.3.0 injector timed out, killed */
	ST_INJECT_SIGNAL,       /* 4.3.0 injector killed by signal N */

	/* posthorn-queue */
	ST_QUEUED,              /* 2.0.0 queued as ID */
	ST_CONF_STAT,           /* 4.3.0 unable to stat the config dir: err */
	ST_CONF_UNTRUSTED,      /* 4.3.0 refusing a config dir ...: DIR */
	ST_QUEUE_SETUP,         /* 4.3.0 unable to set up the queue dir: err */
	ST_QUEUE_CREATE,        /* 4.3.0 unable to create a file in the queue: err */
	ST_TOO_BIG,             /* 5.3.4 message too big: more than N bytes */
	ST_WRITE_MESSAGE,       /* 4.3.0 unable to write the message: err */
	ST_SYNC_MESSAGE,        /* 4.3.0 unable to fsync the message: err */
	ST_WRITE_ENV,           /* 4.3.0 unable to write the envelope: err */
	ST_COMMIT_MESSAGE,      /* 4.3.0 unable to commit the message: err */
	ST_COMMIT_ENV,          /* 4.3.0 unable to commit the envelope: err */
	ST_SYNC_QUEUE,          /* 4.3.0 unable to fsync the queue: err */
	/* the envelope it reads (lib/injenv) */
	ST_ENV_READ,            /* 4.3.0 unable to read the envelope: err */
	ST_ENV_NONE,            /* 4.3.0 no envelope: the writer died */
	ST_ENV_CUT,             /* 4.3.0 envelope cut short: the writer died */
	ST_ENV_ADDR_TOO_LONG,   /* 5.1.3 address too long in envelope */
	ST_ENV_NO_SENDER,       /* 5.3.0 envelope does not start with F */
	ST_ENV_BAD_ITEM,        /* 5.3.0 envelope item is neither F nor T */
	ST_ENV_BAD_SENDER,      /* 5.1.7 bad sender address in envelope: why */
	ST_ENV_BAD_RCPT,        /* 5.1.3 bad recipient address in envelope: why */
	ST_ENV_TOO_MANY,        /* 5.5.3 too many recipients in envelope */
	ST_ENV_NO_RCPT,         /* 5.5.1 no recipients in envelope */
	ST_ENV_HEAD_NOT_FIRST,  /* 5.3.0 envelope item H twice or after F */
	ST_ENV_HEAD_TOO_LONG,   /* 5.3.0 header text in envelope too long */
	ST_ENV_BAD_HEAD,        /* 5.3.0 bad header text in envelope: why */
	ST_ENV_BAD_ACCOUNT,     /* 5.3.0 bad account in envelope: why */
	/* send limits (lib/sendlimit) */
	ST_SEND_LIMIT,          /* 4.7.1 sending limit reached for ACCOUNT: N ... (limit M) */
	ST_SEND_LOCKED,         /* 5.7.1 sending locked for ACCOUNT after a burst of N messages; ... */
	ST_SEND_LOCK,           /* 5.7.1 sending locked now for ACCOUNT after a burst of N messages; ... */
	ST_SEND_LIMIT_FILE,     /* 4.3.0 unable to update the send limits file: err */
	ST_ENV_BAD_SIGN,        /* 5.3.0 bad envelope item S: why */

	/* posthorn-local */
	ST_DELIVERED,           /* 2.0.0 delivered to ADDR (...) */
	ST_STAT_MESSAGE,        /* 4.3.0 unable to stat the message on fd 0: err */
	ST_MESSAGE_NOT_FILE,    /* 4.3.0 the message on fd 0 is not a seekable ... */
	ST_REWIND_MESSAGE,      /* 4.3.0 unable to rewind the message: err */
	ST_SENDER_TOO_LONG,     /* 5.1.7 sender address too long */
	ST_SENDER_CONTROL,      /* 5.1.7 control character in sender address */
	ST_CONF_FILE,           /* 4.3.5 unable to read config file DIR/NAME: err */
	ST_CONF_DIR,            /* 4.3.5 unable to read config dir DIR: err */
	ST_CONF_DELIMITER,      /* 4.3.5 config file delimiter must hold one character */
	ST_CONF_OVERQUOTA,      /* 4.3.5 config file overquota must say ... */
	ST_CONF_PIPE_TIMEOUT,   /* 4.3.5 config file pipe-timeout must be ... */
	ST_NO_MAILOWNER,        /* 4.3.5 refusing to deliver as root: write ... DIR/mailowner */
	ST_MAILOWNER_ROOT,      /* 4.3.5 refusing to deliver as root: mailowner is root */
	ST_MAILOWNER_UNKNOWN,   /* 4.3.5 unknown mailowner NAME: err */
	ST_MAILOWNER_BECOME,    /* 4.3.0 unable to become mailowner NAME: err */
	ST_AS_ROOT,             /* 4.3.0 refusing to deliver as root */
	ST_BATCH_PARENT,        /* 4.3.0 the batch process is gone */
	ST_LOOP_DELIVERED_TO,   /* 5.4.6 mail loop: already delivered to ADDR */
	ST_LOOP_HOPS,           /* 5.4.6 mail loop: more than 25 Delivered-To ... */
	ST_TOO_MANY_LOCAL,      /* 4.3.5 alias expansion too large: ... users */
	ST_TOO_MANY_LOOKUPS,    /* 4.3.5 alias expansion too large: ... lookups */
	ST_TOO_MANY_FORWARDS,   /* 4.3.5 too many forwarding addresses: ... */
	ST_ALIAS_LOOP,          /* 5.4.6 alias loop: ADDR reached twice */
	ST_ALIAS_DEEP,          /* 5.4.6 alias loop: nested deeper than 10 at ADDR */
	ST_USERDB_CORRUPT,      /* 4.3.0 users.cdb is corrupt: why */
	ST_USERDB_READ,         /* 4.3.0 unable to read PATH: err */
	ST_USERDB_TARGET,       /* 4.3.5 users.cdb: bad target T of ADDR */
	ST_USERDB_DOMAIN,       /* 4.3.5 users.cdb: ADDR resolves to a domain record */
	ST_NO_DOMAIN,           /* 5.1.2 no such domain: ADDR */
	ST_NO_USER,             /* 5.1.1 no such user: ADDR[ (an alias target of ...)] */
	ST_BAD_FOLDER,          /* 4.3.5 invalid folder name for USER */
	ST_QUOTA_READ,          /* 4.3.0 unable to read the quota of USER: err */
	ST_MAILBOX_FULL,        /* 4.2.2 mailbox full: USER */
	ST_MAILBOX_FULL_PERM,   /* 5.2.2 mailbox full: USER (overquota bounce) */
	ST_DISK_QUOTA,          /* 4.2.2 disk quota exceeded delivering to USER */
	ST_DISK_FULL,           /* 4.3.1 mail system full delivering to USER */
	ST_MAILDIR_WRITE,       /* 4.3.0 unable to deliver to DIR: err */
	ST_RULES_BROKEN,        /* 4.3.5 posthorn-rules of USER...: why */
	ST_PIPE_CREATE,         /* 4.3.0 unable to create a pipe: err */
	ST_PIPE_SETUP,          /* 4.3.0 unable to set up a pipe: err */
	ST_FORK,                /* 4.3.0 unable to fork: err */
	ST_PROGRAM_WAIT,        /* 4.3.0 unable to wait for a program: err */
	ST_PROGRAM_TEMP,        /* 4.3.0 program at line N of posthorn-rules of USER ... */
	ST_PROGRAM_PERM,        /* 5.3.0 program at line N ... refused the message */
	ST_FORWARD_UNAVAILABLE, /* 4.3.0 forwarding not available: ... */
	ST_FORWARD_TIMEOUT,     /* 4.3.0 forwarding timed out: PROG */
	ST_FORWARD_FAILED,      /* 4.3.0 forwarding failed: PROG ... */
	ST_FORWARD_REFUSED,     /* 5.3.0 forwarding refused by PROG */

	/* posthorn-remote */
	ST_ROUTES_BAD,          /* 4.3.5 bad routes file, line N: why */
	ST_STDIN_NOT_FILE,      /* 4.3.0 the message on stdin is not a regular file */
	ST_DOMAIN_BAD,          /* 5.1.2 cannot deliver to this domain: DOMAIN */
	ST_NO_HOST,             /* 4.4.1 no host could be reached */
	ST_HOST_FAILED,         /* 4.4.1 HOST: what[: detail] (the text is empty) */
	ST_ROUTE_NOT_IP,        /* 4.3.5 route host is not an IP address: HOST */
	ST_ROUTE_DNS,           /* 4.4.3 DNS lookup failed for route host HOST */
	ST_ROUTE_NO_ADDRESS,    /* 4.4.3 route host has no address: HOST */
	ST_DNS_MX,              /* 4.4.3 DNS lookup of the MX records failed for DOMAIN */
	ST_DNS_ADDRESS,         /* 4.4.3 DNS lookup of the addresses failed for DOMAIN */
	ST_DNS_EVERY_MX,        /* 4.4.3 DNS lookup failed for every MX host of DOMAIN */
	ST_MX_NO_ADDRESS,       /* 4.4.3 no MX host has an address: DOMAIN */
	ST_NULL_MX,             /* 5.1.10 the domain accepts no mail (null MX, ...): DOMAIN */
	ST_NO_MAIL_SERVER,      /* 5.1.2 the domain has no mail server (...): DOMAIN */
	ST_TOO_BIG_FOR,         /* 5.3.4 message too big for HOST (it takes at most N bytes) */
	ST_SENDER_NEEDS_UTF8,   /* 5.6.7 the sender address needs SMTPUTF8, ...: HOST */
	ST_RCPT_NEEDS_UTF8,     /* 5.6.7 the address needs SMTPUTF8, ...: HOST */

	/* posthorn-runq */
	ST_REMOTE_NOT_ROOT,     /* 4.3.5 posthorn-remote is not run as root: set remoteuser ... */
	ST_REMOTEUSER,          /* 4.3.5 unable to become remoteuser */
	ST_DELIVERER_EXEC,      /* 4.3.0 unable to run the deliverer */
	ST_USERLIST_READ,       /* 4.3.0 unable to read the user list FILE */
	ST_OPEN_QUEUED,         /* 4.3.0 unable to open the queued message */
	ST_LOCAL_START,         /* 4.3.0 unable to start posthorn-local */
	ST_REMOTE_MISSING,      /* 4.4.0 remote delivery not available: posthorn-remote is not installed */
	ST_REMOTE_START,        /* 4.3.0 unable to start posthorn-remote */
	ST_EXPIRED,             /* 4.4.7 message expired: in the queue for more than N seconds; last: ... */
	ST_REMOTE_NO_RESULT,    /* 4.4.0 posthorn-remote gave no result for this recipient */
	ST_LOCAL_DONE,          /* 2.0.0 delivered (posthorn-local said no more) */
	ST_LOCAL_SILENT,        /* 4.3.0 posthorn-local said nothing */
	ST_DELIVERY_TIMEOUT,    /* 4.4.2 delivery timed out and was killed */
	ST_DELIVERER_SIGNAL,    /* 4.3.0 the deliverer was killed by a signal */
	ST_RETURNED,            /* 5.0.0 returned to the sender by the postmaster */

	ST_COUNT
};

/* The enhanced status code of id ("4.3.0").  Never null: an id outside
 * the table (a bug) reads as "4.3.0", a temporary failure, so nothing
 * bounces or is lost because of it. */
const char *status_esc(enum status_id id);

/* The fixed text of id (may be "", never null). */
const char *status_text(enum status_id id);

/* EXIT_DONE, EXIT_PERM or EXIT_TEMP, from the class of id's code. */
int status_exit(enum status_id id);

/* "ESC TEXT" of id in a static buffer, valid until the next call. */
const char *status_reason(enum status_id id);

/* Appends "ESC TEXT" (no NUL) to out.  0 on ENOMEM. */
int status_cat(stralloc *out, enum status_id id);

/* Writes the reason line "ESC TEXT" + a + b + LF to out and flushes it:
 * the one line a deliverer or the injector leaves for its caller (a, b
 * may be null). */
struct buffer;
void status_line(struct buffer *out, enum status_id id, const char *a, const char *b);

/* If s starts with an enhanced status code ("C.SSS.DDD", C one of 2, 4,
 * 5, RFC 3463 2, not followed by another digit or a dot), its length;
 * else 0. */
unsigned status_code_len(const char *s);
#endif
