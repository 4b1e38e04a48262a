/* The text libconfuse is given (see config_prepare_text). */
#include <stdbool.h>
#include <string.h>

#include "config/internal.h"
#include "base/util.h"

/* libconfuse's lexer is handed text it cannot get wrong, and whose line
 * numbers it keeps (Debian's 3.3 counts a '#' comment as three lines):
 *  - comments (# // and C style) become spaces, their newlines stay;
 *  - "${VAR}" would be replaced by the manager's environment: a config means
 *    what it says, so it is kept literally in strings and an error outside;
 *  - a bare word with a '+' ("SIGRTMIN+3") is quoted: its lexer only knows
 *    "+=" and would drop the '+';
 *  - a NUL byte is an error (it would end the text early). */
/* The text being prepared: read at i, written at o (at most 4 bytes out
 * per byte in), line of i. */
struct prep {
	struct cfg_ctx *ctx;
	const char *in;
	size_t len, i;
	char *out;
	size_t o;
	unsigned line;
};

static char at(const struct prep *p, size_t k)
{
	return k < p->len ? p->in[k] : '\0';
}

/* A C comment: its newlines stay, the rest is one space. */
static void block_comment(struct prep *p)
{
	unsigned start = p->line;
	p->i += 2;
	while (p->i < p->len && !(p->in[p->i] == '*' && at(p, p->i + 1) == '/')) {
		if (p->in[p->i] == '\n') {
			p->out[p->o++] = '\n';
			p->line++;
		}
		p->i++;
	}
	if (p->i >= p->len) {
		ctx_error(p->ctx, start, "syntax error", "a /* comment is not closed (end it with */)");
		p->ctx->prep_fatal = true;
	} else {
		p->i += 2;
	}
	p->out[p->o++] = ' ';
}

/* One character inside a quoted string. */
static void quoted_char(struct prep *p, char q)
{
	const char *in = p->in;
	if (in[p->i] == '\0') {
		ctx_error(p->ctx, p->line, "syntax error", "a NUL byte (a config is text)");
		p->out[p->o++] = ' ';
		p->i++;
		return;
	}
	if (in[p->i] == '\n')
		p->line++;
	if (q == '"' && in[p->i] == '$' && at(p, p->i + 1) == '{') {
		memcpy(p->out + p->o, "\\x24", 4);
		p->o += 4;
		p->i++;
		return;
	}
	if (in[p->i] == '\\' && p->i + 1 < p->len && in[p->i + 1] != '\0') {
		if (in[p->i + 1] == '\n')
			p->line++;
		p->out[p->o++] = in[p->i++];
	}
	p->out[p->o++] = in[p->i++];
}

static void quoted(struct prep *p)
{
	char q = p->in[p->i];
	unsigned qline = p->line;
	p->out[p->o++] = p->in[p->i++];
	while (p->i < p->len && p->in[p->i] != q)
		quoted_char(p, q);
	if (p->i < p->len) {
		p->out[p->o++] = p->in[p->i++];
	} else {
		ctx_error(p->ctx, qline, "syntax error", "a quoted string is not closed (end it with %c)", q);
		p->ctx->prep_fatal = true;
	}
}

/* ${...} outside quotes: an error, read on as the literal text it is, so
 * that the rest is still checked. */
static void dollar(struct prep *p)
{
	ctx_error(p->ctx, p->line, "syntax error", "${...} is not expanded (write the value itself)");
	memcpy(p->out + p->o, "\"\\x24", 5);
	p->o += 5;
	for (p->i++; p->i < p->len && p->in[p->i] && !strchr("}\n\"'\\", p->in[p->i]); p->i++)
		p->out[p->o++] = p->in[p->i];
	if (p->i < p->len && p->in[p->i] == '}')
		p->out[p->o++] = p->in[p->i++];
	p->out[p->o++] = '"';
}

/* A bare word, as far as libconfuse would read it plus '+': quoted when it
 * has a '+'. */
static void word(struct prep *p)
{
	size_t j = p->i;
	bool plus = false;
	while (j < p->len) {
		char d = p->in[j], dn = at(p, j + 1);
		if (d == '\0' || strchr(" \t\r\n#\"'={}(),*", d) || (d == '+' && dn == '=') ||
		    (d == '/' && (dn == '/' || dn == '*')) || (d == '$' && dn == '{'))
			break;
		plus |= d == '+';
		j++;
	}
	if (plus)
		p->out[p->o++] = '"';
	for (; p->i < j; p->i++) {
		if (plus && p->in[p->i] == '\\')
			p->out[p->o++] = '\\';
		p->out[p->o++] = p->in[p->i];
	}
	if (plus)
		p->out[p->o++] = '"';
}

char *config_prepare_text(struct cfg_ctx *ctx, const char *in, size_t len)
{
	struct prep p = { .ctx = ctx, .in = in, .len = len, .out = xmalloc(len * 4 + 3), .line = 1 };
	while (p.i < len) {
		char c = in[p.i], next = at(&p, p.i + 1);
		if (c == '\0') {
			ctx_error(ctx, p.line, "syntax error", "a NUL byte (a config is text)");
			p.out[p.o++] = ' ';
			p.i++;
		} else if (c == '\n') {
			p.out[p.o++] = c;
			p.line++;
			p.i++;
		} else if (c == '#' || (c == '/' && next == '/')) {
			while (p.i < len && in[p.i] != '\n')
				p.i++;
		} else if (c == '/' && next == '*') {
			block_comment(&p);
		} else if (c == '"' || c == '\'') {
			quoted(&p);
		} else if (c == '$' && next == '{') {
			dollar(&p);
		} else if (strchr(" \t\r={}(),*", c) || (c == '+' && next == '=')) {
			/* libconfuse takes a section left open at the end as closed */
			if (c == '{' && ctx->open_depth++ == 0)
				ctx->open_line = p.line;
			if (c == '}' && ctx->open_depth > 0)
				ctx->open_depth--;
			p.out[p.o++] = c;
			p.i++;
		} else {
			word(&p);
		}
	}
	p.out[p.o] = '\0';
	return p.out;
}
