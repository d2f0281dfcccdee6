#ifndef DMARC_H
#define DMARC_H
/*
 * DMARC (RFC 7489, with np= of RFC 9091): the From domain owner's policy
 * record, its discovery in DNS, identifier alignment of SPF and DKIM with
 * the RFC5322.From domain, and the result with the disposition to apply.
 *
 * Organizational domains come from the Public Suffix List through libpsl,
 * which reads the system's list (Debian's publicsuffix package,
 * /usr/share/publicsuffix/public_suffix_list.dafsa, through psl_latest) or,
 * if that cannot be loaded, libpsl's built-in copy; if neither is there,
 * every domain is its own organizational domain (relaxed alignment then
 * acts as strict).  No copy of the list is in the tree.  The list is loaded
 * on first use and kept for the life of the process.
 *
 * DNS goes through a struct dmarc_dns of callbacks the caller provides
 * (posthorn-smtpd: libowfat's resolver; unit tests: a fake table).
 * Every DNS-supplied text is bounded: records over DMARC_RECORD_MAX bytes
 * are invalid.
 */
#include <stddef.h>
#include <stralloc.h>

#define DMARC_RECORD_MAX 2048    /* bytes of one TXT record */
#define DMARC_URIS_MAX 512       /* rua=, ruf= kept as text up to this */
#define DMARC_FO_MAX 16
#define DMARC_DOMAIN_MAX 253
#define DMARC_TXT_MAX 16         /* TXT records looked at per name */

enum dmarc_policy {
	DMARC_P_UNSET = 0,      /* tag absent (sp=, np=) */
	DMARC_P_NONE,
	DMARC_P_QUARANTINE,
	DMARC_P_REJECT
};

struct dmarc_record {
	enum dmarc_policy p, sp, np;
	int p_assumed;          /* p= missing or invalid, rua= valid: p=none
				 * assumed (RFC 7489 6.6.3) */
	char adkim, aspf;       /* 'r' relaxed (default) or 's' strict */
	unsigned pct;           /* 0..100, default 100 */
	unsigned long ri;       /* report interval, default 86400 */
	char fo[DMARC_FO_MAX + 1];      /* default "0" */
	char rua[DMARC_URIS_MAX + 1];   /* as published, "" if absent */
	char ruf[DMARC_URIS_MAX + 1];
};

/*
 * Parses one TXT record (len bytes).  Returns
 *    1  a usable DMARC record in *r;
 *    0  not a DMARC record (does not start with v=DMARC1): discovery
 *       discards it (RFC 7489 6.6.3 step 2);
 *   -1  a DMARC record that cannot be used (bad syntax, too long, no valid
 *       p= and no valid rua=): *why says why; no DMARC processing.
 * Unknown tags are ignored (6.3); an invalid adkim/aspf/pct/fo/np/ri value
 * falls back to its default, an invalid sp= is treated like an invalid p=.
 */
int dmarc_parse(struct dmarc_record *r, const char *text, size_t len, const char **why);

/* The organizational domain of domain (RFC 7489 3.2): its registrable
 * domain per the Public Suffix List, or domain itself when it is a public
 * suffix.  out is lower case, no final dot.  -1 when domain is not a
 * domain name of at most DMARC_DOMAIN_MAX bytes. */
int dmarc_org_domain(char out[DMARC_DOMAIN_MAX + 1], const char *domain);

/* Identifier alignment (RFC 7489 3.1): mode 's' exact match (ignoring case
 * and a final dot), 'r' same organizational domain.  1 aligned, else 0. */
int dmarc_aligned(const char *a, const char *from, char mode);

/*
 * The caller's resolver.  txt: out gets every TXT record at name, each the
 * concatenation of its strings followed by one NUL byte (a NUL inside a
 * record must be replaced, e.g. by '?'); 0 with out set (empty for NXDOMAIN
 * or no TXT), -1 temporary failure.  exists: is domain in DNS, i.e. has it
 * an A, AAAA or MX record (RFC 9091 2.1)?  1 yes, 0 no (NXDOMAIN or NODATA
 * for all three), -1 temporary failure; only asked when a record has np=.
 * exists may be null: then every domain exists (np= never applies).
 */
struct dmarc_dns {
	void *ctx;
	int (*txt)(void *ctx, stralloc *out, const char *name);
	int (*exists)(void *ctx, const char *domain);
};

enum dmarc_found {
	DMARC_FOUND = 1,        /* *r and domain set */
	DMARC_NOTFOUND = 0,     /* no DMARC processing for this message */
	DMARC_DNSFAIL = -1,     /* temporary: temperror */
	DMARC_INVALID = -2      /* several records, or an unusable one: permerror */
};

/* Policy discovery (RFC 7489 6.6.3): _dmarc.FROM, then, if that holds no
 * DMARC record, _dmarc.ORG.  domain gets where the record was found. */
enum dmarc_found dmarc_discover(const char *from, const struct dmarc_dns *dns,
				struct dmarc_record *r, char domain[DMARC_DOMAIN_MAX + 1],
				const char **why);

/* What authenticated: the SPF identity's domain if SPF passed (else null),
 * and the d= domains of the DKIM signatures that verified. */
struct dmarc_auth {
	const char *spf_domain;
	const char *const *dkim_domains;
	unsigned ndkim;
};

enum dmarc_status {
	DMARC_NONE = 0,         /* no policy published */
	DMARC_PASS,
	DMARC_FAIL,
	DMARC_TEMPERROR,
	DMARC_PERMERROR
};

struct dmarc_result {
	enum dmarc_status status;
	enum dmarc_policy policy;   /* the published policy that applies: p=,
				     * sp= or np=; P_UNSET unless FAIL/PASS */
	enum dmarc_policy apply;    /* what to do: policy after pct= sampling
				     * (6.6.4), P_NONE for PASS */
	int spf_aligned, dkim_aligned;
	int sampled_out;            /* FAIL not in pct=: policy one step softer */
	char from[DMARC_DOMAIN_MAX + 1];            /* lower case */
	char policy_domain[DMARC_DOMAIN_MAX + 1];   /* where the record was */
	struct dmarc_record rec;
	const char *why;            /* for NONE/TEMPERROR/PERMERROR, static */
};

/*
 * The whole check for a message whose From domain is from: discovery,
 * alignment, policy choice (p= for the From domain's own record; for a
 * subdomain np= if it does not exist, else sp=, else p=), and pct=
 * sampling with rnd, a random number in 0..99 the caller draws (a message
 * is subject to the policy when rnd < pct).
 */
void dmarc_check(const char *from, const struct dmarc_auth *auth, const struct dmarc_dns *dns,
		 unsigned rnd, struct dmarc_result *res);

const char *dmarc_status_name(enum dmarc_status s);   /* "pass", ... (RFC 8601) */
const char *dmarc_policy_name(enum dmarc_policy p);   /* "none", ... */
#endif
