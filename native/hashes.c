/*
 * See hashes.h. crc32: table-driven, eight bytes per step ("slicing by 8": table k gives the crc of a
 * byte followed by k zero bytes), built once at first use. XXH64: four 64-bit lanes over 32-byte
 * stripes, then the merge, the tail rounds and the avalanche, as the xxHash specification states.
 */
#include "hashes.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

static uint32_t crc_table[8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_build(void) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int b = 0; b < 8; b++) c = (c & 1) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
    crc_table[0][i] = c;
  }
  for (int k = 1; k < 8; k++)
    for (uint32_t i = 0; i < 256; i++) crc_table[k][i] = (crc_table[k - 1][i] >> 8) ^ crc_table[0][crc_table[k - 1][i] & 0xff];
}

static inline uint32_t read32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static inline uint64_t read64(const uint8_t *p) {
  return (uint64_t)read32(p) | ((uint64_t)read32(p + 4) << 32);
}

void barge_crc32_init(barge_crc32 *h) {
  pthread_once(&crc_once, crc_build);
  h->crc = 0;
}

void barge_crc32_update(barge_crc32 *h, const uint8_t *p, size_t n) {
  uint32_t c = ~h->crc;
  while (n >= 8) {
    uint32_t lo = read32(p) ^ c;
    uint32_t hi = read32(p + 4);
    c = crc_table[7][lo & 0xff] ^ crc_table[6][(lo >> 8) & 0xff] ^ crc_table[5][(lo >> 16) & 0xff] ^ crc_table[4][lo >> 24] ^
        crc_table[3][hi & 0xff] ^ crc_table[2][(hi >> 8) & 0xff] ^ crc_table[1][(hi >> 16) & 0xff] ^ crc_table[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n-- > 0) c = (c >> 8) ^ crc_table[0][(c ^ *p++) & 0xff];
  h->crc = ~c;
}

void barge_crc32_hex(const barge_crc32 *h, char out[9]) {
  snprintf(out, 9, "%08x", h->crc);
}

#define P1 0x9E3779B185EBCA87ULL
#define P2 0xC2B2AE3D27D4EB4FULL
#define P3 0x165667B19E3779F9ULL
#define P4 0x85EBCA77C2B2AE63ULL
#define P5 0x27D4EB2F165667C5ULL

static inline uint64_t rotl(uint64_t x, int r) {
  return (x << r) | (x >> (64 - r));
}

static inline uint64_t xround(uint64_t acc, uint64_t lane) {
  acc += lane * P2;
  acc = rotl(acc, 31);
  return acc * P1;
}

static inline uint64_t xmerge(uint64_t acc, uint64_t v) {
  acc ^= xround(0, v);
  return acc * P1 + P4;
}

void barge_xxh64_init(barge_xxh64 *h) {
  h->v[0] = P1 + P2;
  h->v[1] = P2;
  h->v[2] = 0;
  h->v[3] = (uint64_t)0 - P1;
  h->total = 0;
  h->tail_len = 0;
}

static inline void stripe(uint64_t v[4], const uint8_t *p) {
  v[0] = xround(v[0], read64(p));
  v[1] = xround(v[1], read64(p + 8));
  v[2] = xround(v[2], read64(p + 16));
  v[3] = xround(v[3], read64(p + 24));
}

void barge_xxh64_update(barge_xxh64 *h, const uint8_t *p, size_t n) {
  h->total += n;
  if (h->tail_len > 0) {
    size_t take = 32 - h->tail_len;
    if (take > n) take = n;
    memcpy(h->tail + h->tail_len, p, take);
    h->tail_len += take;
    p += take;
    n -= take;
    if (h->tail_len < 32) return;
    stripe(h->v, h->tail);
    h->tail_len = 0;
  }
  while (n >= 32) {
    stripe(h->v, p);
    p += 32;
    n -= 32;
  }
  memcpy(h->tail, p, n);
  h->tail_len = n;
}

void barge_xxh64_hex(const barge_xxh64 *h, char out[17]) {
  uint64_t acc;
  if (h->total >= 32) {
    acc = rotl(h->v[0], 1) + rotl(h->v[1], 7) + rotl(h->v[2], 12) + rotl(h->v[3], 18);
    for (int i = 0; i < 4; i++) acc = xmerge(acc, h->v[i]);
  } else {
    acc = P5; /* seed 0 */
  }
  acc += h->total;
  const uint8_t *p = h->tail;
  size_t n = h->tail_len;
  while (n >= 8) {
    acc ^= xround(0, read64(p));
    acc = rotl(acc, 27) * P1 + P4;
    p += 8;
    n -= 8;
  }
  if (n >= 4) {
    acc ^= (uint64_t)read32(p) * P1;
    acc = rotl(acc, 23) * P2 + P3;
    p += 4;
    n -= 4;
  }
  while (n-- > 0) {
    acc ^= (uint64_t)(*p++) * P5;
    acc = rotl(acc, 11) * P1;
  }
  acc ^= acc >> 33;
  acc *= P2;
  acc ^= acc >> 29;
  acc *= P3;
  acc ^= acc >> 32;
  snprintf(out, 17, "%016llx", (unsigned long long)acc);
}
