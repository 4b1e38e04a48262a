#include "base/paths.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"

static const char *root_dir(const char *var, const char *suffix, char **cache)
{
	if (*cache)
		return *cache;
	const char *v = getenv(var);
	if (v && *v) {
		*cache = xstrdup(v);
	} else {
		const char *root = getenv("BOX_ROOT");
		*cache = xasprintf("%s%s", root && *root ? root : "", suffix);
	}
	/* trailing slashes would double up in joined paths */
	size_t n = strlen(*cache);
	while (n > 1 && (*cache)[n - 1] == '/')
		(*cache)[--n] = '\0';
	return *cache;
}

static char *config_dir, *state_dir, *run_dir, *log_dir;

const char *paths_config_dir(void)
{
	return root_dir("BOX_CONFIG_DIR", "/etc/boxes", &config_dir);
}

const char *paths_state_dir(void)
{
	return root_dir("BOX_STATE_DIR", "/var/lib/boxes", &state_dir);
}

const char *paths_run_dir(void)
{
	return root_dir("BOX_RUN_DIR", "/run/boxes", &run_dir);
}

const char *paths_log_dir(void)
{
	return root_dir("BOX_LOG_DIR", "/var/log/boxes", &log_dir);
}

char *paths_config_path(const char *name)
{
	return xasprintf("%s/%s.conf", paths_config_dir(), name);
}

char *paths_global_config_path(void)
{
	return xasprintf("%s/boxes.conf", paths_config_dir());
}

char *paths_container_path(const char *name)
{
	return xasprintf("%s/%s", paths_state_dir(), name);
}

char *paths_rootfs_path(const char *name)
{
	return xasprintf("%s/%s/rootfs", paths_state_dir(), name);
}

char *paths_templates_path(void)
{
	return xasprintf("%s/templates", paths_state_dir());
}

char *paths_dump_path(void)
{
	return xasprintf("%s/dump", paths_state_dir());
}

char *paths_runtime_path(const char *name)
{
	return xasprintf("%s/%s", paths_run_dir(), name);
}

char *paths_log_path(const char *name)
{
	return xasprintf("%s/%s.log", paths_log_dir(), name);
}

char *paths_template_path(const char *template_name)
{
	if (template_name[0] == '/')
		return xstrdup(template_name);
	return xasprintf("%s/templates/%s", paths_state_dir(), template_name);
}

bool paths_valid_name(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > 63)
		return false;
	if (!strcmp(name, "boxes") || name[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	return true;
}

int paths_check_name(const char *name, box_err_t *err)
{
	if (paths_valid_name(name))
		return 0;
	if (!strcmp(name, "boxes"))
		return box_usage_error(err, "'boxes' is reserved for the host-wide boxes.conf, not a container name");
	return box_usage_error(err,
			       "'%s' is not a valid container name (allowed: lower-case letters, digits and '-', "
			       "starting with a letter or digit, at most 63 bytes)",
			       name);
}
