#include "imapd.h"
void do_search(void) { reply(R_BAD_UNKNOWN); }
