/* state.c: the state file round trip, the lock, pid start times. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/paths.h"
#include "runtime/state.h"
#include "tap.h"
#include "base/util.h"

int main(void)
{
	char tmpl[] = "/tmp/test-state.XXXXXX";
	const char *dir = mkdtemp(tmpl);
	if (!dir)
		return 1;
	setenv("BOX_RUN_DIR", dir, 1);
	char *state_dir = xasprintf("%s/state", dir);
	setenv("BOX_STATE_DIR", state_dir, 1);
	box_err_t err = NULL;

	struct state_info si;
	tap_ok(state_read("web", &si, &err) == 1, "no state file: state_read says so");
	tap_ok(!state_lock_held("web", NULL), "no lock file: not held");

	int fd = state_lock("web", NULL, &err);
	tap_ok(fd >= 0, "state_lock takes the lock");
	tap_ok(state_lock_held("web", NULL), "state_lock_held sees it held");
	int fd2 = state_lock("web", NULL, &err);
	tap_ok(fd2 == -EWOULDBLOCK && err && err->errnum == EWOULDBLOCK,
	       "a second state_lock returns -EWOULDBLOCK (what the callers branch on)");
	box_error_release(&err);
	tap_ok(box_error(&err, ENOENT, "x") == -ENOENT, "box_error returns -errnum");
	box_error_release(&err);
	tap_ok(box_error(&err, 0, "x") == -1, "box_error without an errno returns -1");
	box_error_release(&err);

	/* a child process sees the lock as held too */
	pid_t p = fork();
	if (p == 0)
		_exit(state_lock_held("web", NULL) ? 0 : 1);
	int st;
	waitpid(p, &st, 0);
	tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "another process sees the lock held");

	struct state_info w = { .state = BOX_RUNNING,
				.sup_pid = getpid(),
				.sup_start = state_pid_start(getpid()),
				.init_pid = 1234,
				.init_start = 42,
				.started = 1700000000 };
	tap_ok(state_write("web", &w, NULL, &err) == 0, "state_write");
	tap_ok(state_read("web", &si, &err) == 0, "state_read");
	tap_ok(si.state == BOX_RUNNING && si.sup_pid == getpid() && si.init_pid == 1234 && si.init_start == 42 &&
		   si.started == 1700000000 && si.sup_start == w.sup_start,
	       "the state round-trips");
	char *pidf = xasprintf("%s/web/init.pid", dir), *buf = NULL;
	tap_ok(read_file_at(AT_FDCWD, pidf, &buf, NULL, &err) == 0 && atoi(buf) == 1234, "init.pid is written");
	free(buf);
	unlink(pidf);
	w.state = BOX_STOPPING;
	tap_ok(state_write("web", &w, &w, &err) == 0 && access(pidf, F_OK) < 0 && state_read("web", &si, &err) == 0 &&
		   si.state == BOX_STOPPING,
	       "with prev, unchanged pid files are not written again");
	struct state_info w2 = w;
	w2.init_pid = 99;
	buf = NULL;
	tap_ok(state_write("web", &w2, &w, &err) == 0 && read_file_at(AT_FDCWD, pidf, &buf, NULL, &err) == 0 &&
		   atoi(buf) == 99,
	       "a changed init pid is written");
	free(buf);

	tap_ok(state_pid_start(getpid()) > 0, "our own start time is known");
	tap_ok(state_pid_alive(getpid(), state_pid_start(getpid())), "we are alive");
	tap_ok(!state_pid_alive(getpid(), state_pid_start(getpid()) + 1), "a different start time is not us");
	tap_ok(!state_pid_alive(0, 0) && !state_pid_alive(-1, 0), "pid 0 and -1 are never alive");
	p = fork();
	if (p == 0)
		_exit(0);
	waitpid(p, &st, 0);
	tap_ok(state_pid_start(p) == 0, "a reaped child has no start time");

	tap_ok(state_remove("web", &err) == 0, "state_remove");
	tap_ok(state_read("web", &si, &err) == 1, "the state file is gone");
	tap_ok(access(pidf, F_OK) < 0, "the pid file is gone");
	tap_ok(state_lock_held("web", NULL), "the lock stays with state_remove");
	tap_ok(state_remove_all("web", &err) == 0, "state_remove_all");
	char *rd = xasprintf("%s/web", dir);
	tap_ok(access(rd, F_OK) < 0, "the run folder is gone");
	close(fd);
	fd = state_lock("web", NULL, &err);
	tap_ok(fd >= 0, "the lock can be taken again after removal");
	close(fd);

	/* a writer killed between the create and the rename of its temporary */
	char *stale = xasprintf("%s/web/state.tmp.999999", dir);
	int sf = open(stale, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (sf >= 0)
		close(sf);
	fd = state_lock("web", NULL, &err);
	tap_ok(fd >= 0 && access(stale, F_OK) < 0, "the next lock holder removes a dead writer's temporary");
	sf = open(stale, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (sf >= 0)
		close(sf);
	tap_ok(state_remove_all("web", &err) == 0 && access(rd, F_OK) < 0,
	       "state_remove_all removes a run folder with a temporary in it");
	close(fd);
	free(stale);

	/* a dead writer's temporary that had this process's pid */
	char *target = xasprintf("%s/replaced", dir), *mine = xasprintf("%s.tmp.%d", target, (int)getpid());
	for (int sync = 0; sync < 2; sync++) {
		sf = open(mine, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (sf >= 0)
			close(sf);
		int r = sync ? write_file_atomic(target, "b\n", 2, 0644, &err)
			     : write_file_replace(target, "a\n", 2, 0644, &err);
		cleanup_free char *got = NULL;
		box_error_release(&err);
		tap_ok(r == 0 && read_file_at(AT_FDCWD, target, &got, NULL, &err) == 0 &&
			   !strcmp(got, sync ? "b\n" : "a\n") && access(mine, F_OK) < 0,
		       "%s writes past a dead writer's temporary with its pid",
		       sync ? "write_file_atomic" : "write_file_replace");
		box_error_release(&err);
	}
	unlink(target);
	free(target);
	free(mine);

	/* dead writers' temporaries swept, a live one's and other names kept */
	char *dead = xasprintf("%s/.brief.tmp.999999", dir), *live = xasprintf("%s/.brief.tmp.%d", dir, (int)getpid()),
	     *other = xasprintf("%s/.other.tmp.999999", dir);
	const char *made[] = { dead, live, other };
	for (size_t i = 0; i < 3; i++) {
		sf = open(made[i], O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (sf >= 0)
			close(sf);
	}
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	sweep_dead_temporaries(dfd, ".brief.");
	close(dfd);
	tap_ok(access(dead, F_OK) < 0 && access(live, F_OK) == 0 && access(other, F_OK) == 0,
	       "sweep_dead_temporaries removes a dead writer's temporary only");
	for (size_t i = 0; i < 3; i++)
		unlink(made[i]);
	free(dead);
	free(live);
	free(other);

	/* what holds the lock, as its holder named itself; a SIGKILLed
	 * holder's line is not believed */
	int ready[2];
	if (pipe(ready) < 0)
		return 1;
	p = fork();
	if (p == 0) {
		box_err_t e = NULL;
		char c = state_lock("held", "export", &e) >= 0 ? 'y' : 'n';
		if (write(ready[1], &c, 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	char c = 0;
	tap_ok(read(ready[0], &c, 1) == 1 && c == 'y', "a child holds the lock as export");
	struct state_holder h;
	tap_ok(state_lock_held("held", &h) && !strcmp(h.what, "export") && h.pid == p,
	       "state_lock_held names the holder and its pid");
	kill(p, SIGKILL);
	waitpid(p, &st, 0);
	tap_ok(!state_lock_held("held", &h) && !h.what[0], "the SIGKILLed holder's lock is free, and unnamed");
	fd = state_lock("held", NULL, &err);
	tap_ok(fd >= 0 && state_lock_held("held", &h) && !h.what[0],
	       "a start's lock has no name (the dead one's cleared)");
	char *lockp = xasprintf("%s/held/lock", dir), *line = xasprintf("export %d 1\n", (int)p);
	int lf = open(lockp, O_WRONLY | O_CLOEXEC);
	tap_ok(lf >= 0 && write(lf, line, strlen(line)) == (ssize_t)strlen(line) && state_lock_held("held", &h) &&
		   !h.what[0],
	       "a line naming a dead pid is not believed");
	if (lf >= 0)
		close(lf);
	close(fd);
	fd = state_lock("held", "snapshot", &err);
	tap_ok(fd >= 0 && state_lock_held("held", &h) && !strcmp(h.what, "snapshot") && h.pid == getpid(),
	       "a holder's name replaces the line left before");
	state_unlock(fd);
	struct stat lst;
	tap_ok(stat(lockp, &lst) == 0 && lst.st_size == 0 && !state_lock_held("held", &h),
	       "state_unlock clears the name and frees the lock");
	close(ready[0]);
	close(ready[1]);
	free(lockp);
	free(line);

	char u1[37], u2[37];
	tap_ok(state_uuid("web", u1, &err) == 0 && strlen(u1) == 36, "state_uuid makes a UUID");
	tap_ok(state_uuid("web", u2, &err) == 0 && !strcmp(u1, u2), "and keeps it");
	tap_ok(state_uuid("other", u2, &err) == 0 && strcmp(u1, u2), "another container gets another one");
	box_error_release(&err);

	char *cmd = xasprintf("rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	free(cmd);
	free(pidf);
	free(rd);
	free(state_dir);
	return tap_done();
}
