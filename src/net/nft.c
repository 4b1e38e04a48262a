/* libnftables through dlopen, as src/archive/libarchive.c does for
 * libarchive: `box start` of a container without a managed bridge or a
 * forward never loads it (libnftables pulls in libjansson, libgmp,
 * libxtables, libmnl, libnftnl: ~1.5 ms of loading on every exec that
 * links it). Failures are errors, not exits: a missing library fails the
 * start of the container that needs it, with the package to install. */
#include "net/nft.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <nftables/libnftables.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/mem.h"
#include "base/util.h"

#ifndef LIBNFTABLES_SONAME
#define LIBNFTABLES_SONAME "libnftables.so.1"
#endif

static struct {
	__typeof__(nft_ctx_new) *ctx_new;
	__typeof__(nft_ctx_free) *ctx_free;
	__typeof__(nft_ctx_buffer_output) *buffer_output;
	__typeof__(nft_ctx_buffer_error) *buffer_error;
	__typeof__(nft_ctx_get_output_buffer) *get_output;
	__typeof__(nft_ctx_get_error_buffer) *get_error;
	__typeof__(nft_run_cmd_from_buffer) *run;
	char why[256]; /* "" = loaded */
} lib;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
	void *h = dlopen(LIBNFTABLES_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(lib.why, sizeof(lib.why), "%s", dlerror());
		return;
	}
	struct {
		void **slot;
		const char *name;
	} syms[] = {
		{ (void **)&lib.ctx_new, "nft_ctx_new" },
		{ (void **)&lib.ctx_free, "nft_ctx_free" },
		{ (void **)&lib.buffer_output, "nft_ctx_buffer_output" },
		{ (void **)&lib.buffer_error, "nft_ctx_buffer_error" },
		{ (void **)&lib.get_output, "nft_ctx_get_output_buffer" },
		{ (void **)&lib.get_error, "nft_ctx_get_error_buffer" },
		{ (void **)&lib.run, "nft_run_cmd_from_buffer" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(syms); i++) {
		*syms[i].slot = dlsym(h, syms[i].name);
		if (!*syms[i].slot) {
			snprintf(lib.why, sizeof(lib.why), "%s", dlerror());
			return;
		}
	}
}

/* In this process: loads the library (once) and runs the script. */
static int run_here(const char *script, char **out, box_err_t *err)
{
	pthread_once(&once, load);
	if (lib.why[0])
		return box_error(err, ENOENT,
				 "cannot load " LIBNFTABLES_SONAME " (packet filtering for managed bridges and "
				 "forwards; Debian package libnftables1): %s",
				 lib.why);
	struct nft_ctx *ctx = lib.ctx_new(NFT_CTX_DEFAULT);
	if (!ctx)
		return box_error(err, ENOMEM, "nft_ctx_new");
	lib.buffer_output(ctx);
	lib.buffer_error(ctx);
	int r = lib.run(ctx, script);
	if (r != 0) {
		cleanup_free char *msg = xstrdup(lib.get_error(ctx));
		size_t n = strlen(msg);
		while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
			msg[--n] = '\0';
		/* the first line is what went wrong; the rest echoes the script */
		msg[strcspn(msg, "\n")] = '\0';
		lib.ctx_free(ctx);
		return box_error(err, 0, "nftables: %s", msg[0] ? msg : "the transaction failed");
	}
	if (out)
		*out = xstrdup(lib.get_output(ctx));
	lib.ctx_free(ctx);
	return 0;
}

/* Reads a child's whole answer. */
static char *read_answer(int fd, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = xmalloc(cap);
	for (;;) {
		if (n + 1 >= cap)
			buf = xrealloc(buf, cap *= 2);
		ssize_t r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* In a child that exits after it: a supervisor that keeps a container's
 * rules never maps libnftables and what it pulls in (5 MB more RSS here
 * until the supervisor sheds its start-up pages), nor does the dnsmasq
 * daemon it forks; one fork of a small process and the loading cost ~2 ms
 * per transaction, a few per start. The answer: '0' and the output, or '1'
 * and the error. */
int nft_run(const char *script, char **out, box_err_t *err)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return box_error(err, errno, "pipe");
	pid_t c = fork();
	if (c < 0) {
		close(p[0]);
		close(p[1]);
		return box_error(err, errno, "fork");
	}
	if (c == 0) {
		close(p[0]);
		char *o = NULL;
		box_err_t e = NULL;
		int r = run_here(script, &o, &e);
		const char *text = r == 0 ? o : e->msg;
		if (write_all(p[1], r == 0 ? "0" : "1", 1) != 1 || write_all(p[1], text, strlen(text)) < 0)
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	size_t len = 0;
	cleanup_free char *ans = read_answer(p[0], &len);
	close(p[0]);
	int st = 0;
	while (waitpid(c, &st, 0) < 0 && errno == EINTR)
		;
	if (len == 0 || (ans[0] != '0' && ans[0] != '1'))
		return box_error(err, 0, "nftables: its helper process ended without an answer (status %d)", st);
	if (ans[0] == '1')
		return box_error(err, 0, "%s", ans + 1);
	if (out)
		*out = xstrdup(ans + 1);
	return 0;
}

int nft_chains(char ***out, box_err_t *err)
{
	cleanup_free char *text = NULL;
	box_err_t e = NULL;
	*out = xzalloc(sizeof(char *));
	if (nft_run("list table " NFT_TABLE, &text, &e) < 0) {
		/* no table: no chains (the message is nft's "No such file or directory") */
		if (strstr(e->msg, "No such file or directory")) {
			box_error_release(&e);
			return 0;
		}
		*err = e;
		return -1;
	}
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		line += strspn(line, " \t");
		if (strncmp(line, "chain ", 6))
			continue;
		char *name = line + 6;
		name[strcspn(name, " {")] = '\0';
		if (name[0] == '"') {
			name++;
			name[strcspn(name, "\"")] = '\0';
		}
		strv_push(out, name);
	}
	return 0;
}

int nft_gc(box_err_t *err)
{
	cleanup_strv char **chains = NULL;
	if (nft_chains(&chains, err) < 0)
		return -1;
	if (chains[0])
		return 0;
	/* "add" first: deleting a table that is not there is an error */
	return nft_run("add table " NFT_TABLE "\ndelete table " NFT_TABLE "\n", NULL, err);
}

int nft_lock(box_err_t *err)
{
	if (mkdir_p(NFT_HOST_DIR, 0755, err) < 0)
		return -1;
	return lock_path(NFT_HOST_DIR "/lock", O_CLOEXEC, err);
}
