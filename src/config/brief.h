/* The few keys of every container's config that a command reads for all
 * containers at once -- `box ls` (autostart, the IPv4 addresses and DHCP
 * MACs, the forwards), the cross-container checks (bridge addresses and
 * MACs, host ports, id ranges) -- kept in one file, <run>/.config-brief,
 * so that such a command parses none of the 500 configs of a full host
 * (a libconfuse parse costs ~0.06 ms, `box ls` of 500 ~30 ms of them).
 *
 * An entry is used only while its config file has the same device, inode,
 * size, mtime and ctime as when it was parsed. It is written only for a
 * file whose ctime is over a second older than the parse began: a change
 * within the clock tick of the parse could leave every stat field equal
 * (git's "racily clean" index entries), a later change cannot. The file
 * also names the build and the config folder it was made for; anything
 * else in it (a torn or foreign file) makes the cache empty, never wrong.
 * It is replaced atomically; readers that race see the old or the new.
 *
 * What a brief holds (everything else is zero/NULL): name, path,
 * autostart, unprivileged, idmap_base, idmap_size, line_of_idmap_base;
 * each network's name, type, bridge (+line), addrs (text, family, addr,
 * prefix, line), hwaddr (+has, line), dhcp (+line), line; each forward's
 * title, proto, port, to, listen (+has), line. */
#ifndef BOX_CONFIG_BRIEF_H
#define BOX_CONFIG_BRIEF_H

#include "base/log.h"

struct box_config;
struct config_briefs;

/* Reads the cache (none, or an unusable one, is an empty cache). */
struct config_briefs *config_briefs_open(void);
/* The brief of container `name`: from the cache when its file is
 * unchanged, else from a full config_load (whose error it returns). */
int config_briefs_load(struct config_briefs *b, const char *name, struct box_config **out, box_err_t *err);
/* 0 when the brief of `name`, valid (its file unchanged), shows that it
 * cannot clash with c in config_check_conflicts: no address or MAC of c's
 * on a bridge they share, no forward when c forwards ports. 1 otherwise
 * (no valid brief, or a possible clash): then load it. What a start with
 * an address pays per other container: a stat and a look at a few lines
 * (config_briefs_load makes a box_config of each: ~4 ms of CPU a start
 * with 500 configs here). */
int config_briefs_may_clash(struct config_briefs *b, const char *name, const struct box_config *c);
/* Writes the cache back if a load added to it (a failed write is ignored:
 * the next command parses again), and frees it. */
void config_briefs_close(struct config_briefs *b);

#endif
