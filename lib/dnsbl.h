#ifndef DNSBL_H
#define DNSBL_H
/*
 * DNS block and allow lists of client addresses (DNSBL / DNSWL, RFC 5782).
 *
 * The zones come from one file in the config dir, DNSBL_FILE, a line per
 * zone (posthorn-smtpd(8) is to document it when smtpd reads it):
 *
 *     # comment                                (and blank lines) ignored
 *     zen.spamhaus.org  10  127.0.0.2-127.0.0.11
 *     bl.example.net    5   127.0.0.2,127.0.0.4-127.0.0.7
 *     list.dnswl.org   -10  127.0.0.0-127.0.255.254
 *     dnsbl.example     3                      (no codes: see DNSBL_DEFAULT)
 *
 * A zone whose A answer for the client falls in one of its code ranges
 * "lists" the client and adds its weight to the score; an allowlist has a
 * negative weight and lowers it.  dnsbl_verdict turns the score into
 * reject / mark / accept.
 *
 * DNS: the caller resolves.  Two ways, the same result:
 *   - at once: dnsbl_queries fills one query name per zone; the caller sends
 *     them all (in parallel with libowfat's dns_* as posthorn-remote does),
 *     stores each answer with dnsbl_answer, and dnsbl_score adds up; the
 *     TXT reason of the zone dnsbl_score names is then looked up and cleaned
 *     with dnsbl_reason;
 *   - one after the other: dnsbl_check does all of that through a struct
 *     dnsbl_dns of two callbacks (unit tests use a fake resolver).
 */
#include <stddef.h>
#include <stralloc.h>

#define DNSBL_FILE "dnsblzones"
#define DNSBL_FILE_MAX 16384
#define DNSBL_LINE_MAX 512
#define DNSBL_ZONES_MAX 32
#define DNSBL_RANGES_MAX 8        /* code ranges per zone */
#define DNSBL_WEIGHT_MAX 1000     /* |weight| */
/* A query name is at most 253 bytes (RFC 1035 2.3.4); an IPv6 prefix takes
 * 64 of them (32 nibbles and dots), so the zone may have 253 - 64. */
#define DNSBL_ZONE_MAX 189
#define DNSBL_QNAME_MAX 254       /* 253 and the NUL */
#define DNSBL_ANSWERS_MAX 16      /* A records looked at per answer */
#define DNSBL_REASON_MAX 200      /* bytes of a TXT reason in a reply */

/* Without codes a zone counts any answer in 127.0.0.0/8 except 127.0.0.1
 * (never a listing, RFC 5782 5) and 127.255.255.0/24, where lists such as
 * Spamhaus answer "your resolver is refused", not "listed". */

struct dnsbl_range { unsigned char lo[4], hi[4]; };

struct dnsbl_zone {
	char name[DNSBL_ZONE_MAX + 1];  /* lower case, no final dot */
	int weight;
	unsigned nranges;               /* 0: DNSBL_DEFAULT */
	struct dnsbl_range range[DNSBL_RANGES_MAX];
	unsigned line;                  /* in the file, for messages */
};

struct dnsbl_list {
	unsigned n;
	struct dnsbl_zone z[DNSBL_ZONES_MAX];
};

/* Parses a zone file (len bytes; need not be NUL-terminated).  0, or -1
 * with *why a static reason and *line the line (0: the whole file). */
int dnsbl_parse(struct dnsbl_list *l, const char *text, size_t len, const char **why, unsigned *line);

/* Reads and parses DNSBL_FILE in the config dir (conf_init first).
 * 1 parsed, 0 no file (empty list: no checks), -1 unreadable or invalid
 * (why/line set; errno for I/O errors). */
int dnsbl_load(struct dnsbl_list *l, const char **why, unsigned *line);

/* The query name for client address ip (text: IPv4 dotted quad, IPv6, or
 * IPv4-mapped IPv6, which is queried as IPv4) under zone: reversed octets
 * (RFC 5782 2.1) or reversed nibbles (2.4).  out gets DNSBL_QNAME_MAX bytes.
 * 0, or -1 when ip is not an address or the name would be too long. */
int dnsbl_qname(char out[DNSBL_QNAME_MAX], const char *ip, const char *zone);

enum dnsbl_status {
	DNSBL_UNASKED = 0,
	DNSBL_NOTLISTED,    /* no A record, or none in the zone's ranges */
	DNSBL_LISTED,
	DNSBL_TEMPFAIL      /* no answer: counts as not listed, but said */
};

struct dnsbl_query {
	char qname[DNSBL_QNAME_MAX];    /* "" when the name could not be made */
	enum dnsbl_status status;
	unsigned char code[4];          /* the first A answer that counted */
};

/* Fills q[0..l->n-1] with each zone's query name, status UNASKED.  -1 when
 * ip is not an address (then no zone can be asked). */
int dnsbl_queries(const struct dnsbl_list *l, struct dnsbl_query *q, const char *ip);

/* Records zone i's answer: rc < 0 a temporary failure, else a (len bytes)
 * is the A records, 4 bytes each, as libowfat's dns_ip4 returns them (empty
 * for NXDOMAIN or no data).  At most DNSBL_ANSWERS_MAX are looked at. */
void dnsbl_answer(const struct dnsbl_list *l, struct dnsbl_query *q, unsigned i,
		  int rc, const char *a, size_t len);

/* Does A answer code count for zone z (its ranges, or the default)? */
int dnsbl_code_counts(const struct dnsbl_zone *z, const unsigned char code[4]);

struct dnsbl_result {
	int score;          /* sum of the weights of the listing zones */
	int listed;         /* index of the listing block zone with the highest
			     * weight (whose TXT gives the reason), or -1 */
	unsigned tempfail;  /* zones that did not answer */
};

void dnsbl_score(const struct dnsbl_list *l, const struct dnsbl_query *q, struct dnsbl_result *r);

enum dnsbl_verdict { DNSBL_ACCEPT = 0, DNSBL_MARK, DNSBL_REJECT };

/* score >= threshold (threshold > 0): reject; else score > 0: mark; else
 * accept.  threshold 0 never rejects. */
enum dnsbl_verdict dnsbl_verdict(int score, int threshold);

/* A listing's TXT answer (len bytes, any content) made fit for an SMTP
 * reply line: bytes outside printable ASCII become '?', runs of white space
 * one space, cut to DNSBL_REASON_MAX bytes.  out gets DNSBL_REASON_MAX + 1
 * bytes; "" when nothing printable is left. */
void dnsbl_reason(char out[DNSBL_REASON_MAX + 1], const char *txt, size_t len);

/* The caller's resolver.  Each returns 0 with out set (A: 4 bytes a record,
 * as dns_ip4; TXT: the text, as dns_txt), out empty for NXDOMAIN or no data,
 * or -1 for a temporary failure.  name is NUL-terminated, no final dot. */
struct dnsbl_dns {
	void *ctx;
	int (*a)(void *ctx, stralloc *out, const char *name);
	int (*txt)(void *ctx, stralloc *out, const char *name);
};

/* All of the above one query after the other: fills q (DNSBL_ZONES_MAX
 * entries) and r, and reason with the TXT of r->listed ("" if none or no
 * TXT).  -1 when ip is not an address or out of memory, else 0. */
int dnsbl_check(const struct dnsbl_list *l, const char *ip, const struct dnsbl_dns *dns,
		struct dnsbl_query *q, struct dnsbl_result *r, char reason[DNSBL_REASON_MAX + 1]);
#endif
