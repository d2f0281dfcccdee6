#ifndef SMTPD_H
#define SMTPD_H
/*
 * posthorn-smtpd: the SMTP server on fd 0/1 (see posthorn-smtpd(8)).
 *
 * One process per connection.  The files of cmd/smtpd/:
 *   main.c      options, environment, start and end of the session
 *   config.c    the config dir, read once at start-up
 *   reply.c     the one table of replies (codes, enhanced codes, texts)
 *   session.c   the command loop, the verb table, state resets
 *   verbs.c     HELO EHLO MAIL RCPT RSET NOOP VRFY EXPN HELP QUIT
 *   policy.c    who may send from and to which address (users.cdb, relay)
 *   sasl.c      AUTH PLAIN and LOGIN
 *   tls.c       STARTTLS and implicit TLS (libtls set up on first use)
 *   data.c      DATA and BDAT: reading the message into the injector
 *               (lib/inject: posthorn-queue, or $POSTHORN_QUEUE)
 *   received.c  the Received header we prepend
 *   checks.c    the sender checks: DNSBL, SPF, DKIM, DMARC, and the
 *               Authentication-Results field that reports them
 *   scan.c      content scanning before the reply: clamd, rspamd
 *
 * The session is one static struct (one connection per process); its
 * strings are stralloc that live for the whole process.
 */
#include <stddef.h>
#include <sys/types.h>
#include <stralloc.h>
#include "clamd.h"
#include "dkim.h"
#include "dmarc.h"
#include "dnsbl.h"
#include "hdrsplit.h"
#include "inject.h"
#include "peer.h"
#include "spf.h"
#include "smtpdata.h"
#include "stream.h"

#define SMTPD_LINE_MAX 4096        /* octets of a command line incl. CRLF;
                                      RFC 5321 says 512, AUTH (RFC 4954 4)
                                      needs more for its initial response */
#define SMTPD_HELO_MAX 255
#define SMTPD_MAXRCPT_DEFAULT 100  /* RFC 5321 4.5.3.1.8: at least 100 */
#define SMTPD_TIMEOUT_DEFAULT 300  /* seconds per wait on the client (4.5.3.2) */
#define SMTPD_MAXERRORS_DEFAULT 20
#define SMTPD_MAXHOPS_DEFAULT 100  /* Received fields before we call it a loop */
#define SMTPD_DATABYTES_DEFAULT 52428800UL   /* as posthorn-queue */
#define SMTPD_INJECT_TIMEOUT 1200  /* seconds the injector may take */
#define SMTPD_AUTH_DELAY 1         /* seconds of pause after a failed AUTH */
#define SMTPD_DNSBL_THRESHOLD 10   /* DNSBL score that refuses a client */
#define SMTPD_FROM_DOMAINS 4       /* From domains a message's DMARC check looks at */
#define SMTPD_OVERRIDE_MAX 16384   /* bytes of the dmarc-override file */
#define SMTPD_SCAN_TIMEOUT_DEFAULT 30          /* seconds per scanner */
#define SMTPD_SCAN_MAXSIZE_DEFAULT 26214400UL  /* bytes sent to the scanners */

struct smtpd_conf {
	const char *me;                /* host name for the greeting, Received */
	stralloc me_sa;
	stralloc cdbpath;              /* DIR/users.cdb */
	stralloc certpath, keypath;    /* DIR/tls/cert.pem, DIR/tls/key.pem */
	unsigned long databytes;       /* 0: no limit */
	unsigned long maxrcpt;
	unsigned long timeout;
	unsigned long maxerrors;
	unsigned long maxhops;
	int auth_cleartext;            /* offer AUTH without TLS */
	char delim;                    /* plus-addressing character, 0 = none */
	int submission;                /* -s: AUTH before MAIL */
	int implicit_tls;              /* -t: TLS from the first byte (465) */
	int relayclient;               /* $RELAYCLIENT is set */
	/* sender checks (checks.c) */
	int checks;                    /* smtpd-checks: 0 turns them all off */
	unsigned long dnsbl_threshold;
	int spf_reject;                /* an SPF fail is refused at RCPT */
	int dmarc_enforce;             /* p=reject refused, p=quarantine marked */
	stralloc authserv_sa;          /* authserv-id, NUL-terminated */
	struct dnsbl_list dnsbl;       /* dnsblzones */
	stralloc dmarc_override;       /* dmarc-override: "domain policy" lines */
	/* content scanners (scan.c); each address NUL-terminated, "" = off */
	stralloc rspamd, clamd;
	unsigned long scan_timeout;
	unsigned long scan_maxsize;
	int scan_pass;                 /* scan-failure pass: queue, marked */
};

/* The copy of the message the scanners read (scan.c). */
struct scan {
	int fd;                        /* memfd, made on first use; -1: none */
	int keep;                      /* this message is being copied */
	int broken;                    /* the copy could not be written */
	unsigned long long size;       /* bytes of text seen */
	char log[CLAMD_NAME_MAX + 64]; /* what the scanners said, for the log */
};

/* What the checks found, for the connection and for the message. */
struct checks {
	int apply;                     /* this client is checked (not AUTH or
	                                  RELAYCLIENT, checks on) */
	int dnsbl_done;                /* looked up (once per connection) */
	struct dnsbl_result dnsbl;
	char dnsbl_reason[DNSBL_REASON_MAX + 1];
	char dnsbl_listed[DNSBL_ZONES_MAX * 24];  /* "zone=code ..." for the mark */
	stralloc helo_checked;         /* the HELO name helo_spf is for */
	enum spf_result helo_spf;
	int spf_done;                  /* MAIL FROM checked in this transaction */
	enum spf_result mfrom_spf;
	char spf_exp[SPF_EXP_MAX + 1];
	/* the message */
	int filtering;                 /* text goes through split */
	struct hdrsplit split;
	int last_event;                /* of split, for parts of long fields */
	int drop_part;                 /* the long field being passed is dropped */
	int dkim_on;                   /* dkim is set up (to be freed) */
	struct dkim dkim;
	unsigned nfrom;                /* From fields */
	int from_bad;                  /* a From we could not read */
	unsigned ndomains;
	char from[SMTPD_FROM_DOMAINS][DMARC_DOMAIN_MAX + 1];
	struct dmarc_result dmarc;     /* of the strictest From domain */
	int dmarc_done;
	const char *dkim_log;          /* for the log line */
	char dkim_summary[64];
};

/* The message being received: from MAIL to the end of DATA / BDAT LAST. */
struct transaction {
	int active;                    /* MAIL accepted */
	stralloc sender;               /* canonical text, "" for <> */
	int smtputf8;                  /* MAIL ... SMTPUTF8 */
	int body8bit;                  /* BODY=8BITMIME */
	stralloc rcpts;                /* accepted recipients, each NUL-terminated */
	unsigned long nrcpt;
	unsigned long rcpt_tries;      /* RCPT commands, accepted or not */
	int chunking;                  /* a BDAT chunk was taken */
	int failed;                    /* BDAT: a chunk failed; the rest are read
	                                  and refused until RSET or MAIL */
};

/* The small fields come first, then the stream (its own small fields
 * before its buffers): an idle session, in .bss, dirties fewer pages. */
struct session {
	struct peer peer;
	struct smtpd_conf *conf;
	stralloc line;                 /* the command line being handled */
	int helo;                      /* HELO or EHLO seen (since STARTTLS) */
	int esmtp;                     /* it was EHLO */
	stralloc helo_name;
	stralloc auth_user;            /* "" until AUTH succeeded */
	unsigned long errors;
	unsigned long messages;        /* accepted this session */
	unsigned long auth_failures;
	int quit;                      /* leave the loop */
	const char *end_reason;        /* for the connection log line */
	struct stream st;
	struct transaction tx;
	struct inject inj;             /* the injector while a message is fed to it */
	struct smtpdata dec;
	struct checks chk;
	struct scan scan;
};

/* config.c: reads the config dir and $RELAYCLIENT; on trouble logs and
 * exits 111 after a 421 greeting (the client retries). */
void config_read(struct smtpd_conf *c);

/* session.c */
void session_run(struct session *s);
void session_reset_tx(struct session *s);
int session_tls_active(const struct session *s);
int session_auth_offered(const struct session *s);
int session_readline(struct session *s);  /* 0, or -1: the session is over */
void session_lost(struct session *s, int status);

/* verbs.c: check (returns a reply id, 0 = go ahead) and do functions. */
int check_helo(struct session *s, const char *arg, size_t len);
void do_helo(struct session *s, const char *arg, size_t len);
void do_ehlo(struct session *s, const char *arg, size_t len);
int check_mail(struct session *s, const char *arg, size_t len);
void do_mail(struct session *s, const char *arg, size_t len);
int check_rcpt(struct session *s, const char *arg, size_t len);
void do_rcpt(struct session *s, const char *arg, size_t len);
int check_noarg(struct session *s, const char *arg, size_t len);
void do_rset(struct session *s, const char *arg, size_t len);
void do_noop(struct session *s, const char *arg, size_t len);
void do_vrfy(struct session *s, const char *arg, size_t len);
void do_expn(struct session *s, const char *arg, size_t len);
void do_help(struct session *s, const char *arg, size_t len);
void do_quit(struct session *s, const char *arg, size_t len);

/* policy.c: reply ids for a sender / a recipient (0 = accepted). */
int policy_sender(struct session *s, const char *path, size_t len, unsigned addrflags, stralloc *canon);
int policy_rcpt(struct session *s, const char *path, size_t len, unsigned addrflags, stralloc *canon);

/* sasl.c */
int check_auth(struct session *s, const char *arg, size_t len);
void do_auth(struct session *s, const char *arg, size_t len);

/* tls.c */
int tls_available(const struct session *s);
int check_starttls(struct session *s, const char *arg, size_t len);
void do_starttls(struct session *s, const char *arg, size_t len);
int tls_implicit(struct session *s);  /* 0, or -1: handshake failed */

/* data.c */
int check_data(struct session *s, const char *arg, size_t len);
void do_data(struct session *s, const char *arg, size_t len);
int check_bdat(struct session *s, const char *arg, size_t len);
void do_bdat(struct session *s, const char *arg, size_t len);

/* checks.c (each does nothing when the checks are off) */
void checks_connection(struct session *s);   /* after AUTH: who is checked */
int checks_mail(struct session *s, stralloc *detail);  /* DNSBL, SPF; reply id */
int checks_rcpt(struct session *s, stralloc *detail);  /* SPF fail/temperror */
void checks_data_begin(struct session *s);
void checks_data(struct session *s, const char *buf, size_t len);  /* to the injector */
int checks_data_end(struct session *s, stralloc *detail);  /* DMARC; A-R prepended */
void checks_log(const struct session *s, const char **spf, const char **dkim, const char **dmarc,
                const char **dnsbl);

/* scan.c (each does nothing when no scanner is set) */
int scan_enabled(const struct session *s);
void scan_begin(struct session *s);
void scan_data(struct session *s, const char *buf, size_t len);  /* the copy */
int scan_end(struct session *s, stralloc *detail);  /* reply id; marks prepended */
int scan_incoming(const struct session *s);  /* mail from outside: rspamd, marks dropped */
int scan_config(struct smtpd_conf *c, const char **bad);  /* 0, or -1: *bad unreadable */

/* received.c: out = our Received field, LF line ends. */
int received_header(struct session *s, stralloc *out);
#endif
