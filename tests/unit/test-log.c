/* log.c: the lines said while held (log_hold) reach the next sink first; a
 * timeout that says so is one sentence, and still -ETIMEDOUT. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "base/mem.h"
#include "tap.h"

static char *drain(int fd)
{
	static char buf[65536];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

int main(void)
{
	int p[2];
	if (pipe(p) < 0)
		return 1;

	log_hold(false);
	tap_ok(log_held_warnings() == NULL, "nothing held yet: no warnings");
	log_info("early note");
	log_warn("early warning %d", 1);
	log_warn("early warning %d", 2);
	char *w = log_held_warnings();
	tap_streq(w, "early warning 1\nearly warning 2\n", "the held warnings, without prefix, one a line");
	free(w);
	log_set_sink(p[1], false);
	log_info("late line");
	tap_streq(drain(p[0]),
		  "box: early note\nbox: warning: early warning 1\nbox: warning: early warning 2\nbox: late line\n",
		  "the new sink gets the held lines first, in order, then the rest");
	w = log_held_warnings();
	tap_streq(w, "early warning 1\nearly warning 2\n", "the held warnings stay for a failed start's report");
	free(w);
	log_warn("after");
	tap_streq(drain(p[0]), "box: warning: after\n", "once a sink is set, lines are no longer held");
	w = log_held_warnings();
	tap_streq(w, "early warning 1\nearly warning 2\n", "... nor counted as held warnings");
	free(w);

	/* a flood while held is capped, not grown without end */
	int q[2];
	if (pipe(q) < 0)
		return 1;
	log_hold(false);
	char *big = xmalloc(1001);
	memset(big, 'x', 1000);
	big[1000] = '\0';
	for (int i = 0; i < 100; i++)
		log_info("%s", big);
	log_set_sink(q[1], false);
	close(q[1]);
	size_t total = 0;
	for (ssize_t n; (n = read(q[0], big, 1000)) > 0;)
		total += (size_t)n;
	tap_ok(total > 0 && total <= 16384, "100 KB said while held: at most 16 KiB kept (%zu bytes)", total);
	free(big);
	box_err_t err = NULL;
	tap_ok(box_error_timeout(&err, "%s: no answer in %d s", "c1", 5) == -ETIMEDOUT,
	       "a timeout returns -ETIMEDOUT for the caller that branches on it");
	char *t = box_error_text(err);
	tap_streq(t, "c1: no answer in 5 s", "... its text is the sentence alone, no errno text after it");
	free(t);
	tap_ok(err && err->status == BOX_EXIT_FAIL, "... exit status 1");
	box_error_release(&err);
	tap_ok(box_error(&err, ETIMEDOUT, "waiting") == -ETIMEDOUT, "box_error with ETIMEDOUT: the same return");
	t = box_error_text(err);
	tap_streq(t, "waiting: Connection timed out", "... and the errno text, for a message that needs it");
	free(t);
	box_error_release(&err);
	return tap_done();
}
