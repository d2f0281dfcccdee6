#ifndef DNSQ_H
#define DNSQ_H
/*
 * dnsq: the DNS questions of posthorn-smtpd's sender checks (SPF, DKIM,
 * DMARC, DNSBL), on libowfat's resolver (djbdns's dns_transmit), which
 * asks $DNSCACHEIP or else the nameservers of /etc/resolv.conf
 * (dns_resolvconfip), recursion desired.
 *
 * Why not dns_txt, dns_ip4 and friends: dns_txt joins every TXT record of
 * a name into one string, but SPF, DKIM and DMARC must see the records
 * apart (two "v=spf1" records are a permerror, RFC 7208 4.5); the dns_*
 * calls do not tell NXDOMAIN from "no data" (SPF's void lookups, RFC 7208
 * 4.6.4, and DMARC's np=, RFC 9091, count both); and dns_resolve retries
 * for about a minute.  Here:
 *
 *   - one query is one name and one type; its answer is parsed from the
 *     raw packet with bounds (DNSQ_RRS_MAX records in DNSQ_BYTES_MAX bytes)
 *     and ends in one of four codes: OK, NODATA, NXDOMAIN, TEMP;
 *   - every query has a deadline (dnsq_timeout, DNSQ_TIMEOUT_DEFAULT);
 *   - dnsq_many sends up to DNSQ_PARALLEL_MAX queries at once and waits
 *     for all of them until one deadline (DNSBL zones, RFC 5782);
 *   - a small cache of DNSQ_CACHE_MAX answers, each kept at most
 *     DNSQ_CACHE_SECONDS (TTLs are not read: the process lives for one
 *     SMTP connection), so that the same question in one connection goes
 *     out once.  TEMP answers are not cached.
 *
 * CNAME chains are followed by the recursive resolver; an answer is taken
 * from records whose owner is the name asked or a CNAME target reached
 * from it in the same packet (at most DNSQ_CHAIN_MAX names); other records
 * are ignored (RFC 1034 3.6.2).
 *
 * Not thread-safe: the cache and the timeout are process state.
 */
#include <stddef.h>
#include <stralloc.h>
#include "spf.h"
#include "dkim.h"
#include "dmarc.h"
#include "dnsbl.h"

enum dnsq_type { DNSQ_A, DNSQ_AAAA, DNSQ_MX, DNSQ_PTR, DNSQ_TXT };

enum dnsq_rc {
	DNSQ_OK,        /* at least one record (or records dropped for room) */
	DNSQ_NODATA,    /* the name exists, no record of this type */
	DNSQ_NXDOMAIN,  /* no such name (also a name that cannot be one) */
	DNSQ_TEMP       /* SERVFAIL, REFUSED, timeout, malformed or truncated answer */
};

#define DNSQ_NAME_MAX        253    /* a query name in text, no final dot */
#define DNSQ_RRS_MAX         128    /* records kept of one answer */
#define DNSQ_BYTES_MAX       16384  /* bytes of record data kept */
#define DNSQ_TXT_MAX         8192   /* a longer TXT record keeps DNSQ_TXT_MAX + 1
                                     * bytes: every reader still sees it is too
                                     * long (SPF, DMARC 2048; DKIM 8192) */
#define DNSQ_CHAIN_MAX       8      /* the name asked and CNAME targets */
#define DNSQ_PARALLEL_MAX    32     /* queries in flight at once (DNSBL_ZONES_MAX) */
#define DNSQ_CACHE_MAX       64
#define DNSQ_CACHE_SECONDS   300
#define DNSQ_TIMEOUT_DEFAULT 5000   /* milliseconds per query (or per dnsq_many) */

/*
 * One answer.  Record i is buf[rr[i].off .. + rr[i].len):
 *   A: 4 bytes; AAAA: 16 bytes;
 *   MX: the exchange's name in text (pref holds the preference), PTR: the
 *     name in text; no final dot, the root (a null MX, RFC 7505) is "";
 *     label bytes other than printable ASCII, '.' and '\' are written
 *     \DDD (RFC 1035 5.1), so a name is at most 4 * 255 bytes;
 *   TXT: the record's character-strings joined without separator (RFC 7208
 *     3.3, RFC 6376 3.6.2.2, RFC 7489 6.1), a NUL byte in it made '?'
 *     (so that NUL can separate records, lib/dkim.h, lib/dmarc.h).
 * Records that do not fit are dropped and overflow set.
 */
struct dnsq_rr {
	unsigned off, len;
	unsigned pref;
};
struct dnsq_answer {
	enum dnsq_rc rc;
	unsigned n;
	int overflow;
	size_t used;
	struct dnsq_rr rr[DNSQ_RRS_MAX];
	char buf[DNSQ_BYTES_MAX];
};

/* The deadline of each query and of each dnsq_many, in milliseconds
 * (0: DNSQ_TIMEOUT_DEFAULT).  Process-wide. */
void dnsq_timeout(unsigned ms);

/* Asks name (text, a final dot allowed) for type; fills out and returns
 * out->rc.  Answers from the cache when it can. */
enum dnsq_rc dnsq_query(enum dnsq_type type, const char *name, struct dnsq_answer *out);

/* Many questions at once: each q[i] is answered into *q[i].ans (and
 * q[i].ans->rc), all within one deadline.  More than DNSQ_PARALLEL_MAX go
 * out in groups of that many. */
struct dnsq_req {
	enum dnsq_type type;
	const char *name;
	struct dnsq_answer *ans;
};
void dnsq_many(struct dnsq_req *q, unsigned n);

/* Asks n questions at once only to fill the cache, so that the checks
 * that follow one after the other find their answers there: the lookups
 * of a message cost one wait instead of one each.  Each name[i] is asked
 * for type[i]; answers are not returned.  n at most DNSQ_PARALLEL_MAX. */
void dnsq_prefetch(const enum dnsq_type *type, const char *const *name, unsigned n);

/* Parses a response packet (len bytes, as it came) to a question of type:
 * the one question it repeats, its RCODE, its answer section.  Fills out;
 * returns out->rc.  Exposed for the unit test and the fuzz target. */
enum dnsq_rc dnsq_parse(const char *pkt, size_t len, enum dnsq_type type, struct dnsq_answer *out);

/* Forgets every cached answer. */
void dnsq_cache_clear(void);

/* Queries sent to the network since the process started (not counting
 * cache hits): for tests. */
extern unsigned long dnsq_sent;

/*
 * The adapters of the check libraries, with the semantics each header
 * asks for (ctx unused):
 *   dnsq_spf:   lib/spf.h, A/AAAA/MX/PTR/TXT through spf_answer_add;
 *   dnsq_dkim:  lib/dkim.h, TXT records appended, each followed by NUL;
 *               NXDOMAIN is DKIM_DNS_NONE;
 *   dnsq_dmarc: lib/dmarc.h, TXT records NUL-terminated; exists asks A,
 *               AAAA and MX at once;
 *   dnsq_dnsbl: lib/dnsbl.h, A as 4 bytes a record, TXT joined (dns_txt).
 */
extern const struct spf_resolver dnsq_spf;
extern const struct dkim_dns dnsq_dkim;
extern const struct dmarc_dns dnsq_dmarc;
extern const struct dnsbl_dns dnsq_dnsbl;

/* DNSBL "at once" (lib/dnsbl.h): dnsbl_queries for ip, every zone's A
 * question sent together, each answer stored with dnsbl_answer.  Then
 * dnsbl_score; the TXT reason through dnsq_dnsbl.txt.  -1 when ip is not
 * an address or out of memory (q then as dnsbl_queries left it), else 0. */
int dnsq_dnsbl_ask(const struct dnsbl_list *l, const char *ip, struct dnsbl_query *q);

#endif
