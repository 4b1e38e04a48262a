/* Placeholder until the network module lands. */
#include "net.h"

#include <errno.h>
#include <stdio.h>

int net_setup(const struct box_config *c, const struct box_global *g, pid_t child, struct net_state **out,
	      box_err_t *err)
{
	*out = NULL;
	return c->n_nets ? box_error(err, ENOSYS, "network: not implemented yet") : 0;
}
int net_teardown(struct net_state *s, box_err_t *err) { return 0; }
void net_state_free(struct net_state *s) {}
void net_host_ifname(const char *container, const char *ifname, char out[IFNAMSIZ])
{
	snprintf(out, IFNAMSIZ, "vb-%.10s", container);
}
void net_default_hwaddr(const char *container, const char *ifname, unsigned char mac[6])
{
	mac[0] = 0x02;
}
