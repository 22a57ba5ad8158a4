/*
 * barge_copier: the native batch copier of the posix copy workers (issue #14, small files).
 *
 * README. One call, copyPacked(roots, strs, jobs, count, out, buffer, abortFlags, progressBytes, progressMs,
 * onProgress), does for a whole message of a copy worker what copy-worker.ts `asGroup` + copy-job.ts `stageCopyJob` +
 * publish.ts `publishSync` do in JavaScript: per job, open the source confined to its root (openat2,
 * RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS, O_NOFOLLOW | O_NONBLOCK, regular files only), open (or create,
 * component by component, confined) the destination parent, create the temporary name (O_EXCL), copy
 * through one reused buffer, hash (crc32 / xxhash64, hashes.c), check the size, set owner, mode and
 * times, verify the stored bytes; then one syncfs per file system, the renames (renameat2
 * RENAME_NOREPLACE, or link + unlink, for noReplace), one syncfs again. Why native: the JavaScript path
 * spends ~60–110 µs of CPU per small file in the worker thread around ~15 syscalls; this is the syscalls.
 *
 * Anything whose answer the JavaScript path gives differently or more precisely (a path that leaves the
 * root or uses an absolute symlink: EXDEV; a symlink as last component: ELOOP; openat2 missing: ENOSYS;
 * a destination parent that is not a directory; any other error while resolving a path) comes back as
 * "fallback" for that job, before anything was written for it — so do strings holding a NUL and paths
 * not in canonical form (paths.ts) —: the worker then runs it through the JavaScript path, so the
 * semantics are one. Errors come back as (errno, syscall, side); the worker maps
 * them with classifyFsError, as for Node's own errors. Built from source by node-gyp
 * (scripts/build-native.mjs); no prebuilt binary is shipped. Runs on the calling (worker) thread, so it
 * inherits that thread's file-system credentials (fs-credentials.ts).
 */
#include "copier.h"

/* ---- N-API glue ---- */

/*
 * Why packed arguments: reading ~17 named properties per job (each napi_get_named_property internalizes
 * its key: a V8 string-table lookup), one malloc per string and one answer object per job were
 * ~15–20% of a copy worker's CPU for 4 KiB files. Now the numbers of every job come as one
 * Float64Array read through its pointer, the strings as elements of the request's own arrays copied into
 * one arena per call, and the answers go into a Float64Array of the caller's; a string is made only
 * where a job has one to tell (a digest, an error's syscall or code).
 */

/* Numbers per job in `jobs` (native-copier.ts NATIVE_JOB_NUMS, same order). Strings are given as
 * indices: roots into `roots`, paths and the temp name into `strs`. */
enum {
  J_ID, J_SLOT, J_SRC_ROOT, J_SRC_PATH, J_DST_ROOT, J_DST_PATH, J_TEMP, J_ALG, J_SIZE, J_MODE, J_UID, J_GID,
  J_TIMES, J_ATIME, J_MTIME, J_NO_REPLACE, JOB_NUMS
};
/* Numbers per job in `out` (NATIVE_OUT_NUMS): status, bytes not yet reported, size (done) or bytes
 * written (a coded error), errno, side (1 src, 2 dst). */
enum { A_STATUS, A_UNREPORTED, A_SIZE, A_ERRNO, A_SIDE, OUT_NUMS };
/* Strings per job in the answer array (NATIVE_TEXTS): digest, syscall (errno) or code, stored digest. */
enum { T_DIGEST, T_WHAT, T_STORED, TEXTS };

/* One growable block holding every string of a call, NUL-terminated; strings are kept as offsets until
 * the last one is read (growing moves the block). */
typedef struct {
  char *data;
  size_t len, cap;
} arena_t;

/* The UTF-8 bytes of the string `v` appended to the arena: its offset, or -1 (not a string, or no
 * memory). In one N-API call per string: the room left is offered, and the copy is taken as whole when
 * at least 4 bytes of it stayed unused — V8 stops before a character that does not fit, and none is
 * longer than 4 bytes — else the arena grows and the string is read again. `*nul`: it holds a NUL. */
static ptrdiff_t arena_str(napi_env env, arena_t *a, napi_value v, int *nul) {
  for (;;) {
    size_t room = a->cap - a->len, copied = 0;
    if (room > 8) {
      if (napi_get_value_string_utf8(env, v, a->data + a->len, room, &copied) != napi_ok) return -1;
      if (room - 1 - copied >= 4) {
        ptrdiff_t at = (ptrdiff_t)a->len;
        *nul = strlen(a->data + a->len) != copied;
        a->len += copied + 1;
        return at;
      }
    }
    size_t cap = a->cap * 2;
    char *grown = realloc(a->data, cap);
    if (grown == NULL) return -1;
    a->data = grown;
    a->cap = cap;
  }
}

/* A storage path in canonical form (paths.ts normalizeStoragePath leaves it unchanged): not empty, no
 * leading or trailing '/', no empty, '.' or '..' segment. Anything else runs through the JavaScript path. */
static int canonical(const char *p) {
  if (*p == 0) return 0;
  for (const char *seg = p;;) {
    const char *end = strchr(seg, '/');
    size_t n = end ? (size_t)(end - seg) : strlen(seg);
    if (n == 0 || (n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.')) return 0;
    if (end == NULL) return 1;
    seg = end + 1;
  }
}

static napi_value throw_type(napi_env env, const char *msg) {
  napi_throw_type_error(env, NULL, msg);
  return NULL;
}

/* A string index of a job: an integer below `limit`, else -1. */
static int64_t index_of(double d, uint32_t limit) {
  return d >= 0 && d < (double)limit && d == (double)(int64_t)d ? (int64_t)d : -1;
}

/* Reads every job of the call; 0, or an error message (nothing was touched yet). Jobs the native path
 * must not run (a NUL in a string, a path not in canonical form, the root as destination, a temp name
 * that is not one name) are marked ST_FALLBACK. */
static const char *read_jobs(napi_env env, napi_value roots, napi_value strs, const double *nums, job_t *jobs, uint32_t n, arena_t *a) {
  uint32_t nroots, nstrs;
  if (napi_get_array_length(env, roots, &nroots) != napi_ok || napi_get_array_length(env, strs, &nstrs) != napi_ok) return "roots and strs must be arrays";
  /* Each root is read once: its offset (-1: not read yet) and whether it holds a NUL. */
  ptrdiff_t *root_at = malloc((nroots ? nroots : 1) * sizeof *root_at);
  char *root_nul = calloc(nroots ? nroots : 1, 1);
  ptrdiff_t *at = malloc((n ? n : 1) * 5 * sizeof *at);
  const char *bad = root_at == NULL || root_nul == NULL || at == NULL ? "out of memory" : NULL;
  for (uint32_t r = 0; r < nroots && !bad; r++) root_at[r] = -1;
  for (uint32_t i = 0; i < n && !bad; i++) {
    const double *x = nums + (size_t)i * JOB_NUMS;
    job_t *j = &jobs[i];
    static const int which[5] = {J_SRC_ROOT, J_SRC_PATH, J_DST_ROOT, J_DST_PATH, J_TEMP};
    for (int f = 0; f < 5 && !bad; f++) {
      int is_root = which[f] == J_SRC_ROOT || which[f] == J_DST_ROOT;
      int64_t k = index_of(x[which[f]], is_root ? nroots : nstrs);
      if (k < 0) {
        bad = "a string index of a job is out of range";
        break;
      }
      if (is_root && root_at[k] >= 0) {
        at[i * 5 + f] = root_at[k];
        if (root_nul[k]) j->status = ST_FALLBACK;
        continue;
      }
      napi_value v;
      int nul = 0;
      ptrdiff_t off = napi_get_element(env, is_root ? roots : strs, (uint32_t)k, &v) == napi_ok ? arena_str(env, a, v, &nul) : -1;
      if (off < 0) bad = "every root and job string must be a string";
      if (nul) j->status = ST_FALLBACK;
      at[i * 5 + f] = off;
      if (is_root) {
        root_at[k] = off;
        root_nul[k] = (char)nul;
      }
    }
    j->alg = (int)x[J_ALG];
    j->size = (int64_t)x[J_SIZE];
    j->mode = (int64_t)x[J_MODE];
    j->uid = (int64_t)x[J_UID];
    j->gid = (int64_t)x[J_GID];
    j->has_times = x[J_TIMES] != 0;
    j->atime = x[J_ATIME];
    j->mtime = x[J_MTIME];
    j->no_replace = x[J_NO_REPLACE] != 0;
    j->id = (int32_t)(uint32_t)x[J_ID]; /* ids run to 2^32 - 1; the abort flags hold them as int32 */
    j->slot = (int32_t)x[J_SLOT];
  }
  /* The arena no longer moves: offsets become pointers; the destination splits into parent and name. */
  for (uint32_t i = 0; i < n && !bad; i++) {
    job_t *j = &jobs[i];
    j->src_root = a->data + at[i * 5];
    j->src_path = a->data + at[i * 5 + 1];
    j->dst_root = a->data + at[i * 5 + 2];
    char *dst = a->data + at[i * 5 + 3];
    j->temp = a->data + at[i * 5 + 4];
    if (!canonical(j->src_path) || !canonical(dst) || !canonical(j->temp) || strchr(j->temp, '/') != NULL) j->status = ST_FALLBACK;
    char *slash = strrchr(dst, '/');
    if (slash == NULL) {
      j->dst_parent = dst + strlen(dst); /* "": the root */
      j->dst_name = dst;
    } else {
      *slash = 0;
      j->dst_parent = dst;
      j->dst_name = slash + 1;
    }
  }
  free(root_at);
  free(root_nul);
  free(at);
  return bad;
}

static void answer(napi_env env, napi_value texts, uint32_t i, int field, const char *s) {
  napi_value v;
  napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v);
  napi_set_element(env, texts, i * TEXTS + field, v);
}

/*
 * copyPacked(roots, strs, jobs, count, out, buffer, flags, progressBytes, progressMs, onProgress?): runs
 * `count` jobs described by `jobs` (JOB_NUMS numbers each), writes OUT_NUMS numbers per job into `out`
 * and returns an array of TEXTS strings per job, holes where a job has nothing to tell.
 */
static napi_value copy_packed(napi_env env, napi_callback_info info) {
  size_t argc = 11;
  napi_value argv[11];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 9) return throw_type(env, "copyPacked(roots, strs, jobs, count, out, buffer, flags, progressBytes, progressMs, onProgress?, carry?)");
  call_t c;
  memset(&c, 0, sizeof c);
  c.env = env;
  napi_typedarray_type type;
  size_t count, offset;
  void *data;
  napi_value ab;
  double *nums, *out;
  size_t nums_len, out_len;
  if (napi_get_typedarray_info(env, argv[2], &type, &nums_len, &data, &ab, &offset) != napi_ok || type != napi_float64_array)
    return throw_type(env, "jobs must be a Float64Array");
  nums = data;
  double dn = -1;
  napi_get_value_double(env, argv[3], &dn);
  if (!(dn >= 0 && dn <= 4294967295.0) || dn != (double)(uint32_t)dn || (size_t)dn * JOB_NUMS > nums_len) return throw_type(env, "count must fit in jobs");
  uint32_t n = (uint32_t)dn;
  if (napi_get_typedarray_info(env, argv[4], &type, &out_len, &data, &ab, &offset) != napi_ok || type != napi_float64_array || out_len < (size_t)n * OUT_NUMS)
    return throw_type(env, "out must be a Float64Array of count answers");
  out = data;
  size_t len;
  if (napi_get_buffer_info(env, argv[5], &data, &len) != napi_ok || len < 2) return throw_type(env, "buffer must be a Buffer");
  c.buf = data;
  c.buf_len = len;
  if (napi_get_typedarray_info(env, argv[6], &type, &count, &data, &ab, &offset) != napi_ok || type != napi_int32_array)
    return throw_type(env, "flags must be an Int32Array");
  c.flags = data;
  c.flag_count = count;
  napi_get_value_double(env, argv[7], &c.progress_bytes);
  napi_get_value_double(env, argv[8], &c.progress_ms);
  napi_valuetype t = napi_undefined;
  if (argc >= 10) napi_typeof(env, argv[9], &t);
  c.on_progress = t == napi_function ? argv[9] : NULL;
  /* carry (copier.h carry_t): [n_in, n_out, cap descriptors, cap errnos]; n_out is written only once the
   * carried descriptors were consumed, so a caller that finds its own value there knows they were not. */
  carry_t carry_buf, *carry = NULL;
  int32_t *carry_head = NULL;
  t = napi_undefined;
  if (argc >= 11) napi_typeof(env, argv[10], &t);
  if (t != napi_undefined) {
    size_t clen;
    if (napi_get_typedarray_info(env, argv[10], &type, &clen, &data, &ab, &offset) != napi_ok || type != napi_int32_array || clen < 4 || clen % 2 != 0)
      return throw_type(env, "carry must be an Int32Array [n_in, n_out, cap descriptors, cap errnos]");
    carry_head = data;
    carry_buf.cap = (uint32_t)((clen - 2) / 2);
    carry_buf.fds = carry_head + 2;
    carry_buf.errs = carry_head + 2 + carry_buf.cap;
    if (carry_head[0] < 0 || (uint32_t)carry_head[0] > carry_buf.cap) return throw_type(env, "carry[0] must count the carried descriptors");
    carry_buf.n_in = (uint32_t)carry_head[0];
    carry_buf.n_out = 0;
    carry = &carry_buf;
  }

  job_t *jobs = calloc(n ? n : 1, sizeof *jobs);
  arena_t a = {malloc(16384), 0, 16384};
  if (jobs == NULL || a.data == NULL) {
    free(jobs);
    free(a.data);
    return throw_type(env, "out of memory");
  }
  for (uint32_t i = 0; i < n; i++) {
    jobs[i].tmp_fd = -1;
    jobs[i].dir_fd = -1;
    jobs[i].status = ST_PENDING;
  }
  const char *bad = read_jobs(env, argv[0], argv[1], nums, jobs, n, &a);
  napi_value result = NULL;
  if (bad != NULL) {
    throw_type(env, bad);
  } else {
    for (uint32_t i = 0; i < n; i++)
      if (jobs[i].status != ST_FALLBACK) barge_stage(&c, i, &jobs[i]);
    barge_commit(&c, jobs, n, carry);
    if (carry != NULL) carry_head[1] = (int32_t)carry->n_out;
    napi_create_array_with_length(env, (size_t)n * TEXTS, &result);
    for (uint32_t i = 0; i < n; i++) {
      job_t *j = &jobs[i];
      double *o = out + (size_t)i * OUT_NUMS;
      o[A_STATUS] = j->status;
      o[A_UNREPORTED] = (double)j->unreported;
      o[A_SIZE] = (double)j->written;
      o[A_ERRNO] = j->status == ST_ERRNO ? j->err_errno : 0;
      o[A_SIDE] = j->side == NULL ? 0 : strcmp(j->side, "src") == 0 ? 1 : 2;
      if (j->status == ST_OK) {
        if (j->alg != ALG_NONE) answer(env, result, i, T_DIGEST, j->digest);
      } else if (j->status == ST_ERRNO) {
        answer(env, result, i, T_WHAT, j->syscall_name);
      } else if (j->status == ST_CODE) {
        answer(env, result, i, T_WHAT, j->code);
        if (j->digest[0]) answer(env, result, i, T_DIGEST, j->digest);
        if (j->stored[0]) answer(env, result, i, T_STORED, j->stored);
      }
    }
  }
  for (size_t i = 0; i < c.ndirs; i++) close(c.dirs[i].fd);
  free(c.dirs);
  free(jobs);
  free(a.data);
  return result;
}

/* Test hook: the digest of `buffer` for algorithm 1 (crc32) or 2 (xxhash64), fed in pieces of `piece` bytes. */
static napi_value hash_buffer(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  void *data;
  size_t len;
  double alg = 0, piece = 0;
  if (argc < 2 || napi_get_buffer_info(env, argv[0], &data, &len) != napi_ok) return throw_type(env, "hash(buffer, alg, piece?)");
  napi_get_value_double(env, argv[1], &alg);
  if (argc >= 3) napi_get_value_double(env, argv[2], &piece);
  hasher_t h;
  hash_init(&h, (int)alg);
  size_t step = piece >= 1 ? (size_t)piece : (len ? len : 1);
  for (size_t off = 0; off < len; off += step) hash_update(&h, (const uint8_t *)data + off, len - off < step ? len - off : step);
  char out[17];
  hash_hex(&h, out);
  napi_value v;
  napi_create_string_utf8(env, out, NAPI_AUTO_LENGTH, &v);
  return v;
}

/* 1 when openat2 exists here (a probe on "."), else 0. */
static napi_value probe(napi_env env, napi_callback_info info) {
  (void)info;
  int fd = barge_openat2(AT_FDCWD, ".", DIR_FLAGS, CONFINED);
  int ok = fd >= 0;
  if (fd >= 0) close(fd);
  napi_value v;
  napi_get_boolean(env, ok, &v);
  return v;
}

NAPI_MODULE_INIT() {
  napi_value carries;
  napi_get_boolean(env, 1, &carries); /* copyPacked takes `carry` (a build older than it has no such property) */
  napi_property_descriptor props[] = {
      {"copyPacked", NULL, copy_packed, NULL, NULL, NULL, napi_default, NULL},
      {"hash", NULL, hash_buffer, NULL, NULL, NULL, napi_default, NULL},
      {"openat2Available", NULL, probe, NULL, NULL, NULL, napi_default, NULL},
      {"carries", NULL, NULL, NULL, NULL, carries, napi_enumerable, NULL},
      {"listDir", NULL, barge_list_dir, NULL, NULL, NULL, napi_default, NULL},
      {"lstatNames", NULL, barge_lstat_names, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

