#ifndef CASEFOLD_H
#define CASEFOLD_H
/*
 * Case-insensitive matching of UTF-8 text by Unicode simple case folding
 * (CaseFolding.txt, status C and S: one code point to one), as IMAP SEARCH
 * needs it (RFC 3501 6.4.4: "case-insensitive substring").  Covered: ASCII
 * and U+0080-U+052F (Latin-1 Supplement, Latin Extended-A and -B, IPA,
 * Greek and Coptic, Cyrillic, Cyrillic Supplement) and U+1E00-U+1EFF
 * (Latin Extended Additional); every other code point folds to itself.
 * Simple folding keeps one character one: "ÄRGER" matches "ärger" and
 * "ΣΟΦΊΑ" matches "σοφία", but "STRASSE" does not match "straße" (that is
 * full folding), and no normalization is done (a precomposed "ä" is not
 * "a" with a combining diaeresis).
 *
 * Input is any bytes.  Each byte that does not start a well-formed UTF-8
 * sequence (RFC 3629: no overlong forms, no surrogates, nothing above
 * U+10FFFF, no truncated sequence) is a unit of its own, CASEFOLD_INVALID
 * plus the byte, which equals only the same invalid byte: a broken
 * sequence never matches a character by accident, and matching goes on
 * with the next byte.  No function here allocates or keeps a pointer.
 */
#include <stddef.h>
#include <stdint.h>

#define CASEFOLD_INVALID 0x110000u      /* + byte: the unit of an invalid byte */

/* The code point of the UTF-8 sequence at s + *pos (s holds n bytes,
 * *pos < n), or CASEFOLD_INVALID + the byte; advances *pos past what it
 * read (1 to 4 bytes). */
uint32_t casefold_decode(const char *s, size_t n, size_t *pos);

/* The simple case folding of c (c itself when it has none, and for
 * CASEFOLD_INVALID units). */
uint32_t casefold_cp(uint32_t c);

/* 1 if needle (nl bytes) occurs in hay (hl bytes) when both are compared
 * unit by unit after folding, else 0.  A match starts where a unit of
 * hay starts.  An empty needle occurs in every hay. */
int casefold_contains(const char *hay, size_t hl, const char *needle, size_t nl);
#endif
