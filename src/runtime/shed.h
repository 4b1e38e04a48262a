/* The supervisor lives as long as the container and does little: it gives
 * back the pages its start-up touched, so that its RSS is what its loop
 * needs. */
#ifndef BOX_SHED_H
#define BOX_SHED_H

/* Unmaps the library and program pages that start-up touched (read-only
 * file pages only, never one holding a private copy: those have Anonymous
 * > 0). The pages stay in the page cache.
 * Two passes: smaps is parsed with stdio first, and only then are the
 * ranges dropped, so the parser does not fault back what it just dropped
 * (each fault maps a 64 kB window of the file). Symbols are bound at load
 * time (-z now), so the loop does not fault ld.so and every library's
 * symbol tables back in either. */
void shed_pages(void);

#endif
