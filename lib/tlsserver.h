#ifndef TLSSERVER_H
#define TLSSERVER_H
/*
 * The server side's TLS context, shared by smtpd, pop3d and imapd: made on
 * first use, so a session that never asks for TLS never loads the key nor
 * pays for libtls' initialisation.  Part of the TLS archive (links libtls).
 */
struct tls;

/* Session resumption for returning clients (RFC 8446 2.2, RFC 5077): when
 * the directory of the key holds TLSSERVER_TICKET_FILE, its 48 bytes (or 96:
 * the current key, then the previous one) are the keys that seal session
 * tickets; every process of every service that reads the directory shares
 * them, so a ticket from one connection resumes in the next process, which
 * then skips the certificate's signature.  Readable only by the servers,
 * like the key; rotated by writing a new key in front of the current one
 * (tickets under the previous one still resume).  No file: full handshakes
 * only, as before.  A file of another size is an error of the context. */
#define TLSSERVER_TICKET_FILE "ticket.key"
#define TLSSERVER_TICKET_KEYS 2
#define TLSSERVER_TICKET_LIFETIME 7200   /* seconds a ticket resumes */

/* A libtls server context for the certificate chain and key at the two
 * paths, with libtls' default protocols (TLS 1.2 and 1.3) and the ticket
 * keys beside the key, if any.  Returns it, or
 * null with *why set to a static or libtls-owned English reason (valid
 * until the next libtls call). */
struct tls *tlsserver_new(const char *certpath, const char *keypath, const char **why);

struct stream;

/* The lazy step for a session: makes *ctx with tlsserver_new unless it is
 * there already; a failure is logged (event tls-error, with ip).  0 or -1. */
int tlsserver_ready(struct tls **ctx, const char *certpath, const char *keypath, const char *ip);

/* tlsserver_ready, then the server handshake on s (stream_starttls_server,
 * which drops pipelined input first); a failure is logged.  0 or -1. */
int tlsserver_start(struct stream *s, struct tls **ctx, const char *certpath, const char *keypath, const char *ip);
#endif
