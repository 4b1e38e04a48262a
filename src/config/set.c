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

/* Finds the top-level statements "KEY = ..." of the prepared text, line by
 * line. A statement must end on a line that holds nothing else; returns -1
 * (and the line) when a line is too crowded to edit safely. */
static int find_stmts(struct line *lines, size_t n, struct stmt **out, size_t *n_out, size_t *bad_line)
{
	int depth = 0;
	char quote = 0;
	struct stmt *v = NULL;
	size_t nv = 0;
	for (size_t i = 0; i < n; i++) {
		const char *s = lines[i].prep;
		size_t l = lines[i].prep_len;
		size_t j = 0;
		if (depth == 0 && !quote) {
			while (j < l && isspace((unsigned char)s[j]))
				j++;
			size_t k = j;
			while (k < l && (isalnum((unsigned char)s[k]) || s[k] == '_'))
				k++;
			size_t e = k;
			while (e < l && isspace((unsigned char)s[e]))
				e++;
			if (k > j && k - j < 64 && e < l &&
			    (s[e] == '=' || (s[e] == '+' && e + 1 < l && s[e + 1] == '='))) {
				v = xrealloc(v, (nv + 1) * sizeof(*v));
				snprintf(v[nv].key, sizeof(v[nv].key), "%.*s", (int)(k - j), s + j);
				v[nv].first = i;
				v[nv].last = i;
				nv++;
				/* scan the value: it ends where depth is back at 0 after something */
				size_t p = s[e] == '=' ? e + 1 : e + 2;
				bool seen_value = false, done = false;
				size_t li = i;
				const char *ls = s;
				size_t ll = l;
				for (;;) {
					for (; p < ll; p++) {
						char c = ls[p];
						if (quote) {
							if (c == '\\')
								p++;
							else if (c == quote) {
								quote = 0;
								if (depth == 0)
									done = true;
							}
							continue;
						}
						if (done) {
							if (!isspace((unsigned char)c)) {
								*bad_line = li + 1;
								free(v);
								return -1;
							}
							continue;
						}
						if (c == '"' || c == '\'') {
							quote = c;
							seen_value = true;
						} else if (c == '{') {
							depth++;
							seen_value = true;
						} else if (c == '}') {
							depth--;
							if (depth == 0)
								done = true;
						} else if (!isspace((unsigned char)c)) {
							seen_value = true;
							if (depth == 0) {
								/* a bare word: runs to the next space */
								while (p + 1 < ll && !isspace((unsigned char)ls[p + 1]))
									p++;
								done = true;
							}
						}
					}
					if (done || li + 1 >= n)
						break;
					if (seen_value && depth == 0 && !quote)
						break;
					li++;
					ls = lines[li].prep;
					ll = lines[li].prep_len;
					p = 0;
				}
				v[nv - 1].last = li;
				i = li;
				continue;
			}
		}
		/* anything else: track braces and quotes to know the depth */
		for (; j < l; j++) {
			char c = s[j];
			if (quote) {
				if (c == '\\')
					j++;
				else if (c == quote)
					quote = 0;
				continue;
			}
			if (c == '"' || c == '\'')
				quote = c;
			else if (c == '{')
				depth++;
			else if (c == '}')
				depth--;
		}
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
	cleanup_free char *orig = NULL;
	if (read_file_at(AT_FDCWD, path, &orig, NULL, err) < 0)
		return -1;

	int ret = -1;
	struct cfg_ctx pctx = { .label = path };
	cleanup_free char *prep = config_prepare_text(&pctx, orig, strlen(orig));
	ctx_finish(&pctx, NULL, NULL, NULL);
	struct line *lines = NULL;
	size_t cap = 0;
	size_t n = split_lines(orig, &lines, &cap, false);
	size_t n2 = split_lines(prep, &lines, &cap, true);
	struct stmt *stmts = NULL;
	size_t n_stmts = 0, bad_line = 0;
	char *key = NULL, *value = NULL;
	char *appended = xstrdup("");
	char *out = NULL;
	if (n2 != n) {
		box_error(err, 0, "%s: cannot edit: its lines are unreadable (edit it by hand)", path);
		goto out;
	}
	if (find_stmts(lines, n, &stmts, &n_stmts, &bad_line) < 0) {
		box_usage_error(err,
				"%s:%zu: more than one statement on the line, cannot edit it safely (one "
				"KEY = VALUE per line)",
				path, bad_line);
		goto out;
	}
	for (size_t a = 0; assignments && assignments[a]; a++) {
		const struct config_key *k = NULL;
		free(key);
		free(value);
		key = value = NULL;
		if (parse_assignment(assignments[a], &key, &value, &k, err) < 0)
			goto out;
		if (value) {
			/* the value alone first: its message then names no line of the file */
			struct cfg_ctx vctx = { .label = "set" };
			cleanup_free char *text = xasprintf("%s = %s\n", key, value);
			struct box_config *c = config_load_values(&vctx, text, strlen(text), name, false);
			config_free(c);
			if (vctx.n_errs) {
				cleanup_strv char **errs = NULL;
				ctx_finish(&vctx, &errs, NULL, NULL);
				const char *m = errs[0];
				if (!strncmp(m, "set:1: ", 7))
					m += 7;
				box_usage_error(err, "%s", m);
				goto out;
			}
			ctx_finish(&vctx, NULL, NULL, NULL);
		}
		bool found = false;
		for (size_t s = 0; s < n_stmts; s++) {
			if (strcmp(stmts[s].key, key))
				continue;
			struct line *first = &lines[stmts[s].first], *last = &lines[stmts[s].last];
			for (size_t i = stmts[s].first; i <= stmts[s].last; i++) {
				free(lines[i].replaced);
				lines[i].replaced = NULL;
				lines[i].deleted = true;
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
			char *t = xasprintf("%s%s = %s\n", appended, key, value);
			free(appended);
			appended = t;
		}
	}

	/* the new text: appended keys go after the last top-level key, or first */
	size_t after = n_stmts ? stmts[n_stmts - 1].last + 1 : 0;
	cap = strlen(orig) + strlen(appended) + 64;
	for (size_t i = 0; i < n; i++)
		cap += lines[i].replaced ? strlen(lines[i].replaced) + 1 : 0;
	out = xmalloc(cap);
	size_t o = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i == after && *appended) {
			if (o > 0 && out[o - 1] != '\n')
				out[o++] = '\n';
			memcpy(out + o, appended, strlen(appended));
			o += strlen(appended);
		}
		if (i == n)
			break;
		if (lines[i].deleted && !lines[i].replaced)
			continue;
		const char *t = lines[i].replaced ? lines[i].replaced : lines[i].orig;
		size_t l = lines[i].replaced ? strlen(t) : lines[i].orig_len;
		memcpy(out + o, t, l);
		o += l;
		if (lines[i].has_nl || lines[i].replaced)
			out[o++] = '\n';
	}
	out[o] = '\0';

	/* the whole edited file must be right: values together, sections, conflicts */
	struct box_config *c = NULL;
	if (config_load_buffer(out, o, path, name, &c, err) < 0)
		goto out;
	int rc = config_check_conflicts(c, err);
	config_free(c);
	if (rc < 0)
		goto out;
	if (write_file_atomic(path, out, o, st.st_mode & 07777, err) < 0)
		goto out;
	if (chown(path, st.st_uid, st.st_gid) < 0 && errno != EPERM) {
		box_error(err, errno, "%s: keeping the owner", path);
		goto out;
	}
	ret = 0;
out:
	for (size_t i = 0; i < n; i++)
		free(lines[i].replaced);
	free(lines);
	free(stmts);
	free(key);
	free(value);
	free(appended);
	free(out);
	return ret;
}
