/* libtls and libcrypto through dlopen, on first use: see tlsdl.h. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <dlfcn.h>
#include <stddef.h>
#include <string.h>
#include <openssl/asn1.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <tls.h>
#include "tlsdl.h"
#include "tlsticket.h"

#ifndef TLSDL_LIBCRYPTO
#error "TLSDL_LIBCRYPTO, TLSDL_LIBSSL and TLSDL_LIBTLS are set by the Makefile"
#endif

/* Every function lib/dkim and lib/tlsserver call (nm -u of their .o). */
#define CRYPTO_FUNCS(X) X(OPENSSL_init_crypto) X(OPENSSL_cleanse) X(SHA256) X(SHA256_Init) X(SHA256_Update) X(SHA256_Final) X(ASN1_get_object) \
	X(d2i_RSAPublicKey) X(RSA_bits) X(RSA_verify) X(RSA_free) X(EVP_PKEY_new_raw_public_key) \
	X(EVP_PKEY_free) X(EVP_MD_CTX_new) X(EVP_MD_CTX_free) X(EVP_DigestVerifyInit) X(EVP_DigestVerify)
/* Every function lib/stream and lib/tlsserver call. */
#define TLS_FUNCS(X) X(tls_init) X(tls_config_new) X(tls_config_free) X(tls_config_error) \
	X(tls_config_set_protocols) X(tls_config_set_cert_file) X(tls_config_set_key_file) \
	X(tls_server) X(tls_configure) X(tls_accept_fds) X(tls_connect_fds) X(tls_handshake) \
	X(tls_read) X(tls_write) X(tls_close) X(tls_free) X(tls_error) X(tls_conn_version) X(tls_conn_cipher) \
	X(tls_config_add_ticket_key) X(tls_config_set_session_lifetime) X(tls_config_set_session_id)
/* What lib/tlsserver and the ticket repair call of libssl. */
#define SSL_FUNCS(X) X(OPENSSL_init_ssl) X(SSL_CTX_callback_ctrl)

#define DECLARE(f) static __typeof__(f) *p_##f;
CRYPTO_FUNCS(DECLARE)
TLS_FUNCS(DECLARE)
SSL_FUNCS(DECLARE)

static void *crypto_lib;

int tlsdl_crypto(void)
{
	static int state;   /* 0 not tried, 1 loaded, -1 failed */

	if (state) return state > 0 ? 0 : -1;
	state = -1;
	if (!(crypto_lib = dlopen(TLSDL_LIBCRYPTO, RTLD_NOW | RTLD_LOCAL))) return -1;
#define LOAD_CRYPTO(f) if (!(*(void **)&p_##f = dlsym(crypto_lib, #f))) return -1;
	CRYPTO_FUNCS(LOAD_CRYPTO)
	state = 1;
	return 0;
}

int tlsdl_tls(void)
{
	static int state;
	void *lib, *ssl;

	if (state) return state > 0 ? 0 : -1;
	state = -1;
	/* libcrypto and libssl by their paths first: libtls' DT_NEEDED
	 * entries then find them loaded (by soname) and search nowhere */
	if (tlsdl_crypto() || !(ssl = dlopen(TLSDL_LIBSSL, RTLD_NOW | RTLD_LOCAL)))
		return -1;
	/* libssl's own, before libtls is loaded: its call of
	 * SSL_CTX_callback_ctrl binds to ours (below), which calls these */
#define LOAD_SSL(f) if (!(*(void **)&p_##f = dlsym(ssl, #f))) return -1;
	SSL_FUNCS(LOAD_SSL)
	if (!(lib = dlopen(TLSDL_LIBTLS, RTLD_NOW | RTLD_LOCAL))) return -1;
#define LOAD_TLS(f) if (!(*(void **)&p_##f = dlsym(lib, #f))) return -1;
	TLS_FUNCS(LOAD_TLS)
	state = 1;
	return 0;
}

/* A forwarding function: loads its library, or returns fail. */
#define FWD(lib, ret, f, fail, params, args) \
	ret f params { return tlsdl_##lib() ? (fail) : p_##f args; }
#define FWD_VOID(lib, f, params, args) \
	void f params { if (!tlsdl_##lib()) p_##f args; }

FWD(crypto, int, OPENSSL_init_crypto, 0, (uint64_t o, const OPENSSL_INIT_SETTINGS *s), (o, s))
FWD(crypto, int, SHA256_Init, 0, (SHA256_CTX *c), (c))
FWD(crypto, int, SHA256_Update, 0, (SHA256_CTX *c, const void *d, size_t n), (c, d, n))
FWD(crypto, int, SHA256_Final, 0, (unsigned char *md, SHA256_CTX *c), (md, c))
/* 0x80 is its error bit */
FWD(crypto, int, ASN1_get_object, 0x80,
    (const unsigned char **pp, long *len, int *tag, int *cls, long max), (pp, len, tag, cls, max))
FWD(crypto, RSA *, d2i_RSAPublicKey, NULL, (RSA **a, const unsigned char **in, long len), (a, in, len))
FWD(crypto, int, RSA_bits, 0, (const RSA *r), (r))
FWD(crypto, int, RSA_verify, 0,
    (int type, const unsigned char *m, unsigned int mlen, const unsigned char *sig, unsigned int siglen, RSA *r),
    (type, m, mlen, sig, siglen, r))
FWD_VOID(crypto, RSA_free, (RSA *r), (r))
FWD(crypto, EVP_PKEY *, EVP_PKEY_new_raw_public_key, NULL,
    (int type, ENGINE *e, const unsigned char *pub, size_t len), (type, e, pub, len))
FWD_VOID(crypto, EVP_PKEY_free, (EVP_PKEY *k), (k))
FWD(crypto, EVP_MD_CTX *, EVP_MD_CTX_new, NULL, (void), ())
FWD_VOID(crypto, EVP_MD_CTX_free, (EVP_MD_CTX *c), (c))
FWD(crypto, int, EVP_DigestVerifyInit, 0,
    (EVP_MD_CTX *c, EVP_PKEY_CTX **pc, const EVP_MD *t, ENGINE *e, EVP_PKEY *k), (c, pc, t, e, k))
FWD(crypto, int, EVP_DigestVerify, 0,
    (EVP_MD_CTX *c, const unsigned char *sig, size_t siglen, const unsigned char *tbs, size_t tbslen),
    (c, sig, siglen, tbs, tbslen))

FWD(tls, int, tls_init, -1, (void), ())
FWD(tls, struct tls_config *, tls_config_new, NULL, (void), ())
FWD_VOID(tls, tls_config_free, (struct tls_config *c), (c))
FWD(tls, const char *, tls_config_error, "libtls could not be loaded", (struct tls_config *c), (c))
FWD(tls, int, tls_config_set_protocols, -1, (struct tls_config *c, uint32_t p), (c, p))
FWD(tls, int, tls_config_set_cert_file, -1, (struct tls_config *c, const char *f), (c, f))
FWD(tls, int, tls_config_set_key_file, -1, (struct tls_config *c, const char *f), (c, f))
FWD(tls, struct tls *, tls_server, NULL, (void), ())
FWD(tls, int, tls_configure, -1, (struct tls *t, struct tls_config *c), (t, c))
FWD(tls, int, tls_accept_fds, -1, (struct tls *t, struct tls **cc, int in, int out), (t, cc, in, out))
FWD(tls, int, tls_connect_fds, -1, (struct tls *t, int in, int out, const char *name), (t, in, out, name))
FWD(tls, int, tls_handshake, -1, (struct tls *t), (t))
FWD(tls, ssize_t, tls_read, -1, (struct tls *t, void *b, size_t n), (t, b, n))
FWD(tls, ssize_t, tls_write, -1, (struct tls *t, const void *b, size_t n), (t, b, n))
FWD(tls, int, tls_close, -1, (struct tls *t), (t))
FWD_VOID(tls, tls_free, (struct tls *t), (t))
FWD(tls, const char *, tls_error, "libtls could not be loaded", (struct tls *t), (t))
FWD(tls, const char *, tls_conn_version, NULL, (struct tls *t), (t))
FWD(tls, const char *, tls_conn_cipher, NULL, (struct tls *t), (t))
FWD(tls, int, tls_config_add_ticket_key, -1, (struct tls_config *c, uint32_t rev, unsigned char *k, size_t n),
    (c, rev, k, n))
FWD(tls, int, tls_config_set_session_lifetime, -1, (struct tls_config *c, int t), (c, t))
FWD(tls, int, tls_config_set_session_id, -1, (struct tls_config *c, const unsigned char *id, size_t n), (c, id, n))
FWD(tls, int, OPENSSL_init_ssl, 0, (uint64_t o, const OPENSSL_INIT_SETTINGS *s), (o, s))
FWD(crypto, unsigned char *, SHA256, NULL, (const unsigned char *d, size_t n, unsigned char *md), (d, n, md))

/* Key material is wiped even when libcrypto could not be loaded. */
void OPENSSL_cleanse(void *p, size_t n)
{
	if (!tlsdl_crypto()) p_OPENSSL_cleanse(p, n);
	else explicit_bzero(p, n);
}

/* libtls.so's registration of its ticket callback binds here (exported,
 * see the Makefile): the repair of lib/tlsticket.h, then libssl's own. */
long SSL_CTX_callback_ctrl(SSL_CTX *ctx, int cmd, void (*fp)(void))
{
	if (tlsdl_tls()) return 0;
	if (cmd == SSL_CTRL_SET_TLSEXT_TICKET_KEY_CB && fp) fp = tlsticket_shim(fp);
	return p_SSL_CTX_callback_ctrl(ctx, cmd, fp);
}
