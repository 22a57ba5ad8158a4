/*
 * barge_copier: the native batch copier of the posix copy workers (issue #14, small files).
 *
 * README. One call, copyGroup(jobs, buffer, abortFlags, progressBytes, progressMs, onProgress), does for a
 * whole message of a copy worker what copy-worker.ts `asGroup` + copy-job.ts `stageCopyJob` +
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
 * "fallback" for that job, before anything was written for it: the worker then runs it through the
 * JavaScript path, so the semantics are one. Errors come back as {errno, syscall, side}; the worker maps
 * them with classifyFsError, as for Node's own errors. Built from source by node-gyp
 * (scripts/build-native.mjs); no prebuilt binary is shipped. Runs on the calling (worker) thread, so it
 * inherits that thread's file-system credentials (fs-credentials.ts).
 */
#include "copier.h"

/* ---- N-API glue ---- */

static char *get_str(napi_env env, napi_value obj, const char *name) {
  napi_value v;
  size_t len = 0;
  if (napi_get_named_property(env, obj, name, &v) != napi_ok) return NULL;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return NULL;
  char *s = malloc(len + 1);
  if (s == NULL) return NULL;
  napi_get_value_string_utf8(env, v, s, len + 1, &len);
  return s;
}

static double get_num(napi_env env, napi_value obj, const char *name, double dflt) {
  napi_value v;
  double d;
  if (napi_get_named_property(env, obj, name, &v) != napi_ok || napi_get_value_double(env, v, &d) != napi_ok) return dflt;
  return d;
}

static void set_num(napi_env env, napi_value obj, const char *name, double d) {
  napi_value v;
  napi_create_double(env, d, &v);
  napi_set_named_property(env, obj, name, v);
}

static void set_str(napi_env env, napi_value obj, const char *name, const char *s) {
  napi_value v;
  napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, obj, name, v);
}

static napi_value throw_type(napi_env env, const char *msg) {
  napi_throw_type_error(env, NULL, msg);
  return NULL;
}

static void free_job(job_t *j) {
  free(j->src_root);
  free(j->src_path);
  free(j->dst_root);
  free(j->dst_parent);
  free(j->dst_name);
  free(j->temp);
}

static napi_value copy_group(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 5) return throw_type(env, "copyGroup(jobs, buffer, flags, progressBytes, progressMs, onProgress?)");
  call_t c;
  memset(&c, 0, sizeof c);
  c.env = env;
  void *data;
  size_t len;
  if (napi_get_buffer_info(env, argv[1], &data, &len) != napi_ok || len < 2) return throw_type(env, "buffer must be a Buffer");
  c.buf = data;
  c.buf_len = len;
  napi_typedarray_type type;
  size_t count;
  napi_value ab;
  size_t offset;
  if (napi_get_typedarray_info(env, argv[2], &type, &count, &data, &ab, &offset) != napi_ok || type != napi_int32_array)
    return throw_type(env, "flags must be an Int32Array");
  c.flags = data;
  c.flag_count = count;
  napi_get_value_double(env, argv[3], &c.progress_bytes);
  napi_get_value_double(env, argv[4], &c.progress_ms);
  napi_valuetype t = napi_undefined;
  if (argc >= 6) napi_typeof(env, argv[5], &t);
  c.on_progress = t == napi_function ? argv[5] : NULL;

  uint32_t n;
  if (napi_get_array_length(env, argv[0], &n) != napi_ok) return throw_type(env, "jobs must be an array");
  job_t *jobs = calloc(n ? n : 1, sizeof *jobs);
  if (jobs == NULL) return throw_type(env, "out of memory");
  int bad = 0;
  for (uint32_t i = 0; i < n; i++) {
    napi_value o;
    job_t *j = &jobs[i];
    j->tmp_fd = -1;
    j->dir_fd = -1;
    j->status = ST_PENDING;
    napi_get_element(env, argv[0], i, &o);
    j->src_root = get_str(env, o, "srcRoot");
    j->src_path = get_str(env, o, "srcPath");
    j->dst_root = get_str(env, o, "dstRoot");
    j->dst_parent = get_str(env, o, "dstParent");
    j->dst_name = get_str(env, o, "dstName");
    j->temp = get_str(env, o, "tempName");
    j->alg = (int)get_num(env, o, "alg", 0);
    j->size = (int64_t)get_num(env, o, "size", -1);
    j->mode = (int64_t)get_num(env, o, "mode", -1);
    j->uid = (int64_t)get_num(env, o, "uid", -1);
    j->gid = (int64_t)get_num(env, o, "gid", -1);
    j->has_times = get_num(env, o, "times", 0) != 0;
    j->atime = get_num(env, o, "atime", 0);
    j->mtime = get_num(env, o, "mtime", 0);
    j->no_replace = get_num(env, o, "noReplace", 0) != 0;
    j->id = (int32_t)get_num(env, o, "id", 0);
    j->slot = (int32_t)get_num(env, o, "slot", -1);
    if (!j->src_root || !j->src_path || !j->dst_root || !j->dst_parent || !j->dst_name || !j->temp) bad = 1;
  }
  napi_value result = NULL;
  if (bad) {
    throw_type(env, "every job needs srcRoot, srcPath, dstRoot, dstParent, dstName and tempName strings");
  } else {
    for (uint32_t i = 0; i < n; i++) barge_stage(&c, i, &jobs[i]);
    barge_commit(&c, jobs, n);
    napi_create_array_with_length(env, n, &result);
    for (uint32_t i = 0; i < n; i++) {
      job_t *j = &jobs[i];
      napi_value o;
      napi_create_object(env, &o);
      set_num(env, o, "st", j->status);
      set_num(env, o, "unreported", (double)j->unreported);
      if (j->status == ST_OK) {
        set_num(env, o, "size", (double)j->written);
        if (j->alg != ALG_NONE) set_str(env, o, "digest", j->digest);
      } else if (j->status == ST_ERRNO || j->status == ST_CODE) {
        set_str(env, o, "side", j->side);
        if (j->status == ST_ERRNO) {
          set_num(env, o, "errno", j->err_errno);
          set_str(env, o, "syscall", j->syscall_name);
        } else {
          set_str(env, o, "code", j->code);
          set_num(env, o, "written", (double)j->written);
          if (j->digest[0]) set_str(env, o, "digest", j->digest);
          if (j->stored[0]) set_str(env, o, "stored", j->stored);
        }
      }
      napi_set_element(env, result, i, o);
    }
  }
  for (size_t i = 0; i < c.ndirs; i++) {
    close(c.dirs[i].fd);
    free(c.dirs[i].root);
    free(c.dirs[i].parent);
  }
  free(c.dirs);
  for (uint32_t i = 0; i < n; i++) free_job(&jobs[i]);
  free(jobs);
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
  napi_property_descriptor props[] = {
      {"copyGroup", NULL, copy_group, NULL, NULL, NULL, napi_default, NULL},
      {"hash", NULL, hash_buffer, NULL, NULL, NULL, napi_default, NULL},
      {"openat2Available", NULL, probe, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

