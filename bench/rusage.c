/*
 * rusage — run a command and report what it cost the controller machine.
 *
 *   rusage OUTFILE COMMAND [ARG...]
 *
 * Writes one line to OUTFILE when the command has ended:
 *
 *   wall=S user=S sys=S maxrss_kb=K tree_rss_kb=K procs=P status=N leftover=L
 *
 * wall        seconds from fork to the command's exit (not counting the
 *             cleanup of leftovers described below);
 * user, sys   CPU seconds of every process the command started, from
 *             getrusage(RUSAGE_CHILDREN) once all of them are reaped;
 * maxrss_kb   ru_maxrss of RUSAGE_CHILDREN: the peak RSS of the single
 *             largest process in the tree (Linux semantics), not a sum;
 * tree_rss_kb the largest sum of RSS over all live descendants, sampled
 *             every 50 ms from /proc (shared pages count once per process,
 *             so a tree of forked workers is over-counted);
 * procs       the most descendants alive at one sample;
 * status      the command's exit status (128+signal if killed);
 * leftover    descendants still alive after the command exited.
 *
 * We make ourselves a child subreaper, so processes the command daemonises
 * (ssh ControlPersist masters started by ansible-playbook) are re-parented
 * to us instead of to pid 1. When the command exits we SIGTERM them and reap
 * them, so the CPU they spent on the command's behalf is counted too.
 * The sampling itself runs in this process and is not in RUSAGE_CHILDREN.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_PROCS 65536

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Parent pid of PID from /proc/PID/stat; -1 when it is gone. */
static int proc_ppid(int pid)
{
	char path[64], buf[1024], *p;
	FILE *f;
	size_t n;
	int ppid;

	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	if (!(f = fopen(path, "r")))
		return -1;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* the command name may hold spaces and parentheses: skip to the last ')' */
	if (!(p = strrchr(buf, ')')) || sscanf(p + 1, " %*c %d", &ppid) != 1)
		return -1;
	return ppid;
}

/* Resident pages of PID from /proc/PID/statm; 0 when it is gone. */
static long proc_rss(int pid)
{
	char path[64];
	FILE *f;
	long size, rss;

	snprintf(path, sizeof path, "/proc/%d/statm", pid);
	if (!(f = fopen(path, "r")))
		return 0;
	if (fscanf(f, "%ld %ld", &size, &rss) != 2)
		rss = 0;
	fclose(f);
	return rss;
}

/*
 * Walk /proc once: fill pids[] with our descendants (up to max) and return
 * how many; *rss_kb gets their summed RSS. Only descendants' statm is read,
 * to keep the sampler cheap on a shared machine.
 */
static int descendants(int self, int *pids, int max, long *rss_kb)
{
	static int all_pid[MAX_PROCS], all_ppid[MAX_PROCS];
	static char in[MAX_PROCS];
	DIR *d;
	struct dirent *e;
	int n = 0, found = 0, grew, i;
	long page_kb = sysconf(_SC_PAGESIZE) / 1024;

	*rss_kb = 0;
	if (!(d = opendir("/proc")))
		return 0;
	while ((e = readdir(d)) && n < MAX_PROCS) {
		int pid = atoi(e->d_name), ppid;

		if (pid <= 0 || (ppid = proc_ppid(pid)) < 0)
			continue;
		all_pid[n] = pid;
		all_ppid[n] = ppid;
		in[n] = 0;
		n++;
	}
	closedir(d);
	/* transitive closure over the parent links; trees here are shallow */
	do {
		grew = 0;
		for (i = 0; i < n; i++) {
			int j;

			if (in[i])
				continue;
			if (all_ppid[i] == self) {
				in[i] = 1;
				grew = 1;
				continue;
			}
			for (j = 0; j < n; j++)
				if (in[j] && all_pid[j] == all_ppid[i]) {
					in[i] = 1;
					grew = 1;
					break;
				}
		}
	} while (grew);
	for (i = 0; i < n; i++) {
		if (!in[i])
			continue;
		*rss_kb += proc_rss(all_pid[i]) * page_kb;
		if (found < max)
			pids[found] = all_pid[i];
		found++;
	}
	return found;
}

int main(int argc, char **argv)
{
	static int pids[MAX_PROCS];
	FILE *out;
	pid_t child;
	double t0, t1 = 0;
	int status = 0, main_done = 0, leftover = 0, max_procs = 0, i;
	long rss_kb, max_tree_kb = 0;
	struct rusage ru;

	if (argc < 3) {
		fprintf(stderr, "usage: rusage OUTFILE COMMAND [ARG...]\n");
		return 2;
	}
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
		perror("rusage: prctl");
		return 2;
	}
	t0 = now();
	child = fork();
	if (child < 0) {
		perror("rusage: fork");
		return 2;
	}
	if (child == 0) {
		execvp(argv[2], argv + 2);
		fprintf(stderr, "rusage: cannot run '%s': %s\n", argv[2], strerror(errno));
		_exit(127);
	}
	while (!main_done) {
		struct timespec ts = { 0, 50 * 1000 * 1000 };
		int n = descendants(getpid(), pids, MAX_PROCS, &rss_kb);
		pid_t w;

		if (rss_kb > max_tree_kb)
			max_tree_kb = rss_kb;
		if (n > max_procs)
			max_procs = n;
		/* reap whatever ended: the command, or orphans it left us */
		while ((w = waitpid(-1, &status, WNOHANG)) > 0)
			if (w == child) {
				t1 = now();
				main_done = 1;
				break;
			}
		if (!main_done)
			nanosleep(&ts, NULL);
	}
	status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);

	/* leftovers (ssh ControlPersist masters): end them so their CPU counts */
	for (i = 0; i < 100; i++) {
		int n = descendants(getpid(), pids, MAX_PROCS, &rss_kb), j;

		if (i == 0)
			leftover = n;
		if (n == 0)
			break;
		for (j = 0; j < n && j < MAX_PROCS; j++)
			kill(pids[j], i < 60 ? SIGTERM : SIGKILL);
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		usleep(50 * 1000);
	}
	while (waitpid(-1, NULL, 0) > 0)
		;

	getrusage(RUSAGE_CHILDREN, &ru);
	if (!(out = fopen(argv[1], "w"))) {
		perror("rusage: output");
		return 2;
	}
	fprintf(out, "wall=%.3f user=%.3f sys=%.3f maxrss_kb=%ld tree_rss_kb=%ld procs=%d status=%d leftover=%d\n",
	    t1 - t0, ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
	    ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6, ru.ru_maxrss, max_tree_kb,
	    max_procs, status, leftover);
	fclose(out);
	return status;
}
