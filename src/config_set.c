/* `box set`: edits top-level keys of <name>.conf in place. */
#include <errno.h>

#include "config.h"

int config_set_keys(const char *name, char *const *assignments, box_err_t *err)
{
	return box_error(err, ENOSYS, "config set: not implemented yet");
}
