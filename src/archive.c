/* Placeholder until the archive module lands. */
#include "archive.h"

#include <errno.h>

int archive_open_read(const char *path, struct archive **out, box_err_t *err)
{
	return box_error(err, ENOSYS, "archive: not implemented yet");
}
void archive_close_read(struct archive *a) {}
int archive_extract(struct archive *a, const char *target, const struct extract_opts *o, box_err_t *err)
{
	return box_error(err, ENOSYS, "archive: not implemented yet");
}
int archive_extract_file(const char *tarball, const char *target, const struct extract_opts *o,
			 box_err_t *err)
{
	return box_error(err, ENOSYS, "archive: not implemented yet");
}
