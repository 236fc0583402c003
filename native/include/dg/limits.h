/* Hard limits applied to every size read from a delta before anything is allocated. */
#ifndef DG_LIMITS_H
#define DG_LIMITS_H

/* xdelta3's decoder refuses target windows over 16 MiB; so do we. */
#define DG_MAX_WINDOW_SIZE (16u * 1024u * 1024u)
/* Our encoder's default window (same as xdelta3's -W default). */
#define DG_DEFAULT_WINDOW_SIZE (8u * 1024u * 1024u)
/* Smallest window the encoder accepts (xdelta3: 16 KiB). */
#define DG_MIN_WINDOW_SIZE (16u * 1024u)
/* Application header: xdelta3 writes short names; anything longer is refused. */
#define DG_MAX_APP_HEADER (64u * 1024u)
/* A section never needs to be larger than this (data <= T, inst <= ~3T, addr <= ~5T). */
#define DG_MAX_SECTION_SIZE (6u * DG_MAX_WINDOW_SIZE)

#endif
