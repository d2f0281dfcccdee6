#ifndef TLSTICKET_H
#define TLSTICKET_H
/*
 * A repair of libtls' session-ticket callback for OpenSSL; no functions to
 * call.  libretls (Debian 12: 3.7.0) hands OpenSSL the callback of
 * LibreSSL's libtls, which answers 0 after it has set up a new ticket's
 * keys; OpenSSL reads 0 as "issue no ticket" (SSL_CTX_set_tlsext_ticket_key_cb(3):
 * 1 on success), so a libtls server with ticket keys sends only empty
 * tickets and no client ever resumes.  libtls' registration of its
 * callback is caught on its way to OpenSSL, and OpenSSL gets a shim that
 * turns that 0 into 1.  Every other answer (decryption: 0 unknown key, 1
 * good, 2 good but renew; -1 error) is passed on as it is.
 *
 * Caught two ways: programs that link libtls statically with
 * -Wl,--wrap=SSL_CTX_callback_ctrl (and -u of the wrapper, so that
 * lib/tlsticketwrap.c is always in); posthorn-smtpd, which loads libtls
 * with dlopen (lib/tlsdl.h), by defining SSL_CTX_callback_ctrl itself and
 * exporting it, which binds libtls' call to it before libssl's.
 */

/* Records libtls' ticket callback (one per process: libtls registers the
 * same function for every context) and returns the shim to register in
 * its place. */
void (*tlsticket_shim(void (*libtls_cb)(void)))(void);
#endif
