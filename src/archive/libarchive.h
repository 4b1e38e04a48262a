/* libarchive, loaded on first use (libarchive.c defines its functions as
 * calls through dlsym): what boxes adds to its API. */
#ifndef BOX_LIBARCHIVE_H
#define BOX_LIBARCHIVE_H

struct archive;
struct archive_entry;
struct archive_entry_linkresolver;

/* archive_read_free / archive_write_free for cleanup attributes (a reader
 * and a writer are freed differently). NULL is fine. */
void archive_read_freep(struct archive **a);
void archive_write_freep(struct archive **a);
#define cleanup_archive_read __attribute__((cleanup(archive_read_freep)))
#define cleanup_archive_write __attribute__((cleanup(archive_write_freep)))
void archive_entry_freep(struct archive_entry **e);
void archive_entry_linkresolver_freep(struct archive_entry_linkresolver **lr);
#define cleanup_archive_entry __attribute__((cleanup(archive_entry_freep)))
#define cleanup_archive_linkresolver __attribute__((cleanup(archive_entry_linkresolver_freep)))

#endif
