/*
 * admin: what a person does with the queue besides running it.
 *   -l     list every entry: id, age, size, sender, and each recipient with
 *          its state, tries, next attempt and last reason (like mailq)
 *   -D ID  deliver now: every pending recipient becomes due
 *   -B ID  bounce: every pending recipient fails with 5.0.0
 *   -X ID  delete the entry without a bounce
 * The actions change the .env under an flock of the message file and wake
 * a running daemon, which rereads the queue.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include "exitcode.h"
#include "runq.h"
#include "status.h"

struct listed {
	char *id;
	struct queue_env env;
};

static int cmp_listed(const void *a, const void *b)
{
	const struct listed *x = a, *y = b;
	if (x->env.created != y->env.created) return x->env.created < y->env.created ? -1 : 1;
	return strcmp(x->id, y->id);
}

/* out holds at least 24 bytes: a 20-digit number and a unit always fit. */
static void age(char *out, size_t cap, long long s)
{
	if (s < 0) s = 0;
	if (s < 120) snprintf(out, cap, "%llds", s);
	else if (s < 7200) snprintf(out, cap, "%lldm", s / 60);
	else if (s < 172800) snprintf(out, cap, "%lldh", s / 3600);
	else snprintf(out, cap, "%lldd", s / 86400);
}

int admin_list(const char *qdir)
{
	stralloc qd = {0};
	DIR *d;
	struct dirent *de;
	struct listed *l = 0;
	size_t n = 0, cap = 0, i;
	unsigned k, pending = 0;
	long long now = now_s();

	if (!queue_path(&qd, qdir, "q", "")) return EXIT_TEMP;
	d = opendir(qd.s);
	if (!d) {
		if (errno == ENOENT) {
			printf("the queue is empty\n");
			return EXIT_DONE;
		}
		fprintf(stderr, "posthorn-runq: fatal: unable to list %s: %s\n", qd.s, strerror(errno));
		return EXIT_TEMP;
	}
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		const char *why;
		if (len < 5 || strcmp(de->d_name + len - 4, ".env") || de->d_name[0] == '.') continue;
		if (n == cap) {
			struct listed *nl;
			cap = cap ? cap * 2 : 64;
			if (!(nl = realloc(l, cap * sizeof *l))) return EXIT_TEMP;
			l = nl;
		}
		if (!(l[n].id = strndup(de->d_name, len - 4))) return EXIT_TEMP;
		if (queue_env_read(qdir, l[n].id, &l[n].env, &why)) {
			if (errno == EINVAL) printf("%s  (unreadable envelope: %s)\n", l[n].id, why);
			free(l[n].id);
			continue;
		}
		n++;
	}
	closedir(d);
	if (n) qsort(l, n, sizeof *l, cmp_listed);
	for (i = 0; i < n; i++) {
		char a[32], nx[32];
		age(a, sizeof a, now - l[i].env.created);
		printf("%s  %s  %llu bytes  <%s>\n", l[i].id, a, l[i].env.size, l[i].env.sender.s);
		for (k = 0; k < l[i].env.n; k++) {
			const struct queue_rcpt *r = &l[i].env.r[k];
			if (r->state == QUEUE_PENDING) {
				pending++;
				age(nx, sizeof nx, r->next - now);
				printf("    %s  %s, %u %s, next %s%s%s%s\n", r->addr, r->tries ? "deferred" : "queued", r->tries,
				       r->tries == 1 ? "try" : "tries", r->next <= now ? "now" : "in ", r->next <= now ? "" : nx,
				       r->reason.len ? ": " : "", r->reason.s);
			} else
				printf("    %s  %s: %s\n", r->addr, queue_state_name(r->state), r->reason.s);
		}
		queue_env_free(&l[i].env);
		free(l[i].id);
	}
	free(l);
	if (!n) printf("the queue is empty\n");
	else printf("%zu message%s, %u recipient%s pending\n", n, n == 1 ? "" : "s", pending, pending == 1 ? "" : "s");
	return EXIT_DONE;
}

int admin_action(const char *qdir, char action, const char *id)
{
	stralloc p = {0};
	struct queue_env env;
	const char *why;
	unsigned i, changed = 0;
	int fd;

	if (!queue_id_ok(id)) {
		fprintf(stderr, "posthorn-runq: fatal: not a queue id: %s\n", id);
		return 1;
	}
	if (!queue_path(&p, qdir, "q/", id) || !stralloc_cats(&p, ".msg") || !stralloc_0(&p)) return EXIT_TEMP;
	fd = open(p.s, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || flock(fd, LOCK_EX)) {
		fprintf(stderr, "posthorn-runq: fatal: no such message in the queue: %s\n", id);
		return 1;
	}
	if (queue_env_read(qdir, id, &env, &why)) {
		fprintf(stderr, "posthorn-runq: fatal: unable to read the envelope of %s: %s\n", id,
		        errno == EINVAL ? why : strerror(errno));
		return errno == ENOENT ? 1 : EXIT_TEMP;
	}
	if (action == 'X') {
		stralloc e = {0};
		if (queue_path(&e, qdir, "q/", id) && stralloc_cats(&e, ".env") && stralloc_0(&e)) unlink(e.s);
		unlink(p.s);
		printf("%s: deleted\n", id);
		queue_trigger(qdir, 'a');
		return EXIT_DONE;
	}
	for (i = 0; i < env.n; i++) {
		if (env.r[i].state != QUEUE_PENDING) continue;
		if (action == 'D') env.r[i].next = 0;
		else {
			env.r[i].state = QUEUE_FAILED;
			queue_set_reason(&env.r[i], status_reason(ST_RETURNED));
		}
		changed++;
	}
	if (changed && queue_env_write(qdir, id, &env)) {
		fprintf(stderr, "posthorn-runq: fatal: unable to write the envelope of %s: %s\n", id, strerror(errno));
		return EXIT_TEMP;
	}
	printf("%s: %u recipient%s %s\n", id, changed, changed == 1 ? "" : "s",
	       action == 'D' ? "due now" : "to be bounced");
	queue_env_free(&env);
	close(fd);
	return EXIT_DONE;
}
