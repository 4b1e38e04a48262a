/* Internal to the config module: libconfuse glue shared by <name>.conf and
 * boxes.conf. text.c prepares the text, parse.c parses it and rewrites
 * libconfuse's messages, diag.c collects every message, apply.c converts
 * the values. Every value is captured as text with the line it was
 * written on; converting and checking it is ours, so that every error of a file is collected (libconfuse stops at its
 * first) and names file:line. */
#ifndef BOX_CONFIG_PARSE_H
#define BOX_CONFIG_PARSE_H

#include <confuse.h>
#include <stdbool.h>
#include <stddef.h>

#include "config/schema.h"
#include "base/log.h"

/* A config is a page of text; more is a mistake (and parsing it would cost). */
#define CONFIG_MAX_BYTES (1u << 20)

/* One value as written. */
struct cval {
	unsigned line;
	char text[];
};

struct diag {
	unsigned line, seq;
	char *msg;
};

struct seen_key {
	const void *sec;
	const char *name;
	unsigned line;
};

struct cfg_ctx {
	const char *label; /* the file name in messages */
	struct diag *errs, *warns;
	size_t n_errs, n_warns;
	unsigned seq;
	char *text;	       /* the prepared text, once parsed */
	struct seen_key *seen; /* single-value keys set so far (while parsing) */
	size_t n_seen;
	bool parse_failed;
	bool prep_fatal;
	bool unknown_pending; /* libconfuse stopped at an unknown key: */
	unsigned unknown_line;
	char unknown_name[256]; /* an unclosed quote or comment: the rest is unreadable */
	unsigned open_depth, open_line;
	/* '{' not closed yet, the first one's line */ /* libconfuse stopped early: checks across keys would mislead
							*/
	unsigned lines[64]; /* line of each key of the scope being applied, by schema index */
};

void ctx_error(struct cfg_ctx *ctx, unsigned line, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void ctx_warn(struct cfg_ctx *ctx, unsigned line, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Sorts the messages into file order, hands them out (errors/warnings may be
 * NULL), sets err to the first error; returns -1 when there was one. Frees
 * the context's messages. */
int ctx_finish(struct cfg_ctx *ctx, char ***errors, char ***warnings, box_err_t *err);

/* Parses text of a scope (SC_CONTAINER or SC_GLOBAL). When libconfuse stops
 * at a syntax error (in ctx), what it read so far is returned and
 * ctx->parse_failed is set. */
cfg_t *config_parse_text(struct cfg_ctx *ctx, enum config_scope root, const char *buf, size_t len);
void config_parse_free(cfg_t *cfg);
static inline void config_parse_freep(cfg_t **cfg)
{
	config_parse_free(*cfg);
}
#define cleanup_cfg __attribute__((cleanup(config_parse_freep)))
/* The line of a section's title. */
unsigned config_section_line(cfg_t *sec);

/* Handles a key whose offset is HAND: one value (lists: called per value). */
typedef void (*config_hand_fn)(struct cfg_ctx *ctx, const struct config_key *k, void *obj, const char *text,
			       unsigned line, const char *key);
/* Converts every key of `scope` in `sec` into `obj` (defaults for keys not
 * written), recording errors. `where` prefixes keys in messages ("network
 * eth0: ") or is "". ctx->lines gets the line of each key written. */
void config_apply_scope(struct cfg_ctx *ctx, cfg_t *sec, enum config_scope scope, void *obj, const char *where,
			config_hand_fn hand);
/* The line key `name` of the scope was written on by the last
 * config_apply_scope, 0 when it was not written. */
unsigned config_key_line(struct cfg_ctx *ctx, enum config_scope scope, const char *name);

/* Loads a container config into a new struct (never NULL), errors into ctx;
 * without `checks` only each value is checked, not how they fit together. */
struct box_config;
struct box_config *config_load_values(struct cfg_ctx *ctx, const char *buf, size_t len, const char *name, bool checks);
/* The text libconfuse is given: comments blanked (newlines kept, so lines
 * match the original), see text.c. NUL-terminated, malloc'd. */
char *config_prepare_text(struct cfg_ctx *ctx, const char *buf, size_t len);
/* A value as the config syntax writes it: bare when it reads back as is,
 * else in double quotes (malloc'd). */
char *config_quote(const char *s);

/* ---- types.c: what the schema does with each type ---- */

/* True when values of type t have a parser (else their keys are HAND). */
bool config_type_has_parser(enum config_type t);
/* True when the key has a field the generic write, compare and free handle. */
bool config_type_has_field(const struct config_key *k);
/* Parses text into k's field of obj; an error goes to ctx (-1). */
int config_type_parse(struct cfg_ctx *ctx, const struct config_key *k, void *obj, const char *text, unsigned line,
		      const char *key);
/* A single value as written (malloc'd, unquoted), NULL when unset: not
 * written. Lists are char ** fields, written by the caller. */
char *config_type_format(const struct config_key *k, const void *obj);
/* Every field of the scope's keys equal / freed (HAND keys are the caller's). */
bool config_scope_equal(enum config_scope scope, const void *a, const void *b);
void config_scope_free(enum config_scope scope, void *obj);

/* The value of one key as `config show` writes it ("512M", "{10.0.0.2/24}"),
 * NULL when it is not written (unset). */
char *config_value_text(const struct config_key *k, const void *obj);

/* "network eth0: address" (malloc'd). */
char *config_key_path(const char *where, const char *name);

#endif
