#ifndef AUTHRES_H
#define AUTHRES_H
/*
 * The Authentication-Results header field (RFC 8601): writing ours, and
 * recognising one that claims our authserv-id, which a receiving server
 * must remove from mail that comes from outside (RFC 8601 5), since only
 * we may speak for our ADMD.
 *
 *     Authentication-Results: mx.example.org;
 *             spf=pass smtp.mailfrom=example.com;
 *             dkim=pass header.d=example.com header.s=sel header.b=ab12CD34;
 *             dmarc=pass (p=reject) header.from=example.com
 *
 * Lines end in LF (the queue's form) and are folded before each result.
 * Values that are not plain tokens are written as quoted strings, comments
 * are cleaned of parentheses and control bytes, so nothing the client
 * chose can end the field or add a result.
 */
#include <stddef.h>
#include <stralloc.h>

#define AUTHRES_ID_MAX 255      /* bytes of an authserv-id we compare */
#define AUTHRES_COMMENT_MAX 200 /* bytes of a comment kept */
#define AUTHRES_VALUE_MAX 255   /* bytes of a property value kept */

/* out = "Authentication-Results: ID".  0 on ENOMEM. */
int authres_begin(stralloc *out, const char *authserv_id);

/* Appends ";\n\tMETHOD=RESULT (COMMENT) PTYPE.PROP=VALUE ..." with the
 * property/value pairs as further arguments, ended by a null pointer; a
 * pair whose value is null or "" is left out; comment may be null.
 * 0 on ENOMEM. */
int authres_add(stralloc *out, const char *method, const char *result, const char *comment, ...);

/* Ends the field: "; none" when nothing was added (RFC 8601 2.2), then LF.
 * 0 on ENOMEM. */
int authres_end(stralloc *out);

/* Is field (a whole header field, any line ends) an Authentication-Results
 * field whose authserv-id is id (ignoring case)?  A field we cannot read
 * up to its authserv-id is not ours. */
int authres_is_ours(const char *field, size_t len, const char *id);
#endif
