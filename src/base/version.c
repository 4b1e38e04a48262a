#include "base/version.h"

/* -DBOX_VERSION from the Makefile; only this file is rebuilt when it changes
 * (a compile without it: clang-check, fuzzing) */
#ifndef BOX_VERSION
#define BOX_VERSION "unknown"
#endif
const char box_version[] = BOX_VERSION;
