#include "runtime/control.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/paths.h"
#include "base/util.h"

static int fill_addr(struct sockaddr_un *sa, const char *path, box_err_t *err)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return box_error(err, ENAMETOOLONG, "socket path %s", path);
	strcpy(sa->sun_path, path);
	return 0;
}

int control_listen(const char *path, box_err_t *err)
{
	struct sockaddr_un sa;
	if (fill_addr(&sa, path, err) < 0)
		return -1;
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return box_error(err, errno, "socket");
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(path, 0600) < 0 || listen(fd, 16) < 0) {
		int e = errno;
		close(fd);
		return box_error(err, e, "listening on %s", path);
	}
	return fd;
}

int control_recv_req(int fd, struct ctl_req *req)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return -1;
	if (cred.uid != 0) {
		errno = EPERM;
		return -1;
	}
	ssize_t n = recv(fd, req, sizeof(*req), MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0)
		return -1;
	if (n != (ssize_t)sizeof(*req) || req->magic != CTL_MAGIC || req->cmd == 0 || req->cmd >= _CTL_MAX ||
	    (req->flags & ~(uint32_t)CTL_F_KILL) || req->timeout < -1) {
		errno = EPROTO;
		return -1;
	}
	return 0;
}

int control_send_resp(int fd, int status, int state, pid_t init_pid, const char *fmt, ...)
{
	struct ctl_resp r = { .magic = CTL_MAGIC, .status = status, .state = state, .init_pid = init_pid };
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r.text, sizeof(r.text), fmt, ap);
	va_end(ap);
	return send(fd, &r, sizeof(r), MSG_NOSIGNAL | MSG_DONTWAIT) == (ssize_t)sizeof(r) ? 0 : -1;
}

int control_open(const char *name, const struct ctl_req *req, box_err_t *err)
{
	cleanup_free char *path = xasprintf("%s/%s/control", paths_run_dir(), name);
	struct sockaddr_un sa;
	if (fill_addr(&sa, path, err) < 0)
		return -1;
	cleanup_close int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return box_error(err, errno, "socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return box_error(err, errno, "connecting to the supervisor of %s (%s)", name, path);
	if (send(fd, req, sizeof(*req), MSG_NOSIGNAL) != (ssize_t)sizeof(*req))
		return box_error(err, errno, "talking to the supervisor of %s", name);
	return steal_fd(&fd);
}

int control_recv_resp(int fd, struct ctl_resp *resp, int timeout_ms, box_err_t *err)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint64_t deadline = now_ms() + (uint64_t)(timeout_ms < 0 ? 0 : timeout_ms);
	for (;;) {
		int t = timeout_ms < 0 ? -1 : (int)(deadline > now_ms() ? deadline - now_ms() : 0);
		int r = poll(&p, 1, t);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return box_error(err, errno, "waiting for the supervisor");
		if (r == 0)
			return box_error(err, ETIMEDOUT, "waiting for the supervisor");
		break;
	}
	ssize_t n = recv(fd, resp, sizeof(*resp), MSG_TRUNC);
	if (n < 0)
		return box_error(err, errno, "reading from the supervisor");
	if (n == 0)
		return box_error(err, ECONNRESET, "the supervisor went away without an answer");
	if (n != (ssize_t)sizeof(*resp) || resp->magic != CTL_MAGIC)
		return box_error(err, EPROTO, "bad answer from the supervisor");
	resp->text[sizeof(resp->text) - 1] = '\0';
	return 0;
}
