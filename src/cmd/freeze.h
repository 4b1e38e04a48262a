/* `box freeze` and `box unfreeze` share one body. */
#ifndef BOX_CMD_FREEZE_H
#define BOX_CMD_FREEZE_H

#include <stdbool.h>

#include "cmd/cmd.h"

int freeze_cmd(const struct box_command *cmd, int argc, char **argv, bool freeze);

#endif
