#ifndef TLSTICKET_H
#define TLSTICKET_H
/*
 * A repair of libtls' session-ticket callback for OpenSSL; no functions to
 * call.  libretls (Debian 12: 3.7.0) hands OpenSSL the callback of
 * LibreSSL's libtls, which answers 0 after it has set up a new ticket's
 * keys; OpenSSL reads 0 as "issue no ticket" (SSL_CTX_set_tlsext_ticket_key_cb(3):
 * 1 on success), so a libtls server with ticket keys sends only empty
 * tickets and no client ever resumes.  The Makefile links every program
 * that links libtls with -Wl,--wrap=SSL_CTX_callback_ctrl (and -u of the
 * wrapper, so this object is always in): libtls' registration of its
 * callback comes here and OpenSSL gets a shim that turns that 0 into 1.
 * Every other answer (decryption: 0 unknown key, 1 good, 2 good but renew;
 * -1 error) is passed on as it is.
 */
#endif
