#include "imapd.h"
void do_fetch(void) { reply(R_BAD_UNKNOWN); }
