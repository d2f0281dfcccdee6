/*
 * hello: the smallest program that writes a line, built static and
 * non-PIE; tools/bench-exec measures its start next to /bin/true as the
 * floor of what a fork + exec can cost on this machine.
 */
#include <unistd.h>

int main(void)
{
	return write(1, "hello\n", 6) == 6 ? 0 : 1;
}
