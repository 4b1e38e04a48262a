/* Internal to src/archive/: what pct.c (import) and pct-export.c share. */
#ifndef BOX_ARCHIVE_INTERNAL_H
#define BOX_ARCHIVE_INTERNAL_H

/* First description line of a pct.conf that carries a boxes config. */
#define PCT_MARKER "boxes-config-v1"

/* Proxmox's memory and swap when pct.conf has no line for them (MiB), and
 * the least memory it takes. */
#define PCT_DEFAULT_MIB 512
#define PCT_MIN_MEMORY_MIB 16

#endif
