/* A config's messages: collected while a file is read (libconfuse stops at
 * its first error, we do not), then sorted into file order, one line each,
 * "FILE:LINE: KEY: what is wrong". text.c and parse.c both report here. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/util.h"
#include "config/internal.h"

static void ctx_vadd(struct diag **v, size_t *n, unsigned seq, unsigned line, char *msg)
{
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[*n] = (struct diag){ .line = line, .seq = seq, .msg = msg };
	(*n)++;
}

__attribute__((format(printf, 4, 0))) static char *format_diag(struct cfg_ctx *ctx, unsigned line, const char *key,
							       const char *fmt, va_list ap)
{
	char *what = NULL;
	if (vasprintf(&what, fmt, ap) < 0)
		oom();
	char *msg = line ? xasprintf("%s:%u: %s: %s", ctx->label, line, key, what)
			 : xasprintf("%s: %s: %s", ctx->label, key, what);
	free(what);
	/* one line each, whatever a value held */
	for (char *p = msg; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	return msg;
}

void ctx_error(struct cfg_ctx *ctx, unsigned line, const char *key, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = format_diag(ctx, line, key, fmt, ap);
	va_end(ap);
	ctx_vadd(&ctx->errs, &ctx->n_errs, ctx->seq++, line, msg);
}

void ctx_warn(struct cfg_ctx *ctx, unsigned line, const char *key, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = format_diag(ctx, line, key, fmt, ap);
	va_end(ap);
	ctx_vadd(&ctx->warns, &ctx->n_warns, ctx->seq++, line, msg);
}

static int diag_cmp(const void *a, const void *b)
{
	const struct diag *x = a, *y = b;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void hand_out(struct diag *v, size_t n, char ***out)
{
	if (n)
		qsort(v, n, sizeof(*v), diag_cmp);
	if (out) {
		*out = xzalloc((n + 1) * sizeof(char *));
		for (size_t i = 0; i < n; i++)
			(*out)[i] = v[i].msg;
	} else {
		for (size_t i = 0; i < n; i++)
			free(v[i].msg);
	}
	free(v);
}

int ctx_too_large(const char *label, size_t len, char ***errors, char ***warnings, box_err_t *err)
{
	if (len <= CONFIG_MAX_BYTES)
		return 0;
	box_usage_error(err, "%s: %zu bytes is too large for a config (at most 1 MiB)", label, len);
	if (errors) {
		*errors = xzalloc(2 * sizeof(char *));
		(*errors)[0] = xstrdup(err && *err ? (*err)->msg : "too large");
	}
	if (warnings)
		*warnings = xzalloc(sizeof(char *));
	return -1;
}

int ctx_finish(struct cfg_ctx *ctx, char ***errors, char ***warnings, box_err_t *err)
{
	int ret = ctx->n_errs ? -1 : 0;
	if (ctx->n_errs) {
		qsort(ctx->errs, ctx->n_errs, sizeof(*ctx->errs), diag_cmp);
		box_usage_error(err, "%s", ctx->errs[0].msg);
	}
	hand_out(ctx->errs, ctx->n_errs, errors);
	hand_out(ctx->warns, ctx->n_warns, warnings);
	ctx->errs = ctx->warns = NULL;
	ctx->n_errs = ctx->n_warns = 0;
	free(ctx->text);
	ctx->text = NULL;
	return ret;
}

char *config_key_path(const char *where, const char *name)
{
	return xasprintf("%s%s", where, name);
}
