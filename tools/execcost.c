/*
 * execcost: the CPU one start of a program costs, for make bench
 * (tools/bench-exec).  Runs COMMAND RUNS times, one after the other, each
 * as fork + exec + exit the way tcpserver and posthorn-runq start a program,
 * and prints the CPU the children used (getrusage RUSAGE_CHILDREN: user and
 * system, counted by the kernel, so other load on the machine does not
 * inflate it the way it does wall time) per run in milliseconds, and the
 * wall time next to it.
 *
 * Usage: execcost [-0 file] [-1 file] [-e] [-m KiB] [-s] [-u user] RUNS COMMAND [ARG...]
 *   -0 file  the child's fd 0, opened read-only (default /dev/null)
 *   -1 file  the child's fd 1, opened read-only: posthorn-queue reads its
 *            envelope there (default /dev/null, write-only)
 *   -s       start with posix_spawn (vfork-like) instead of fork
 *   -m KiB   first allocate and touch KiB of memory, so that the parent
 *            is as large as the real one (smtpd, posthorn-runq): fork
 *            copies the page tables of what the parent has written
 *   -u user  run as user (and its group) from the start, as tcpserver -u
 *            does: posthorn-smtpd refuses to run as root
 *   -e       keep the child's stderr (default /dev/null: a program that
 *            logs each run would measure the terminal)
 * Every run must exit 0; the first that does
 * not stops the measurement (exit 111), so that a figure never hides a
 * program that failed early and cheaply.
 * Output, one line: "RUNS runs: user U ms, sys S ms, cpu C ms, wall W ms,
 * minflt F, parent P ms": F, the page faults per start, does not depend on
 * other load and moves with what the loader has to touch (relocations,
 * libraries); P is execcost's own CPU per start (fork or posix_spawn, wait).
 */
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;
static int keeperr;

static double ms(struct timeval tv)
{
	return tv.tv_sec * 1000.0 + tv.tv_usec / 1000.0;
}

static int openfd(const char *path, int flags, int want)
{
	int fd = open(path, flags);

	if (fd < 0) {
		perror(path);
		exit(111);
	}
	if (fd != want) {
		if (dup2(fd, want) < 0) _exit(111);
		close(fd);
	}
	return 0;
}

static pid_t start_fork(const char *in, const char *out, char **argv)
{
	pid_t pid = fork();

	if (pid != 0) return pid;
	openfd(in, O_RDONLY, 0);
	openfd(out, strcmp(out, "/dev/null") ? O_RDONLY : O_WRONLY, 1);
	if (!keeperr) openfd("/dev/null", O_WRONLY, 2);
	execv(argv[0], argv);
	perror(argv[0]);
	_exit(127);
}

static pid_t start_spawn(const char *in, const char *out, char **argv)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;

	if (posix_spawn_file_actions_init(&fa) ||
	    posix_spawn_file_actions_addopen(&fa, 0, in, O_RDONLY, 0) ||
	    posix_spawn_file_actions_addopen(&fa, 1, out, strcmp(out, "/dev/null") ? O_RDONLY : O_WRONLY, 0) ||
	    (!keeperr && posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0)))
		exit(111);
	if (posix_spawn(&pid, argv[0], &fa, 0, argv, environ)) return -1;
	posix_spawn_file_actions_destroy(&fa);
	return pid;
}

int main(int argc, char **argv)
{
	const char *in = "/dev/null", *out = "/dev/null", *user = 0;
	struct rusage before, after, self0, self1;
	struct timespec t0, t1;
	int spawn = 0, opt, status;
	long runs, i, kib = 0;

	while ((opt = getopt(argc, argv, "+0:1:em:su:")) != -1) {
		if (opt == '0') in = optarg;
		else if (opt == '1') out = optarg;
		else if (opt == 's') spawn = 1;
		else if (opt == 'u') user = optarg;
		else if (opt == 'e') keeperr = 1;
		else if (opt == 'm') kib = strtol(optarg, 0, 10);
		else goto usage;
	}
	if (argc - optind < 2 || kib < 0 || kib > 1048576) goto usage;
	if (kib) {
		char *p = malloc(kib * 1024);

		if (!p) return 111;
		memset(p, 1, kib * 1024);
	}
	runs = strtol(argv[optind], 0, 10);
	if (runs < 1 || runs > 1000000) goto usage;
	argv += optind + 1;
	if (user) {
		struct passwd *pw = getpwnam(user);

		if (!pw || setgroups(1, &pw->pw_gid) || setgid(pw->pw_gid) || setuid(pw->pw_uid)) {
			fprintf(stderr, "execcost: unable to become %s\n", user);
			return 111;
		}
	}

	getrusage(RUSAGE_CHILDREN, &before);
	getrusage(RUSAGE_SELF, &self0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < runs; i++) {
		pid_t pid = spawn ? start_spawn(in, out, argv) : start_fork(in, out, argv);

		if (pid < 0 || waitpid(pid, &status, 0) != pid) {
			perror("execcost: fork/wait");
			return 111;
		}
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "execcost: %s: run %ld exited with status 0x%x\n", argv[0], i, status);
			return 111;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	getrusage(RUSAGE_CHILDREN, &after);
	getrusage(RUSAGE_SELF, &self1);
	{
		double u = (ms(after.ru_utime) - ms(before.ru_utime)) / runs;
		double s = (ms(after.ru_stime) - ms(before.ru_stime)) / runs;
		double w = ((t1.tv_sec - t0.tv_sec) * 1000.0 + (t1.tv_nsec - t0.tv_nsec) / 1e6) / runs;

		double f = (double)(after.ru_minflt - before.ru_minflt) / runs;
		double p = (ms(self1.ru_utime) - ms(self0.ru_utime) + ms(self1.ru_stime) - ms(self0.ru_stime)) / runs;

		printf("%ld runs: user %.3f ms, sys %.3f ms, cpu %.3f ms, wall %.3f ms, minflt %.1f, parent %.3f ms\n",
		       runs, u, s, u + s, w, f, p);
	}
	return 0;
usage:
	fputs("usage: execcost [-0 file] [-1 file] [-e] [-m KiB] [-s] [-u user] runs command [arg...]\n", stderr);
	return 100;
}
