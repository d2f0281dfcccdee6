/* tlsticket: libtls' ticket callback repaired for OpenSSL; see tlsticket.h. */
#include <openssl/ssl.h>
#include "tlsticket.h"

/* The callback's type as OpenSSL 3 declares it (the HMAC_CTX form, which is
 * the one libtls registers). */
typedef int (*ticket_cb)(SSL *, unsigned char *, unsigned char *, EVP_CIPHER_CTX *, HMAC_CTX *, int);

/* One per process: libtls registers the same function for every context. */
static ticket_cb libtls_callback;

static int ticket_shim(SSL *ssl, unsigned char *name, unsigned char *iv, EVP_CIPHER_CTX *cipher, HMAC_CTX *hmac,
                       int enc)
{
	int r = libtls_callback(ssl, name, iv, cipher, hmac, enc);

	/* enc 1: a new ticket; libtls' 0 means its keys are set */
	return enc == 1 && r == 0 ? 1 : r;
}

void (*tlsticket_shim(void (*libtls_cb)(void)))(void)
{
	libtls_callback = (ticket_cb)libtls_cb;
	return (void (*)(void))ticket_shim;
}
