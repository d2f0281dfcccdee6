#include "imapd.h"
void do_idle(void) { reply(R_BAD_UNKNOWN); }
