/* control.c: every request is validated before the supervisor acts on it. */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "runtime/control.h"
#include "tap.h"

static int try_req(const void *buf, size_t len)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0)
		return -2;
	send(sv[1], buf, len, 0);
	struct ctl_req r;
	int ret = control_recv_req(sv[0], &r);
	int e = errno;
	close(sv[0]);
	close(sv[1]);
	errno = e;
	return ret;
}

int main(void)
{
	if (geteuid() != 0) {
		printf("ok 1 - control # skip needs root (SO_PEERCRED uid 0)\n1..1\n");
		return 0;
	}
	struct ctl_req ok = { .magic = CTL_MAGIC, .cmd = CTL_STOP, .timeout = 10, .flags = CTL_F_KILL };
	tap_ok(try_req(&ok, sizeof(ok)) == 0, "a good stop request");
	struct ctl_req r = ok;
	r.magic = 0x12345678;
	tap_ok(try_req(&r, sizeof(r)) < 0 && errno == EPROTO, "a bad magic is refused");
	r = ok;
	r.cmd = 0;
	tap_ok(try_req(&r, sizeof(r)) < 0 && errno == EPROTO, "command 0 is refused");
	r.cmd = _CTL_MAX;
	tap_ok(try_req(&r, sizeof(r)) < 0 && errno == EPROTO, "a command past the table is refused");
	r = ok;
	r.flags = 0x80;
	tap_ok(try_req(&r, sizeof(r)) < 0 && errno == EPROTO, "unknown flags are refused");
	r = ok;
	r.timeout = -5;
	tap_ok(try_req(&r, sizeof(r)) < 0 && errno == EPROTO, "a negative timeout other than -1 is refused");
	tap_ok(try_req(&ok, sizeof(ok) - 1) < 0 && errno == EPROTO, "a short request is refused");
	char big[sizeof(ok) + 64] = { 0 };
	memcpy(big, &ok, sizeof(ok));
	tap_ok(try_req(big, sizeof(big)) < 0 && errno == EPROTO, "a long request is refused");
	tap_ok(try_req("", 0) < 0, "an empty packet is refused");
	return tap_done();
}
