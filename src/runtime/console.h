/* `box console`: the container's console through its supervisor's control
 * socket (several clients may watch at once). Ctrl-a q detaches (as
 * lxc-console); Ctrl-a Ctrl-a sends one Ctrl-a. */
#ifndef BOX_CONSOLE_H
#define BOX_CONSOLE_H

#include "base/log.h"

int console_run(const char *name, box_err_t *err);

#endif
