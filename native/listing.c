/*
 * Directory listing of the posix walk's file thread (fs-op-worker.ts, native-listing.ts; issue #14).
 *
 * listDir(dir, chunk) reads a folder already confined by the caller (sync-confine.ts resolveInsideSync),
 * leaves out '.', '..' and Barge's temporary names (paths.ts isTempName), sorts the names as
 * JavaScript's sort() does (UTF-16 code units), and lstats the first `chunk` of them with fstatat on
 * the folder's descriptor (readlinkat for symlinks). lstatNames(dir, joined, count) lstats a later
 * chunk. Why native: the JavaScript path spent ~9–15 µs of CPU per file on that thread (a path walk
 * from / per lstat, a Stats object, dates); this is one fstatat per name.
 *
 * Answers are packed as fs-op-protocol.ts ListedChunk (mode, size, mtimeMs, atimeMs, ctimeMs, uid,
 * gid per name; NaN mode: vanished) with the times computed as Node computes them (sec * 1e3 +
 * nsec / 1e6, in doubles; binding.gyp turns off fused multiply-add so the rounding is the same). Names
 * come back as one string joined by '/' (no name contains it): one string for the JavaScript side to
 * split, rather than one N-API string and one array store per name.
 *
 * Anything the JavaScript path would answer differently or more precisely comes back as null, and the
 * caller runs that path: any error opening or reading the folder (Node builds the exact error), an
 * lstat error other than ENOENT/ENOTDIR, a readlink error, a name or link target that is not valid
 * UTF-8 (Node decodes it with replacement characters), a folder path with '.' or '..' components (Node
 * joins them lexically). Runs on the calling thread, under its file-system ids (fs-credentials.ts).
 */
#include <dirent.h>
#include <limits.h>
#include <math.h>

#include "copier.h"

#define LISTED_FIELDS 7

typedef struct {
  char **names;
  size_t n, cap;
} names_t;

static void free_names(names_t *l) {
  for (size_t i = 0; i < l->n; i++) free(l->names[i]);
  free(l->names);
}

/* Strict UTF-8, as V8 decodes without replacement: no overlong forms, surrogates or code points past U+10FFFF. */
static int valid_utf8(const unsigned char *s, size_t len) {
  size_t i = 0;
  while (i < len) {
    unsigned char c = s[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t k;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) k = 1;
    else if (c >= 0xE0 && c <= 0xEF) {
      k = 2;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      k = 3;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else return 0;
    if (i + k >= len) return 0;
    if (s[i + 1] < lo || s[i + 1] > hi) return 0;
    for (size_t j = 2; j <= k; j++)
      if ((s[i + j] & 0xC0) != 0x80) return 0;
    i += k + 1;
  }
  return 1;
}

static int is_id_char(unsigned char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'); }

/* paths.ts TEMP_NAME_RE, /^\.[\s\S]*\.barge-[0-9a-z]{8,32}\.part$/: the id is the whole run of id
 * characters before ".part", since the '-' before it is not one. */
static int is_temp_name(const char *s, size_t len) {
  static const char marker[] = ".barge-", suffix[] = ".part";
  const size_t ml = sizeof marker - 1, sl = sizeof suffix - 1;
  if (len < 1 + ml + 8 + sl || s[0] != '.' || memcmp(s + len - sl, suffix, sl) != 0) return 0;
  size_t end = len - sl, start = end;
  while (start > 0 && is_id_char((unsigned char)s[start - 1])) start--;
  size_t id = end - start;
  if (id < 8 || id > 32 || start < 1 + ml) return 0;
  return memcmp(s + start - ml, marker, ml) == 0;
}

/*
 * JavaScript's string order (UTF-16 code units) on valid UTF-8. Byte order is code point order, which
 * differs only between a supplementary character (lead byte F0–F4, surrogates D800–DBFF in UTF-16) and
 * one of U+E000–U+FFFF (lead byte EE or EF): UTF-16 puts the supplementary one first.
 */
static int js_order(const void *pa, const void *pb) {
  const unsigned char *a = *(unsigned char *const *)pa, *b = *(unsigned char *const *)pb;
  size_t i = 0;
  while (a[i] != 0 && a[i] == b[i]) i++;
  if (a[i] == 0 || b[i] == 0) return (int)a[i] - (int)b[i];
  size_t p = i;
  while (p > 0 && (a[p] & 0xC0) == 0x80) p--;
  if (p == i) {
    /* Both differ at a character's lead byte. */
    if (a[i] >= 0xF0 && (b[i] == 0xEE || b[i] == 0xEF)) return -1;
    if (b[i] >= 0xF0 && (a[i] == 0xEE || a[i] == 0xEF)) return 1;
  }
  return (int)a[i] - (int)b[i];
}

/* Node's msFromTimeSpec. */
static double ms_of(const struct timespec *t) { return (double)t->tv_sec * 1e3 + (double)t->tv_nsec / 1e6; }

/* A folder path Node would join lexically differently than the kernel resolves it ('.' or '..' components). */
static int has_dot_component(const char *p) {
  for (const char *c = p; *c; c++) {
    if (c != p && c[-1] != '/') continue;
    if (c[0] == '.' && (c[1] == 0 || c[1] == '/')) return 1;
    if (c[0] == '.' && c[1] == '.' && (c[2] == 0 || c[2] == '/')) return 1;
  }
  return 0;
}

static char *arg_string(napi_env env, napi_value v) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return NULL;
  char *s = malloc(len + 1);
  if (s == NULL) return NULL;
  napi_get_value_string_utf8(env, v, s, len + 1, &len);
  if (strlen(s) != len) {
    /* A NUL inside: not a path the kernel would see whole. */
    free(s);
    return NULL;
  }
  return s;
}

/*
 * lstat of names[0..n) in dirfd into a new {stats, links}; NULL: fallback (nothing thrown).
 */
static napi_value lstat_into(napi_env env, int dirfd, char *const *names, size_t n) {
  napi_value ab, stats, links = NULL, result;
  double *f;
  if (napi_create_arraybuffer(env, n * LISTED_FIELDS * sizeof(double), (void **)&f, &ab) != napi_ok) return NULL;
  if (napi_create_typedarray(env, napi_float64_array, n * LISTED_FIELDS, ab, 0, &stats) != napi_ok) return NULL;
  char target[PATH_MAX + 1];
  for (size_t i = 0; i < n; i++) {
    double *o = f + i * LISTED_FIELDS;
    struct stat st;
    if (fstatat(dirfd, names[i], &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno != ENOENT && errno != ENOTDIR) return NULL;
      o[0] = NAN;
      for (int k = 1; k < LISTED_FIELDS; k++) o[k] = 0;
      continue;
    }
    o[0] = (double)st.st_mode;
    o[1] = (double)st.st_size;
    o[2] = ms_of(&st.st_mtim);
    o[3] = ms_of(&st.st_atim);
    o[4] = ms_of(&st.st_ctim);
    o[5] = (double)st.st_uid;
    o[6] = (double)st.st_gid;
    if (!S_ISLNK(st.st_mode)) continue;
    ssize_t len = readlinkat(dirfd, names[i], target, sizeof target);
    if (len < 0 || (size_t)len >= sizeof target || !valid_utf8((unsigned char *)target, (size_t)len)) return NULL;
    napi_value t;
    if (links == NULL && napi_create_object(env, &links) != napi_ok) return NULL;
    if (napi_create_string_utf8(env, target, (size_t)len, &t) != napi_ok || napi_set_element(env, links, (uint32_t)i, t) != napi_ok) return NULL;
  }
  if (links == NULL) napi_get_null(env, &links);
  napi_create_object(env, &result);
  napi_set_named_property(env, result, "stats", stats);
  napi_set_named_property(env, result, "links", links);
  return result;
}

static int open_dir(const char *dir) {
  if (dir[0] != '/' || has_dot_component(dir)) return -1;
  int fd;
  do fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  while (fd < 0 && errno == EINTR);
  return fd;
}

static napi_value null_value(napi_env env) {
  napi_value v;
  napi_get_null(env, &v);
  return v;
}

/* Reads the names of the open folder `d` into l, filtered; 0, or -1: fallback. */
static int read_names(DIR *d, names_t *l, size_t *bytes) {
  int ok = 0;
  *bytes = 0;
  for (;;) {
    errno = 0;
    struct dirent *e = readdir(d);
    if (e == NULL) {
      if (errno != 0) ok = -1;
      break;
    }
    const char *name = e->d_name;
    if (name[0] == '.' && (name[1] == 0 || (name[1] == '.' && name[2] == 0))) continue;
    size_t len = strlen(name);
    if (!valid_utf8((const unsigned char *)name, len)) {
      ok = -1;
      break;
    }
    if (is_temp_name(name, len)) continue;
    if (l->n == l->cap) {
      size_t cap = l->cap ? l->cap * 2 : 64;
      char **grown = realloc(l->names, cap * sizeof *grown);
      if (grown == NULL) {
        ok = -1;
        break;
      }
      l->names = grown;
      l->cap = cap;
    }
    char *copy = malloc(len + 1);
    if (copy == NULL) {
      ok = -1;
      break;
    }
    memcpy(copy, name, len + 1);
    l->names[l->n++] = copy;
    *bytes += len + 1;
  }
  return ok;
}

/* listDir(dir, chunk): {names: joined by '/', count, stats, links} or null (fallback). */
napi_value barge_list_dir(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint32_t chunk = 0;
  if (argc < 2 || napi_get_value_uint32(env, argv[1], &chunk) != napi_ok) {
    napi_throw_type_error(env, NULL, "listDir(dir, chunk)");
    return NULL;
  }
  char *dir = arg_string(env, argv[0]);
  if (dir == NULL) return null_value(env);
  names_t l = {0};
  napi_value result = NULL;
  size_t bytes = 0;
  DIR *d = NULL;
  int fd = open_dir(dir);
  if (fd >= 0 && (d = fdopendir(fd)) == NULL) close(fd);
  if (d == NULL || read_names(d, &l, &bytes) != 0) goto done;
  qsort(l.names, l.n, sizeof *l.names, js_order);
  /* The lstats relative to the folder read: no path walk from / per name. */
  size_t first = l.n < chunk ? l.n : chunk;
  napi_value part = lstat_into(env, dirfd(d), l.names, first);
  if (part == NULL) goto done;
  char *joined = malloc(bytes + 1);
  if (joined == NULL) goto done;
  size_t at = 0;
  for (size_t i = 0; i < l.n; i++) {
    size_t len = strlen(l.names[i]);
    memcpy(joined + at, l.names[i], len);
    at += len;
    if (i + 1 < l.n) joined[at++] = '/';
  }
  napi_value names, count;
  napi_status s = napi_create_string_utf8(env, joined, at, &names);
  free(joined);
  if (s != napi_ok) goto done;
  napi_create_double(env, (double)l.n, &count);
  napi_set_named_property(env, part, "names", names);
  napi_set_named_property(env, part, "count", count);
  result = part;
done:
  if (d != NULL) closedir(d);
  free_names(&l);
  free(dir);
  return result != NULL ? result : null_value(env);
}

/* lstatNames(dir, joined, count): lstat of `count` names joined by '/' — {stats, links} or null (fallback). */
napi_value barge_lstat_names(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint32_t count = 0;
  if (argc < 3 || napi_get_value_uint32(env, argv[2], &count) != napi_ok) {
    napi_throw_type_error(env, NULL, "lstatNames(dir, joined, count)");
    return NULL;
  }
  char *dir = arg_string(env, argv[0]);
  char *joined = arg_string(env, argv[1]);
  char **names = count ? calloc(count, sizeof *names) : NULL;
  napi_value result = NULL;
  if (dir == NULL || joined == NULL || (count && names == NULL)) goto done;
  /* Split in place; a count that does not match, or an empty, '.' or '..' name: fallback. */
  size_t n = 0;
  if (count > 0) {
    char *p = joined;
    for (;;) {
      if (n == count) goto done;
      names[n++] = p;
      char *slash = strchr(p, '/');
      if (slash == NULL) break;
      *slash = 0;
      p = slash + 1;
    }
  } else if (joined[0] != 0) goto done;
  if (n != count) goto done;
  for (size_t i = 0; i < n; i++) {
    const char *m = names[i];
    if (m[0] == 0 || (m[0] == '.' && (m[1] == 0 || (m[1] == '.' && m[2] == 0)))) goto done;
  }
  int dirfd = open_dir(dir);
  if (dirfd < 0) goto done;
  result = lstat_into(env, dirfd, names, n);
  close(dirfd);
done:
  free(names);
  free(joined);
  free(dir);
  return result != NULL ? result : null_value(env);
}
