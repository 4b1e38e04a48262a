/* The container's console log, /var/log/boxes/NAME.log: what the console
 * shows and the supervisor's own lines. A container can print without end,
 * so the file is capped (boxes.conf log_size, 8 MiB by default: at the cap it
 * is renamed to NAME.log.1, replacing the previous one, and a new one is
 * started, so at most twice the cap is on disk), and the console is read at
 * most LOGFILE_RATE bytes a second: past that the supervisor stops reading
 * the pty for a while, the kernel's pty buffer fills and the container's
 * writers wait, as on a slow serial console. Nothing is dropped, and a flood
 * costs the host a bounded share of one core. */
#ifndef BOX_LOGFILE_H
#define BOX_LOGFILE_H

#include <stddef.h>
#include <stdint.h>

#include "base/log.h"

#define LOGFILE_RATE (1u << 20) /* bytes a second, in bursts of a quarter of that */

struct logfile;

/* Opens path for appending (created 0640) and makes it the log sink;
 * max_bytes BOX_UNLIMITED (or 0) = no cap. */
int logfile_open(const char *path, uint64_t max_bytes, struct logfile **out, box_err_t *err);
/* Appends console output, rotating first when it would pass the cap. */
void logfile_write(struct logfile *l, const void *buf, size_t n);
/* 0 when the console may be read now, else the milliseconds to wait. */
int logfile_wait_ms(struct logfile *l);

#endif
