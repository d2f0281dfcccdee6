/*
 * Fuzz target for lib/sendlimit's file parser: any bytes a damaged (or
 * torn) QUEUEDIR/limits/ file may hold.  A file is taken whole or refused
 * with a reset state; a taken state formats back to the same bytes, and
 * charging it at any time (the clock may say anything) never crashes and
 * keeps every count a sum of bounded buckets.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "sendlimit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sendlimit s, fresh;
	struct sendlimit_conf c = {20, 100, 60};
	unsigned char again[SENDLIMIT_FILE_SIZE];
	long long now = 0;
	size_t i;
	int r = sendlimit_parse(&s, data, size);

	sendlimit_reset(&fresh);
	if (r < 0) {
		if (memcmp(&s, &fresh, sizeof s)) abort();   /* refused: reset */
		return 0;
	}
	if (r != 0) abort();
	if (size) {
		if (size != SENDLIMIT_FILE_SIZE) abort();
		sendlimit_format(&s, again);
		if (memcmp(again, data, size)) abort();
	}
	/* a time from the file itself, so stamps near it are reached */
	for (i = 0; i < 8 && i + 8 < size; i++) now = now << 8 | data[8 + i];
	if (sendlimit_msgs_hour(&s, now) > (unsigned long)SENDLIMIT_MINUTES * UINT32_MAX) abort();
	sendlimit_charge(&s, &c, now, size);
	sendlimit_charge(&s, &c, (long long)s.min[0].stamp * 60, 1);
	sendlimit_format(&s, again);
	if (sendlimit_parse(&fresh, again, sizeof again) != 0) abort();
	return 0;
}
