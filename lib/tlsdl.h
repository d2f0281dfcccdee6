#ifndef TLSDL_H
#define TLSDL_H
/*
 * libtls and the few libcrypto functions lib/dkim calls, opened on first
 * use (dlopen) instead of linked: posthorn-smtpd links lib/tlsdl.o in
 * place of the static libtls/libssl/libcrypto, so a session that never
 * says STARTTLS and never verifies a DKIM signature maps, relocates and
 * dirties none of them (some 370 KiB of private memory per idle session
 * before).  It defines the functions of <tls.h> and <openssl/...> that
 * lib/stream, lib/tlsserver and lib/dkim call, each forwarding to the
 * shared library's own.
 *
 * The libraries are opened by the absolute paths the Makefile found at
 * build time (TLSDL_LIBCRYPTO, TLSDL_LIBSSL, TLSDL_LIBTLS), libcrypto and
 * libssl first, so that libtls' dependencies are those same files: no
 * search path, nothing from the environment decides what is loaded.
 *
 * When a library cannot be opened, the first call fails the way the
 * library's own functions fail (tls_init -1, tls_server null, SHA256_Init
 * 0, ...): the caller's own error path then says TLS is not available or
 * the signature could not be checked.  Never in libposthorn.a (its
 * definitions would replace the real libraries in every program).
 */

/* 0 when libtls (with libssl and libcrypto) is loaded, else -1 (every
 * time); for a test or a log line, the functions load it themselves. */
int tlsdl_tls(void);

/* The same for libcrypto alone. */
int tlsdl_crypto(void);
#endif
