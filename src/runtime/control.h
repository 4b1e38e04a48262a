/* The supervisor's control socket, <run>/<name>/control: a SOCK_SEQPACKET
 * unix socket, root only (folder 0700, SO_PEERCRED checked). One request per
 * connection, fixed-size messages whose every field is validated:
 *
 *   CTL_STATUS   -> one ctl_resp (state, init pid)
 *   CTL_STOP     -> the supervisor halts (or kills) the container and sends
 *                   one ctl_resp once everything is cleaned up
 *   CTL_CONSOLE  -> one ctl_resp, then console bytes as packets both ways
 *                   (at most CTL_DATA_MAX each); several clients may watch */
#ifndef BOX_CONTROL_H
#define BOX_CONTROL_H

#include <stdint.h>
#include <sys/types.h>

#include "base/log.h"

#define CTL_MAGIC 0x626f7831u /* "box1" */
#define CTL_DATA_MAX 4096

enum ctl_cmd { CTL_STATUS = 1, CTL_STOP, CTL_CONSOLE, _CTL_MAX };
enum { CTL_F_KILL = 1u << 0 };

struct ctl_req {
	uint32_t magic;
	uint32_t cmd;	 /* enum ctl_cmd */
	int32_t timeout; /* CTL_STOP: seconds, -1 = the config's stop_timeout */
	uint32_t flags;	 /* CTL_F_* */
};

struct ctl_resp {
	uint32_t magic;
	int32_t status; /* 0 ok, else an errno */
	int32_t state;	/* enum box_state */
	int32_t init_pid;
	char text[512]; /* NUL-terminated */
};

/* Supervisor side. */
int control_listen(const char *path, box_err_t *err);
/* Reads and validates one request; -1 (errno EPROTO/EPERM) when it is bad. */
int control_recv_req(int fd, struct ctl_req *req);
int control_send_resp(int fd, int status, int state, pid_t init_pid, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Client side: connects to the container's supervisor, sends req. */
int control_open(const char *name, const struct ctl_req *req, box_err_t *err);
/* Waits for the response (timeout_ms < 0: forever); validates it. */
int control_recv_resp(int fd, struct ctl_resp *resp, int timeout_ms, box_err_t *err);

#endif
