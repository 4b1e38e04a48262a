/* Placeholder until the storage module lands. */
#include "storage.h"

#include <errno.h>

int storage_create(const struct box_config *c, const char *template_override, box_err_t *err)
{
	return box_error(err, ENOSYS, "storage: not implemented yet");
}
bool storage_exists(const char *name) { return false; }
int storage_mount(const struct box_config *c, const char *mountpoint, box_err_t *err)
{
	return box_error(err, ENOSYS, "storage: not implemented yet");
}
int storage_destroy(const char *name, box_err_t *err) { return box_error(err, ENOSYS, "storage"); }
