/*
 * Shared declarations of the native copier (see copier.c for what it is and why).
 */
#ifndef BARGE_COPIER_H
#define BARGE_COPIER_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "hashes.h"

#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1
#endif

enum { ST_PENDING = -1, ST_OK = 0, ST_ERRNO = 1, ST_CODE = 2, ST_FALLBACK = 3, ST_STAGED = 4 };
enum { ALG_NONE = 0, ALG_CRC32 = 1, ALG_XXH64 = 2 };

typedef struct {
  /* In the call's string arena (copier.c), not owned */
  char *src_root, *src_path, *dst_root, *dst_parent, *dst_name, *temp;
  int alg;
  int64_t size, mode, uid, gid;
  int has_times;
  double atime, mtime;
  int no_replace;
  int32_t id;
  int32_t slot;
  /* outcome */
  int status;
  int err_errno;
  const char *syscall_name;
  const char *side;
  const char *code;
  int64_t written;
  int64_t unreported;
  char digest[17];
  char stored[17];
  /* staged state */
  int tmp_fd;
  int dir_fd; /* borrowed from the call's cache */
  dev_t dev;
  int rep; /* keeps its descriptor open for syncfs */
} job_t;

typedef struct {
  const char *root;
  const char *parent; /* NULL: the root itself */
  int fd;
} dirent_t;

typedef struct {
  napi_env env;
  uint8_t *buf;
  size_t buf_len;
  int32_t *flags;
  size_t flag_count;
  double progress_bytes;
  double progress_ms;
  napi_value on_progress;
  dirent_t *dirs;
  size_t ndirs, cap_dirs;
} call_t;

#define CONFINED (RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)
#define DIR_FLAGS (O_PATH | O_DIRECTORY | O_CLOEXEC)

static inline double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static inline int aborted(const call_t *c, const job_t *j) {
  if (j->slot < 0 || (size_t)j->slot >= c->flag_count) return 0;
  return __atomic_load_n(&c->flags[j->slot], __ATOMIC_SEQ_CST) == j->id;
}

static inline void close_quietly(int fd) {
  if (fd >= 0) close(fd);
}

static inline void fail_errno(job_t *j, int err, const char *syscall_name, const char *side) {
  j->status = ST_ERRNO;
  j->err_errno = err;
  j->syscall_name = syscall_name;
  j->side = side;
}

static inline void fail_code(job_t *j, const char *code, const char *side) {
  j->status = ST_CODE;
  j->code = code;
  j->side = side;
}

typedef struct {
  int alg;
  barge_crc32 crc;
  barge_xxh64 xxh;
} hasher_t;

static inline void hash_init(hasher_t *h, int alg) {
  h->alg = alg;
  if (alg == ALG_CRC32) barge_crc32_init(&h->crc);
  if (alg == ALG_XXH64) barge_xxh64_init(&h->xxh);
}

static inline void hash_update(hasher_t *h, const uint8_t *p, size_t n) {
  if (h->alg == ALG_CRC32) barge_crc32_update(&h->crc, p, n);
  if (h->alg == ALG_XXH64) barge_xxh64_update(&h->xxh, p, n);
}

static inline void hash_hex(hasher_t *h, char out[17]) {
  out[0] = 0;
  if (h->alg == ALG_CRC32) barge_crc32_hex(&h->crc, out);
  if (h->alg == ALG_XXH64) barge_xxh64_hex(&h->xxh, out);
}

/*
 * The descriptors a group commit leaves for the next one (copier.c copyPacked's `carry`): a message's
 * renames are made durable by the first syncfs of the next message instead of a second syncfs of its
 * own, when the worker has a next message already (copy-worker.ts). In: `n_in` descriptors of the
 * previous message (opened before its data was written), synced after this message's staging — which
 * covers both — and closed, each one's errno in `errs`. Out: this message's open descriptors, not synced
 * since its renames, in `fds` (at most `cap`; more file systems than that: no carry, synced here).
 */
typedef struct {
  int32_t *fds;
  int32_t *errs;
  uint32_t n_in, cap, n_out;
} carry_t;

/* confine.c */
int barge_openat2(int dirfd, const char *path, uint64_t flags, uint64_t resolve);
int barge_dir_fd(call_t *c, const char *root, const char *parent);
int barge_create_parent(call_t *c, const char *root, const char *parent);
/* group.c */
void barge_stage(call_t *c, size_t index, job_t *j);
void barge_commit(call_t *c, job_t *jobs, size_t n, carry_t *carry);
/* publish.c */
void barge_publish(call_t *c, job_t *j);
/* listing.c (exports listDir, lstatNames) */
napi_value barge_list_dir(napi_env env, napi_callback_info info);
napi_value barge_lstat_names(napi_env env, napi_callback_info info);

#endif
