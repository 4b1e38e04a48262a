/* libFuzzer target: any bytes through config_load_buffer (and the boxes.conf
 * loader, and config_write of what loads) must neither crash nor leak. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "config/config.h"
#include "base/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct box_config *c = NULL;
	box_err_t err = NULL;
	char **errors = NULL, **warnings = NULL;
	if (config_load_buffer_report((const char *)data, size, "fuzz.conf", "fuzz", &c, &errors, &warnings, &err) ==
	    0) {
		/* what loads must write and load back equal */
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);
		config_write(f, c);
		fclose(f);
		struct box_config *again = NULL;
		box_err_t err2 = NULL;
		if (config_load_buffer(text, len, "again.conf", "fuzz", &again, &err2) < 0 || !config_equal(c, again)) {
			fprintf(stderr, "round trip failed: %s\n%s", err2 ? err2->msg : "not equal", text);
			abort();
		}
		config_free(again);
		free(text);
	} else if (!errors || !errors[0] || !err) {
		fprintf(stderr, "a failed load without an error\n");
		abort();
	}
	config_free(c);
	strv_free(errors);
	strv_free(warnings);
	box_error_release(&err);

	struct box_global *g = NULL;
	if (global_load_buffer_report((const char *)data, size, "boxes.conf", &g, NULL, NULL, &err) == 0)
		global_free(g);
	box_error_release(&err);
	return 0;
}
