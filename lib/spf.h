#ifndef SPF_H
#define SPF_H
/*
 * SPF, the Sender Policy Framework (RFC 7208): may this client IP send mail
 * for this domain?  spf_check_host is the check_host() function of RFC 7208
 * section 4: it fetches the domain's "v=spf1" TXT record, evaluates its
 * mechanisms (all include a mx ptr ip4 ip6 exists), modifiers (redirect=,
 * exp=; unknown ones ignored) and macros (section 7), and gives one of the
 * seven results of section 2.6, with the explanation of exp= on "fail".
 *
 * DNS goes through a callback struct the caller gives (spf_resolver), so
 * posthorn-smtpd asks its resolver and the unit tests a table in memory.
 * Everything DNS supplies is bounded: a record of more than SPF_RECORD_MAX
 * bytes or SPF_TERMS_MAX terms is a permerror, an answer keeps at most
 * SPF_ANSWER_RRS records in SPF_ANSWER_BYTES.  The processing limits of
 * section 4.6.4 hold: SPF_LOOKUP_MAX terms that cause DNS queries,
 * SPF_MX_MAX names an "mx" may look at, the first SPF_PTR_MAX names of a
 * "ptr", and SPF_VOID_MAX lookups that find nothing (counted per query that
 * gives NODATA or NXDOMAIN, as pyspf does).
 *
 * IPv4 clients are given as IPv4-mapped IPv6 addresses (::ffff:a.b.c.d, the
 * form of libowfat's scan_ip6), and such an address is IPv4 for SPF: "ip4"
 * can match it, "a" asks for A records, %{v} is "in-addr".
 */
#include <stddef.h>

enum spf_result {
	SPF_NONE, SPF_NEUTRAL, SPF_PASS, SPF_FAIL, SPF_SOFTFAIL, SPF_TEMPERROR, SPF_PERMERROR
};

#define SPF_NAME_MAX    253    /* a domain name in text, no trailing dot */
#define SPF_RECORD_MAX  2048   /* bytes of an SPF record (its strings joined) */
#define SPF_TERMS_MAX   64     /* terms of one record */
#define SPF_SENDER_MAX  512    /* bytes of the sender address */
#define SPF_EXP_MAX     1024   /* bytes of the explanation kept */
#define SPF_ANSWER_RRS  128
#define SPF_ANSWER_BYTES 16384
#define SPF_LOOKUP_MAX  10     /* RFC 7208 4.6.4 */
#define SPF_MX_MAX      10
#define SPF_PTR_MAX     10
#define SPF_VOID_MAX    2

enum spf_rrtype { SPF_RR_A, SPF_RR_AAAA, SPF_RR_MX, SPF_RR_PTR, SPF_RR_TXT };

/* What a lookup found.  SPF_DNS_OK with no record counts as NODATA. */
enum spf_dns { SPF_DNS_OK, SPF_DNS_NODATA, SPF_DNS_NXDOMAIN, SPF_DNS_TEMP };

/* The records of one answer, filled by the callback with spf_answer_add:
 * A: 4 bytes each; AAAA: 16 bytes; MX and PTR: the name in text (no
 * trailing dot; the MX preference does not matter to SPF); TXT: the
 * character-strings of one record joined without separator (RFC 7208
 * 3.3).  The evaluator empties it before each call. */
struct spf_answer {
	unsigned n;                   /* records kept */
	int overflow;                 /* records were dropped for lack of room */
	size_t used;
	unsigned off[SPF_ANSWER_RRS];
	unsigned len[SPF_ANSWER_RRS]; /* stored bytes (see spf_answer_add) */
	char buf[SPF_ANSWER_BYTES];
};

/* Adds one record.  A record longer than SPF_RECORD_MAX keeps its first
 * SPF_RECORD_MAX + 1 bytes, so that the evaluator still sees it is too long.
 * Returns 1, or 0 when the answer is full (overflow is then set). */
int spf_answer_add(struct spf_answer *a, const void *data, size_t len);

/* The caller's resolver.  name is NUL-terminated, at most SPF_NAME_MAX
 * bytes; for PTR it is the reverse name (...in-addr.arpa or ...ip6.arpa).
 * SPF_DNS_TEMP is any failure other than NODATA and NXDOMAIN (SERVFAIL,
 * timeout); it makes the check "temperror". */
struct spf_resolver {
	void *ctx;
	enum spf_dns (*lookup)(void *ctx, enum spf_rrtype type, const char *name, struct spf_answer *out);
};

struct spf_query {
	unsigned char ip[16];  /* the client; IPv4 as ::ffff:a.b.c.d */
	const char *sender;    /* MAIL FROM address; empty or null: postmaster@helo */
	const char *helo;      /* the HELO/EHLO name (%{h}); null: "" */
	const char *domain;    /* the domain checked: the sender's, or for the HELO
	                        * identity (RFC 7208 2.3) the HELO name, with sender
	                        * null so that it is postmaster@helo */
	const char *receiver;  /* %{r} in explanations; null: "unknown" */
	long long now;         /* %{t} in explanations: seconds since the epoch */
};

struct spf_outcome {
	enum spf_result result;
	char explanation[SPF_EXP_MAX + 1]; /* exp= expanded, on fail; else "" */
	char problem[160];                 /* why none/permerror/temperror, or the
	                                    * mechanism that matched, for logs */
	unsigned lookups, voids;           /* counted against the limits */
};

/* RFC 7208 check_host(): fills out (always) and returns out->result.  Never
 * allocates; uses about 100 KiB of stack at the deepest include chain. */
enum spf_result spf_check_host(const struct spf_resolver *r, const struct spf_query *q,
                               struct spf_outcome *out);

/* "none", "neutral", "pass", "fail", "softfail", "temperror", "permerror"
 * (the names of RFC 7208 2.6 and of Authentication-Results, RFC 8601). */
const char *spf_result_name(enum spf_result r);

#endif
