/*
 * crc32 (IEEE 802.3, reflected polynomial 0xEDB88320, the one zlib computes) and XXH64 (seed 0), both
 * incremental, written from their specifications for the native copier (copier.c). Digests are printed
 * as src/lib/hashing.ts prints them: crc32 as 8 lowercase hex digits, xxhash64 as 16 (canonical,
 * big-endian), so a digest never depends on which copier computed it.
 */
#ifndef BARGE_HASHES_H
#define BARGE_HASHES_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
  uint32_t crc;
} barge_crc32;

typedef struct {
  uint64_t v[4];
  uint64_t total;
  uint8_t tail[32];
  size_t tail_len;
} barge_xxh64;

void barge_crc32_init(barge_crc32 *h);
void barge_crc32_update(barge_crc32 *h, const uint8_t *p, size_t n);
/* Writes 8 hex digits and a NUL into out[9]. */
void barge_crc32_hex(const barge_crc32 *h, char out[9]);

void barge_xxh64_init(barge_xxh64 *h);
void barge_xxh64_update(barge_xxh64 *h, const uint8_t *p, size_t n);
/* Writes 16 hex digits and a NUL into out[17]. */
void barge_xxh64_hex(const barge_xxh64 *h, char out[17]);

#endif
