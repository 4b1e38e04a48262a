/* Placeholder until the config module lands: every entry point fails. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

int config_load(const char *name, struct box_config **out, box_err_t *err)
{
	return box_error(err, ENOSYS, "config %s: not implemented yet", name);
}
int config_load_file(const char *path, const char *name, struct box_config **out, box_err_t *err)
{
	return box_error(err, ENOSYS, "config %s: not implemented yet", path);
}
int config_load_buffer(const char *buf, size_t len, const char *label, const char *name,
		       struct box_config **out, box_err_t *err)
{
	return box_error(err, ENOSYS, "config %s: not implemented yet", label);
}
void config_free(struct box_config *c) {}
int config_write(FILE *f, const struct box_config *c) { return -1; }
int global_load(struct box_global **out, box_err_t *err)
{
	return box_error(err, ENOSYS, "boxes.conf: not implemented yet");
}
void global_free(struct box_global *g) {}
const struct box_bridge *global_find_bridge(const struct box_global *g, const char *name) { return NULL; }
int config_list(char ***names, box_err_t *err) { return box_error(err, ENOSYS, "config list"); }
const char *config_storage_name(enum box_storage s) { return "dir"; }
const char *config_net_type_name(enum box_net_type t) { return "veth"; }
int config_parse_signal(const char *s) { return -1; }
const char *config_signal_name(int sig) { return "?"; }
int config_parse_size(const char *s, uint64_t *out) { return -1; }
int config_format_size(uint64_t v, char *buf, size_t len) { return -1; }
int config_check_conflicts(const struct box_config *c, box_err_t *err) { return 0; }
int config_set_keys(const char *name, char *const *assignments, box_err_t *err)
{
	return box_error(err, ENOSYS, "config set: not implemented yet");
}
