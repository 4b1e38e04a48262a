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
char *config_prepare_text(struct cfg_ctx *ctx, const char *in, size_t len)
{
	char *out = xmalloc(len * 4 + 3);
	size_t o = 0;
	unsigned line = 1;
	size_t i = 0;
	while (i < len) {
		char c = in[i], next = i + 1 < len ? in[i + 1] : '\0';
		if (c == '\0') {
			ctx_error(ctx, line, "syntax error", "a NUL byte (a config is text)");
			out[o++] = ' ';
			i++;
		} else if (c == '\n') {
			out[o++] = c;
			line++;
			i++;
		} else if (c == '#' || (c == '/' && next == '/')) {
			while (i < len && in[i] != '\n')
				i++;
		} else if (c == '/' && next == '*') {
			unsigned start = line;
			i += 2;
			while (i < len && !(in[i] == '*' && i + 1 < len && in[i + 1] == '/')) {
				if (in[i] == '\n') {
					out[o++] = '\n';
					line++;
				}
				i++;
			}
			if (i >= len) {
				ctx_error(ctx, start, "syntax error", "a /* comment is not closed (end it with */)");
				ctx->prep_fatal = true;
			} else
				i += 2;
			out[o++] = ' ';
		} else if (c == '"' || c == '\'') {
			char q = c;
			unsigned qline = line;
			out[o++] = in[i++];
			while (i < len && in[i] != q) {
				if (in[i] == '\0') {
					ctx_error(ctx, line, "syntax error", "a NUL byte (a config is text)");
					out[o++] = ' ';
					i++;
					continue;
				}
				if (in[i] == '\n')
					line++;
				if (q == '"' && in[i] == '$' && i + 1 < len && in[i + 1] == '{') {
					memcpy(out + o, "\\x24", 4);
					o += 4;
					i++;
					continue;
				}
				if (in[i] == '\\' && i + 1 < len && in[i + 1] != '\0') {
					if (in[i + 1] == '\n')
						line++;
					out[o++] = in[i++];
				}
				out[o++] = in[i++];
			}
			if (i < len) {
				out[o++] = in[i++];
			} else {
				ctx_error(ctx, qline, "syntax error", "a quoted string is not closed (end it with %c)",
					  q);
				ctx->prep_fatal = true;
			}
		} else if (c == '$' && next == '{') {
			/* read on as the literal text it is, so that the rest is still checked */
			ctx_error(ctx, line, "syntax error", "${...} is not expanded (write the value itself)");
			memcpy(out + o, "\"\\x24", 5);
			o += 5;
			for (i++; i < len && !strchr("}\n\"'\\", in[i]) && in[i]; i++)
				out[o++] = in[i];
			if (i < len && in[i] == '}')
				out[o++] = in[i++];
			out[o++] = '"';
		} else if (strchr(" \t\r={}(),*", c) || (c == '+' && next == '=')) {
			/* libconfuse takes a section left open at the end as closed */
			if (c == '{' && ctx->open_depth++ == 0)
				ctx->open_line = line;
			if (c == '}' && ctx->open_depth > 0)
				ctx->open_depth--;
			out[o++] = c;
			i++;
		} else {
			/* a bare word, as far as libconfuse would read it plus '+' */
			size_t j = i;
			bool plus = false;
			while (j < len) {
				char d = in[j], dn = j + 1 < len ? in[j + 1] : '\0';
				if (d == '\0' || strchr(" \t\r\n#\"'={}(),*", d) || (d == '+' && dn == '=') ||
				    (d == '/' && (dn == '/' || dn == '*')) || (d == '$' && dn == '{'))
					break;
				plus |= d == '+';
				j++;
			}
			if (plus)
				out[o++] = '"';
			for (; i < j; i++) {
				if (plus && in[i] == '\\')
					out[o++] = '\\';
				out[o++] = in[i];
			}
			if (plus)
				out[o++] = '"';
		}
	}
	out[o] = '\0';
	return out;
}
