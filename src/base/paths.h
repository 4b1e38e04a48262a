/* Where everything lives. Four roots, each overridable from the environment;
 * BOX_ROOT prefixes all four defaults so that a whole installation can live in
 * a throw-away folder (tests do this):
 *
 *   config  BOX_CONFIG_DIR  $BOX_ROOT/etc/boxes         <name>.conf, boxes.conf
 *   state   BOX_STATE_DIR   $BOX_ROOT/var/lib/boxes     <name>/rootfs, templates/, dump/
 *   run     BOX_RUN_DIR     $BOX_ROOT/run/boxes         <name>/ lock, pids, control socket
 *   log     BOX_LOG_DIR     $BOX_ROOT/var/log/boxes     <name>.log
 *
 * Returned strings are owned by this module (computed once) unless the
 * function name says "_path" (then the caller frees). */
#ifndef BOX_PATHS_H
#define BOX_PATHS_H

#include <stdbool.h>

#include "base/log.h"

const char *paths_config_dir(void);
const char *paths_state_dir(void);
const char *paths_run_dir(void);
const char *paths_log_dir(void);

char *paths_config_path(const char *name);    /* <config>/<name>.conf */
char *paths_global_config_path(void);	      /* <config>/boxes.conf */
char *paths_container_path(const char *name); /* <state>/<name> */
char *paths_rootfs_path(const char *name);    /* <state>/<name>/rootfs */
char *paths_templates_path(void);	      /* <state>/templates */
char *paths_dump_path(void);		      /* <state>/dump */
char *paths_runtime_path(const char *name);   /* <run>/<name> */
char *paths_log_path(const char *name);	      /* <log>/<name>.log */

/* A template named in a config: an absolute path as is, else a file in the
 * templates folder. */
char *paths_template_path(const char *template_name);

/* Container names: [a-z0-9][a-z0-9-]*, at most 63 bytes, not "boxes". */
bool paths_valid_name(const char *name);
/* Checks a name and says what is allowed when it is not (exit status 2). */
int paths_check_name(const char *name, box_err_t *err);

#endif
