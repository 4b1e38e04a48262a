/* libFuzzer target: any bytes as a vzdump archive's pct.conf through
 * pct_import must neither crash nor leak; a failure comes with an error; a
 * success is a config that loads, and what pct_export writes of it imports
 * back as ours and equal. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive/pct-export.h"
#include "archive/pct.h"
#include "base/util.h"
#include "config/config.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* no note sink (base/notes.h): the warnings of each input are dropped */
	return 0;
}

static struct box_config *load(const char *text, const char *what)
{
	struct box_config *c = NULL;
	box_err_t err = NULL;
	if (config_load_buffer(text, strlen(text), what, "fuzz", &c, &err) < 0) {
		fprintf(stderr, "%s does not load: %s\n%s", what, err ? err->msg : "?", text);
		abort();
	}
	return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pct_import p = { 0 };
	box_err_t err = NULL;
	if (pct_import((const char *)data, size, "fuzz", NULL, &p, &err) < 0) {
		if (!err) {
			fprintf(stderr, "a failed pct_import without an error\n");
			abort();
		}
		box_error_release(&err);
		pct_import_free(&p);
		return 0;
	}
	struct box_config *c = load(p.config_text, "the imported config");
	char *changes = NULL;
	char *pct = pct_export(c, NULL, 0, &changes);
	free(changes);
	struct pct_import q = { 0 };
	if (pct_import(pct, strlen(pct), "fuzz", NULL, &q, &err) < 0 || !q.ours) {
		fprintf(stderr, "pct_export's text does not import as ours: %s\n%s", err ? err->msg : "?", pct);
		abort();
	}
	struct box_config *again = load(q.config_text, "the config imported again");
	if (!config_equal(c, again)) {
		fprintf(stderr, "export and import changed the config:\n%s\n----\n%s", p.config_text, q.config_text);
		abort();
	}
	config_free(again);
	config_free(c);
	free(pct);
	pct_import_free(&q);
	pct_import_free(&p);
	return 0;
}
