/* libarchive, loaded on first use (libarchive.c defines its functions as
 * calls through dlsym): what boxes adds to its API. */
#ifndef BOX_LIBARCHIVE_H
#define BOX_LIBARCHIVE_H

struct archive;

/* archive_read_free / archive_write_free for cleanup attributes (a reader
 * and a writer are freed differently). NULL is fine. */
void archive_read_freep(struct archive **a);
void archive_write_freep(struct archive **a);
#define cleanup_archive_read __attribute__((cleanup(archive_read_freep)))
#define cleanup_archive_write __attribute__((cleanup(archive_write_freep)))

#endif
