/* The link-time half of tlsticket.h: programs that link libtls statically
 * are linked with -Wl,--wrap=SSL_CTX_callback_ctrl, so libtls'
 * registration of its ticket callback arrives here. */
#include <openssl/ssl.h>
#include "tlsticket.h"

long __real_SSL_CTX_callback_ctrl(SSL_CTX *ctx, int cmd, void (*fp)(void));
long __wrap_SSL_CTX_callback_ctrl(SSL_CTX *ctx, int cmd, void (*fp)(void));

long __wrap_SSL_CTX_callback_ctrl(SSL_CTX *ctx, int cmd, void (*fp)(void))
{
	if (cmd == SSL_CTRL_SET_TLSEXT_TICKET_KEY_CB && fp) fp = tlsticket_shim(fp);
	return __real_SSL_CTX_callback_ctrl(ctx, cmd, fp);
}
