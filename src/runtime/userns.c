#include "runtime/userns.h"

#include <errno.h>
#include <grp.h>
#include <unistd.h>

int userns_become_root(box_err_t *err)
{
	if (setresgid(0, 0, 0) < 0)
		return box_error(err, errno, "setresgid(0) in the user namespace");
	if (setgroups(0, NULL) < 0)
		return box_error(err, errno, "setgroups in the user namespace");
	if (setresuid(0, 0, 0) < 0)
		return box_error(err, errno, "setresuid(0) in the user namespace");
	/* the change of ids cleared dumpability, and it stays so: nothing of the
	 * container may ptrace this process until it execs */
	return 0;
}
