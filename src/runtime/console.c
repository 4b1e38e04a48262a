#include "runtime/console.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "runtime/control.h"
#include "runtime/runtime.h"
#include "base/util.h"

#define ESCAPE 0x01 /* Ctrl-a */

int console_run(const char *name, box_err_t *err)
{
	enum box_state st;
	if (runtime_state(name, &st, NULL, err) < 0)
		return -1;
	if (st != BOX_RUNNING && st != BOX_FROZEN) /* a frozen console can be watched */
		return box_error(err, 0, "%s is not running (%s)", name, state_name(st));
	struct ctl_req req = { .magic = CTL_MAGIC, .cmd = CTL_CONSOLE };
	cleanup_close int fd = control_open(name, &req, err);
	if (fd < 0)
		return -1;
	struct ctl_resp resp;
	if (control_recv_resp(fd, &resp, 5000, err) < 0)
		return -1;
	if (resp.status)
		return box_error(err, resp.status, "console of %s: %s", name, resp.text);
	bool tty = isatty(0);
	struct termios saved, raw;
	if (tty && tcgetattr(0, &saved) == 0) {
		fprintf(stderr, "Connected to the console of %s. Type Ctrl-a q to detach.\r\n", name);
		raw = saved;
		cfmakeraw(&raw);
		tcsetattr(0, TCSADRAIN, &raw);
	} else {
		tty = false;
	}
	bool in_open = true, escaped = false, detached = false;
	char buf[CTL_DATA_MAX], out[CTL_DATA_MAX * 2];
	while (!detached) {
		struct pollfd p[2] = { { .fd = in_open ? 0 : -1, .events = POLLIN }, { .fd = fd, .events = POLLIN } };
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents) {
			ssize_t n = recv(fd, buf, sizeof(buf), 0);
			if (n <= 0)
				break; /* the container stopped */
			write_all(1, buf, (size_t)n);
		}
		if (p[0].revents) {
			/* half a packet: escapes may double it */
			ssize_t n = read(0, buf, sizeof(buf) / 2);
			if (n <= 0) {
				in_open = false;
				continue;
			}
			size_t o = 0;
			for (ssize_t i = 0; i < n; i++) {
				char ch = buf[i];
				if (escaped) {
					escaped = false;
					if (ch == 'q') {
						detached = true;
						break;
					}
					if (ch != ESCAPE)
						out[o++] = ESCAPE;
					out[o++] = ch;
				} else if (ch == ESCAPE && tty) {
					escaped = true;
				} else {
					out[o++] = ch;
				}
			}
			if (o && send(fd, out, o, MSG_NOSIGNAL) < 0)
				break;
		}
	}
	if (tty) {
		tcsetattr(0, TCSADRAIN, &saved);
		fprintf(stderr, "\r\nDetached from the console of %s.\n", name);
	}
	return 0;
}
