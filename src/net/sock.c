/* rtnetlink sockets for the net module: one per namespace, kernel errors kept
 * verbatim (errno + extended-ACK text). */
#include "net/internal.h"

#include <errno.h>
#include <linux/netlink.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/util.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* libnl calls this for every NLMSG_ERROR; we keep the kernel's errno and
 * text, and let libnl end the request as usual (NL_STOP). */
static int on_kernel_error(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct net_sock *s = arg;
	const struct nlmsghdr *h = (const struct nlmsghdr *)((const char *)e - NLMSG_HDRLEN);
	size_t off, len;

	s->errnum = -e->error;
	s->msg[0] = '\0';
	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS) || h->nlmsg_len < NLMSG_HDRLEN + sizeof(*e))
		return NL_STOP;
	/* the TLVs follow the error, after the echoed request unless capped */
	off = sizeof(*e);
	if (!(h->nlmsg_flags & NLM_F_CAPPED))
		off += NLMSG_ALIGN(e->msg.nlmsg_len) - NLMSG_HDRLEN;
	if (h->nlmsg_len < NLMSG_HDRLEN + off)
		return NL_STOP;
	len = h->nlmsg_len - NLMSG_HDRLEN - off;
	for (const struct nlattr *a = (const void *)((const char *)e + off); len >= sizeof(*a);) {
		size_t alen = a->nla_len;
		if (alen < sizeof(*a) || alen > len)
			break;
		if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG && alen > NLA_HDRLEN) {
			size_t n = alen - NLA_HDRLEN;
			if (n >= sizeof(s->msg))
				n = sizeof(s->msg) - 1;
			memcpy(s->msg, (const char *)a + NLA_HDRLEN, n);
			s->msg[n] = '\0';
			s->msg[strcspn(s->msg, "\n")] = '\0';
		}
		alen = NLA_ALIGN(alen);
		if (alen >= len)
			break;
		len -= alen;
		a = (const void *)((const char *)a + alen);
	}
	return NL_STOP;
}

/* For errors libnl made up itself (no kernel error seen). */
static int nle_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case NLE_NOMEM: return ENOMEM;
	case NLE_EXIST: return EEXIST;
	case NLE_INVAL: return EINVAL;
	case NLE_RANGE: return ERANGE;
	case NLE_OPNOTSUPP: return EOPNOTSUPP;
	case NLE_AF_NOSUPPORT: return EAFNOSUPPORT;
	case NLE_OBJ_NOTFOUND: return ENOENT;
	case NLE_NODEV: return ENODEV;
	case NLE_PERM: return EPERM;
	case NLE_BUSY: return EBUSY;
	case NLE_NOACCESS: return EACCES;
	case NLE_NOADDR: return EADDRNOTAVAIL;
	case NLE_AGAIN: return EAGAIN;
	case NLE_INTR: return EINTR;
	case NLE_MSGSIZE: return EMSGSIZE;
	default: return EPROTO;
	}
}

static int open_here(struct net_sock *s)
{
	int one = 1;
	int r;

	s->sk = nl_socket_alloc();
	if (!s->sk)
		return -ENOMEM;
	r = nl_connect(s->sk, NETLINK_ROUTE);
	if (r < 0) {
		nl_socket_free(s->sk);
		s->sk = NULL;
		return -nle_errno(r);
	}
	/* best effort: older kernels lack them, errors then have no text */
	(void)setsockopt(nl_socket_get_fd(s->sk), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)setsockopt(nl_socket_get_fd(s->sk), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	nl_socket_modify_err_cb(s->sk, NL_CB_CUSTOM, on_kernel_error, s);
	return 0;
}

struct in_ns {
	struct net_sock *s;
	int netns_fd;
	int r;
};

/* A netlink socket belongs to the namespace of the thread that made it. A
 * short-lived thread enters the container's netns and makes it, so the
 * supervisor's own thread never leaves the host's namespace, even on an
 * error half-way. */
static void *open_in_ns(void *arg)
{
	struct in_ns *a = arg;

	if (setns(a->netns_fd, CLONE_NEWNET) < 0) {
		a->r = -errno;
		return NULL;
	}
	a->r = open_here(a->s);
	return NULL;
}

int net_sock_open(struct net_sock *s, int netns_fd, box_err_t *err)
{
	pthread_t t;
	int r;

	memset(s, 0, sizeof(*s));
	if (netns_fd < 0) {
		r = open_here(s);
	} else {
		struct in_ns a = { .s = s, .netns_fd = netns_fd };
		r = pthread_create(&t, NULL, open_in_ns, &a);
		if (r != 0)
			return box_error(err, r, "starting a thread to enter the container's network namespace");
		pthread_join(t, NULL);
		r = a.r;
	}
	if (r < 0)
		return box_error(err, -r, "opening a netlink socket%s",
				 netns_fd < 0 ? "" : " in the container's network namespace");
	return 0;
}

void net_sock_close(struct net_sock *s)
{
	if (s->sk)
		nl_socket_free(s->sk);
	s->sk = NULL;
}

void net_sock_reset(struct net_sock *s)
{
	s->errnum = 0;
	s->msg[0] = '\0';
}

int net_sock_errno(struct net_sock *s, int nlerr)
{
	return s->errnum ? s->errnum : nle_errno(nlerr);
}

int net_sock_fail(struct net_sock *s, int nlerr, box_err_t *err, const char *fmt, ...)
{
	cleanup_free char *what = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&what, fmt, ap) < 0)
		oom();
	va_end(ap);
	if (s->errnum && s->msg[0])
		return box_error(err, s->errnum, "%s: %s", what, s->msg);
	if (s->errnum)
		return box_error(err, s->errnum, "%s", what);
	return box_error(err, nle_errno(nlerr), "%s (%s)", what, nl_geterror(nlerr));
}
