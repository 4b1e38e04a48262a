/* `box set NAME key=value...`: edits the lines of top-level keys in
 * <name>.conf and keeps everything else (comments, order, sections) as the
 * user wrote it. The edited text must load without error before it replaces
 * the file (atomically); on any error nothing changes.
 *
 * VALUE is written as a config value: quoted when needed. A list key takes
 * a config list "{a, b}" or one value; an empty VALUE removes the key (its
 * default applies again). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "config/internal.h"
#include "base/paths.h"
#include "base/util.h"

struct line {
	const char *orig; /* into the original text */
	size_t orig_len;  /* without '\n' */
	const char *prep; /* into the prepared text (comments blanked) */
	size_t prep_len;
	bool has_nl;
	char *replaced; /* new content (without '\n'), or NULL */
	bool deleted;
};

struct stmt {
	char key[64];
	size_t first, last; /* line indexes */
};

/* Splits text into lines: the original text fills .orig, the prepared one
 * (same number of lines) .prep; returns the count. */
static size_t split_lines(const char *s, struct line **v, size_t *cap, bool prep)
{
	size_t n = 0;
	for (const char *p = s; *p;) {
		const char *e = strchr(p, '\n');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (n + 1 >= *cap) {
			*cap = *cap ? *cap * 2 : 16;
			*v = xrealloc(*v, *cap * sizeof(**v));
			memset(*v + n, 0, (*cap - n) * sizeof(**v));
		}
		if (prep) {
			(*v)[n].prep = p;
			(*v)[n].prep_len = l;
		} else {
			(*v)[n].orig = p;
			(*v)[n].orig_len = l;
			(*v)[n].has_nl = e != NULL;
		}
		n++;
		if (!e)
			break;
		p = e + 1;
	}
	return n;
}

/* Where the lexer is between lines: inside how many braces, inside a quote. */
struct lex {
	int depth;
	char quote;
};

/* Tracks quotes and braces over s[j..l) (a line that is no statement). */
static void lex_skip(struct lex *x, const char *s, size_t j, size_t l)
{
	for (; j < l; j++) {
		char c = s[j];
		if (x->quote) {
			if (c == '\\')
				j++;
			else if (c == x->quote)
				x->quote = 0;
		} else if (c == '"' || c == '\'') {
			x->quote = c;
		} else if (c == '{') {
			x->depth++;
		} else if (c == '}') {
			x->depth--;
		}
	}
}

/* A line starting "KEY =" or "KEY +=": the key's start and length, where its
 * value starts; false when the line is no statement. */
static bool stmt_key(const char *s, size_t l, size_t *key, size_t *key_len, size_t *value)
{
	size_t j = 0;
	while (j < l && isspace((unsigned char)s[j]))
		j++;
	size_t k = j;
	while (k < l && (isalnum((unsigned char)s[k]) || s[k] == '_'))
		k++;
	size_t e = k;
	while (e < l && isspace((unsigned char)s[e]))
		e++;
	if (k == j || k - j >= 64 || e >= l || !(s[e] == '=' || (s[e] == '+' && e + 1 < l && s[e + 1] == '=')))
		return false;
	*key = j, *key_len = k - j;
	*value = s[e] == '=' ? e + 1 : e + 2;
	return true;
}

/* One character of a value; sets *done where the value ends (depth back at
 * 0 after something). False when something follows the end on its line. */
static bool value_char(struct lex *x, const char *s, size_t *p, size_t l, bool *seen, bool *done)
{
	char c = s[*p];
	if (x->quote) {
		if (c == '\\')
			(*p)++;
		else if (c == x->quote) {
			x->quote = 0;
			*done |= x->depth == 0;
		}
	} else if (*done) {
		return isspace((unsigned char)c);
	} else if (c == '"' || c == '\'') {
		x->quote = c;
		*seen = true;
	} else if (c == '{') {
		x->depth++;
		*seen = true;
	} else if (c == '}') {
		*done |= --x->depth == 0;
	} else if (!isspace((unsigned char)c)) {
		*seen = true;
		if (x->depth == 0) {
			/* a bare word: runs to the next space */
			while (*p + 1 < l && !isspace((unsigned char)s[*p + 1]))
				(*p)++;
			*done = true;
		}
	}
	return true;
}

/* Scans the value that starts on line i at p to its end: its last line, or
 * -1 with *bad_line when something follows it on that line. */
static ssize_t stmt_value(struct lex *x, const struct line *lines, size_t n, size_t i, size_t p, size_t *bad_line)
{
	bool seen = false, done = false;
	for (;;) {
		for (; p < lines[i].prep_len; p++)
			if (!value_char(x, lines[i].prep, &p, lines[i].prep_len, &seen, &done)) {
				*bad_line = i + 1;
				return -1;
			}
		if (done || i + 1 >= n || (seen && x->depth == 0 && !x->quote))
			return (ssize_t)i;
		i++;
		p = 0;
	}
}

/* Finds the top-level statements "KEY = ..." of the prepared text, line by
 * line. A statement must end on a line that holds nothing else; returns -1
 * (and the line) when a line is too crowded to edit safely. */
static int find_stmts(struct line *lines, size_t n, struct stmt **out, size_t *n_out, size_t *bad_line)
{
	struct lex x = { 0 };
	struct stmt *v = NULL;
	size_t nv = 0, key, key_len, value;
	for (size_t i = 0; i < n; i++) {
		if (x.depth || x.quote || !stmt_key(lines[i].prep, lines[i].prep_len, &key, &key_len, &value)) {
			lex_skip(&x, lines[i].prep, 0, lines[i].prep_len);
			continue;
		}
		ssize_t last = stmt_value(&x, lines, n, i, value, bad_line);
		if (last < 0) {
			free(v);
			return -1;
		}
		v = xrealloc(v, (nv + 1) * sizeof(*v));
		snprintf(v[nv].key, sizeof(v[nv].key), "%.*s", (int)key_len, lines[i].prep + key);
		v[nv].first = i;
		v[nv].last = (size_t)last;
		nv++;
		i = (size_t)last;
	}
	*out = v;
	*n_out = nv;
	return 0;
}

/* "memory=1G" -> key, value text as it will be written (NULL = remove). */
static int parse_assignment(const char *a, char **key, char **value, const struct config_key **kk, box_err_t *err)
{
	const char *eq = strchr(a, '=');
	if (!eq || eq == a)
		return box_usage_error(err, "'%s' is not KEY=VALUE (like memory=1G)", a);
	/* "memory = 1G" as one argument reads as people mean it */
	const char *ks = a, *ke = eq;
	while (ks < ke && isspace((unsigned char)*ks))
		ks++;
	while (ke > ks && isspace((unsigned char)ke[-1]))
		ke--;
	*key = xstrndup(ks, (size_t)(ke - ks));
	const struct config_key *k = config_schema_find(SC_CONTAINER, *key);
	if (!k)
		return box_usage_error(err, "%s: unknown key (see 'box config keys' for every key)", *key);
	if (k->type == KT_SECTION)
		return box_usage_error(err, "%s: is a section, set it by editing the config file", *key);
	*kk = k;
	cleanup_free char *vbuf = xstrdup(eq + 1);
	char *v = vbuf;
	while (isspace((unsigned char)*v))
		v++;
	for (size_t n = strlen(v); n > 0 && isspace((unsigned char)v[n - 1]); n--)
		v[n - 1] = '\0';
	if (!*v) {
		*value = NULL;
	} else if (k->list && v[0] == '{') {
		*value = xstrdup(v);
	} else {
		cleanup_free char *q = config_quote(v);
		*value = k->list ? xasprintf("{%s}", q) : xstrdup(q);
	}
	return 0;
}

static char *indent_of(const struct line *l)
{
	size_t n = 0;
	while (n < l->orig_len && (l->orig[n] == ' ' || l->orig[n] == '\t'))
		n++;
	return xstrndup(l->orig, n);
}

/* What follows the code of a line, "   # comment", kept as it is; "" when
 * the prepared line is not simply the original without its comment. */
static char *trailing_comment(const struct line *l)
{
	if (l->prep_len > l->orig_len || memcmp(l->orig, l->prep, l->prep_len))
		return xstrdup("");
	size_t code = l->prep_len;
	while (code > 0 && isspace((unsigned char)l->prep[code - 1]))
		code--;
	if (code == l->orig_len || l->prep_len == l->orig_len)
		return xstrdup("");
	return xstrndup(l->orig + code, l->orig_len - code);
}

/* The value alone first, so that its message names no line of the file. */
static int check_value(const char *name, const char *key, const char *value, box_err_t *err)
{
	struct cfg_ctx vctx = { .label = "set" };
	cleanup_free char *text = xasprintf("%s = %s\n", key, value);
	struct box_config *c = config_load_values(&vctx, text, strlen(text), name, false);
	config_free(c);
	if (!vctx.n_errs) {
		ctx_finish(&vctx, NULL, NULL, NULL);
		return 0;
	}
	cleanup_strv char **errs = NULL;
	ctx_finish(&vctx, &errs, NULL, NULL);
	const char *m = errs[0];
	if (!strncmp(m, "set:1: ", 7))
		m += 7;
	return box_usage_error(err, "%s", m);
}

/* The file being edited: its lines, its statements, the keys to append. */
struct edit {
	struct line *lines;
	size_t n;
	struct stmt *stmts;
	size_t n_stmts;
	char *appended;
};

/* KEY's statements: the first rewritten to `value` (its indent and
 * comment kept), the others deleted; a key not there yet is appended. */
static void edit_key(struct edit *ed, const char *key, const char *value)
{
	bool found = false;
	for (size_t s = 0; s < ed->n_stmts; s++) {
		if (strcmp(ed->stmts[s].key, key))
			continue;
		struct line *first = &ed->lines[ed->stmts[s].first], *last = &ed->lines[ed->stmts[s].last];
		for (size_t i = ed->stmts[s].first; i <= ed->stmts[s].last; i++) {
			free(ed->lines[i].replaced);
			ed->lines[i].replaced = NULL;
			ed->lines[i].deleted = true;
		}
		if (!found && value) {
			cleanup_free char *ind = indent_of(first);
			cleanup_free char *comment = trailing_comment(last);
			first->deleted = false;
			first->replaced = xasprintf("%s%s = %s%s", ind, key, value, comment);
		}
		found = true;
	}
	if (!found && value) {
		char *t = xasprintf("%s%s = %s\n", ed->appended, key, value);
		free(ed->appended);
		ed->appended = t;
	}
}

/* The new text: appended keys go after the last top-level key, or first. */
static char *edited_text(const struct edit *ed, size_t orig_len, size_t *len)
{
	size_t after = ed->n_stmts ? ed->stmts[ed->n_stmts - 1].last + 1 : 0;
	size_t cap = orig_len + strlen(ed->appended) + 64;
	for (size_t i = 0; i < ed->n; i++)
		cap += ed->lines[i].replaced ? strlen(ed->lines[i].replaced) + 1 : 0;
	char *out = xmalloc(cap);
	size_t o = 0;
	for (size_t i = 0; i <= ed->n; i++) {
		if (i == after && *ed->appended) {
			if (o > 0 && out[o - 1] != '\n')
				out[o++] = '\n';
			memcpy(out + o, ed->appended, strlen(ed->appended));
			o += strlen(ed->appended);
		}
		if (i == ed->n)
			break;
		const struct line *l = &ed->lines[i];
		if (l->deleted && !l->replaced)
			continue;
		size_t tl = l->replaced ? strlen(l->replaced) : l->orig_len;
		memcpy(out + o, l->replaced ? l->replaced : l->orig, tl);
		o += tl;
		if (l->has_nl || l->replaced)
			out[o++] = '\n';
	}
	out[o] = '\0';
	*len = o;
	return out;
}

/* The whole edited file must be right (values together, sections,
 * conflicts) before it replaces the old one, with its mode and owner. */
static int commit(const char *path, const char *name, const char *text, size_t len, const struct stat *st,
		  box_err_t *err)
{
	struct box_config *c = NULL;
	if (config_load_buffer(text, len, path, name, &c, err) < 0)
		return -1;
	int rc = config_check_conflicts(c, err);
	config_free(c);
	if (rc < 0 || write_file_atomic(path, text, len, st->st_mode & 07777, err) < 0)
		return -1;
	if (chown(path, st->st_uid, st->st_gid) < 0 && errno != EPERM)
		return box_error(err, errno, "%s: keeping the owner", path);
	return 0;
}

/* Reads and splits the file; its statements found. */
static int edit_open(struct edit *ed, const char *path, const char *orig, char **prep, box_err_t *err)
{
	struct cfg_ctx pctx = { .label = path };
	*prep = config_prepare_text(&pctx, orig, strlen(orig));
	ctx_finish(&pctx, NULL, NULL, NULL);
	size_t cap = 0, bad_line = 0;
	ed->n = split_lines(orig, &ed->lines, &cap, false);
	if (split_lines(*prep, &ed->lines, &cap, true) != ed->n)
		return box_error(err, 0, "%s: cannot edit: its lines are unreadable (edit it by hand)", path);
	if (find_stmts(ed->lines, ed->n, &ed->stmts, &ed->n_stmts, &bad_line) < 0)
		return box_usage_error(err,
				       "%s:%zu: more than one statement on the line, cannot edit it safely (one "
				       "KEY = VALUE per line)",
				       path, bad_line);
	return 0;
}

static void edit_free(struct edit *ed)
{
	for (size_t i = 0; i < ed->n; i++)
		free(ed->lines[i].replaced);
	free(ed->lines);
	free(ed->stmts);
	free(ed->appended);
}

int config_set_keys(const char *name, char *const *assignments, box_err_t *err)
{
	if (paths_check_name(name, err) < 0)
		return -1;
	cleanup_free char *path = paths_config_path(name);
	cleanup_close int dirfd = open(paths_config_dir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return box_error(err, errno, "opening %s", paths_config_dir());
	/* one editor at a time: a second `box set` would undo the first */
	if (flock(dirfd, LOCK_EX) < 0)
		return box_error(err, errno, "locking %s", paths_config_dir());
	struct stat st;
	if (stat(path, &st) < 0) {
		if (errno == ENOENT)
			return box_usage_error(err, "%s: no such container (%s does not exist)", name, path);
		return box_error(err, errno, "%s", path);
	}
	cleanup_free char *orig = NULL, *prep = NULL, *out = NULL;
	if (read_file_at(AT_FDCWD, path, &orig, NULL, err) < 0)
		return -1;

	__attribute__((cleanup(edit_free))) struct edit ed = { .appended = xstrdup("") };
	if (edit_open(&ed, path, orig, &prep, err) < 0)
		return -1;
	for (size_t a = 0; assignments && assignments[a]; a++) {
		const struct config_key *k = NULL;
		cleanup_free char *key = NULL, *value = NULL;
		if (parse_assignment(assignments[a], &key, &value, &k, err) < 0 ||
		    (value && check_value(name, key, value, err) < 0))
			return -1;
		edit_key(&ed, key, value);
	}
	size_t len;
	out = edited_text(&ed, strlen(orig), &len);
	return commit(path, name, out, len, &st, err);
}
