/*
 * The group commit of the native copier (copier.c): stage every job (copy-job.ts stageCopyJob), one
 * syncfs per file system, publish (publish.c), one syncfs again (copy-worker.ts asGroup).
 */
#include "copier.h"

static void progress(call_t *c, size_t index, job_t *j, size_t n, double *last) {
  j->unreported += (int64_t)n;
  if (c->on_progress == NULL) return;
  double t = now_ms();
  if ((double)j->unreported < c->progress_bytes && t - *last < c->progress_ms) return;
  napi_value global, args[2], ignored;
  napi_get_global(c->env, &global);
  napi_create_uint32(c->env, (uint32_t)index, &args[0]);
  napi_create_double(c->env, (double)j->unreported, &args[1]);
  if (napi_call_function(c->env, global, c->on_progress, 2, args, &ignored) == napi_ok) {
    j->unreported = 0;
  } else {
    /* A throwing callback must not fail the call: the files are being committed. */
    napi_value ex;
    napi_get_and_clear_last_exception(c->env, &ex);
  }
  *last = t;
}

/* libuv's conversion of a time in seconds (uv__fs_to_timespec), so times land as futimesSync sets them. */
static struct timespec to_timespec(double t) {
  struct timespec ts;
  ts.tv_sec = (time_t)t;
  ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
  ts.tv_nsec -= ts.tv_nsec % 1000;
  if (ts.tv_nsec < 0) {
    ts.tv_nsec += 1000000000L;
    ts.tv_sec -= 1;
  }
  return ts;
}

static int write_all(int fd, const uint8_t *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return -1;
    if (w == 0) {
      errno = EIO;
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* stageCopyJob: the job ends ST_STAGED (temp file written, verified, open) or failed with nothing left. */
void barge_stage(call_t *c, size_t index, job_t *j) {
  j->tmp_fd = -1;
  int rootfd = barge_dir_fd(c, j->src_root, NULL);
  if (rootfd < 0) {
    j->status = ST_FALLBACK;
    return;
  }
  int src = barge_openat2(rootfd, j->src_path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, CONFINED);
  if (src < 0) {
    if (errno == ENOENT) fail_errno(j, ENOENT, "open", "src");
    else j->status = ST_FALLBACK;
    return;
  }
  struct stat st;
  if (fstat(src, &st) != 0) {
    fail_errno(j, errno, "fstat", "src");
    close(src);
    return;
  }
  if (S_ISDIR(st.st_mode) || !S_ISREG(st.st_mode)) {
    fail_code(j, S_ISDIR(st.st_mode) ? "is_a_directory" : "unsupported", "src");
    close(src);
    return;
  }
  const char *parent = j->dst_parent[0] == 0 ? NULL : j->dst_parent;
  int dfd = barge_dir_fd(c, j->dst_root, parent);
  if (dfd < 0 && parent != NULL && errno == ENOENT && barge_create_parent(c, j->dst_root, parent) == 0) dfd = barge_dir_fd(c, j->dst_root, parent);
  if (dfd < 0) {
    close(src);
    j->status = ST_FALLBACK;
    return;
  }
  j->dir_fd = dfd;
  if (aborted(c, j)) {
    close(src);
    fail_code(j, "aborted", "dst");
    return;
  }
  /* Created with the mode it must have when it can (umask and default ACLs allowing): the fchmod after
     it dirtied the inode a second time, a journal handle per file (issue #14); checked below. */
  mode_t create_mode = j->mode >= 0 ? ((mode_t)j->mode & 0777) : 0666;
  int tmp;
  do tmp = openat(dfd, j->temp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, create_mode);
  while (tmp < 0 && errno == EINTR);
  if (tmp < 0) {
    fail_errno(j, errno, "open", "dst");
    close(src);
    unlinkat(dfd, j->temp, 0); /* as the JavaScript path does */
    return;
  }
  j->tmp_fd = tmp;
  hasher_t h;
  hash_init(&h, j->alg);
  double last = now_ms();
  int64_t size = 0;
  for (;;) {
    ssize_t n = read(src, c->buf, c->buf_len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      fail_errno(j, errno, "read", "src");
      goto failed;
    }
    if (n == 0) break;
    hash_update(&h, c->buf, (size_t)n);
    if (write_all(tmp, c->buf, (size_t)n) != 0) {
      fail_errno(j, errno, "write", "dst");
      goto failed;
    }
    size += n;
    progress(c, index, j, (size_t)n, &last);
    if (aborted(c, j)) {
      fail_code(j, "aborted", "dst");
      goto failed;
    }
  }
  close(src);
  src = -1;
  j->written = size;
  if (j->size >= 0 && j->size != size) {
    fail_code(j, "size_mismatch", "dst");
    goto failed;
  }
  struct stat own;
  if (fstat(tmp, &own) != 0) {
    fail_errno(j, errno, "fstat", "dst");
    goto failed;
  }
  j->dev = own.st_dev;
  if ((j->uid >= 0 || j->gid >= 0) && fchown(tmp, j->uid >= 0 ? (uid_t)j->uid : own.st_uid, j->gid >= 0 ? (gid_t)j->gid : own.st_gid) != 0) {
    fail_errno(j, errno, "fchown", "dst");
    goto failed;
  }
  if (j->mode >= 0 && (own.st_mode & 07777) != ((mode_t)j->mode & 07777) && fchmod(tmp, (mode_t)j->mode) != 0) {
    fail_errno(j, errno, "fchmod", "dst");
    goto failed;
  }
  if (j->has_times) {
    struct timespec times[2] = {to_timespec(j->atime), to_timespec(j->mtime)};
    if (futimens(tmp, times) != 0) {
      fail_errno(j, errno, "futime", "dst");
      goto failed;
    }
  }
  if (j->alg != ALG_NONE) {
    hash_hex(&h, j->digest);
    hasher_t back;
    hash_init(&back, j->alg);
    int64_t pos = 0;
    for (;;) {
      ssize_t n = pread(tmp, c->buf, c->buf_len, pos);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        fail_errno(j, errno, "read", "dst");
        goto failed;
      }
      if (n == 0) break;
      hash_update(&back, c->buf, (size_t)n);
      pos += n;
      if (aborted(c, j)) {
        fail_code(j, "aborted", "dst");
        goto failed;
      }
    }
    hash_hex(&back, j->stored);
    if (strcmp(j->stored, j->digest) != 0 || pos != size) {
      fail_code(j, "checksum_mismatch", "dst");
      goto failed;
    }
  }
  j->status = ST_STAGED;
  return;
failed:
  close_quietly(src);
  close(tmp);
  j->tmp_fd = -1;
  unlinkat(dfd, j->temp, 0);
}

/* Removes a staged temp file that will not be published; the syncfs descriptor stays open until the end. */
static void discard(job_t *j) {
  if (!j->rep && j->tmp_fd >= 0) {
    close(j->tmp_fd);
    j->tmp_fd = -1;
  }
  unlinkat(j->dir_fd, j->temp, 0);
}

/* One syncfs per file system through its representative descriptor; errno per job index (0: synced). */
static void sync_all(job_t *jobs, size_t n, int *failed) {
  for (size_t i = 0; i < n; i++) {
    if (!jobs[i].rep) continue;
    int r = syncfs(jobs[i].tmp_fd);
    failed[i] = r == 0 ? 0 : errno;
  }
}

/*
 * The first syncfs of a carrying commit: each carried descriptor is synced (after this message's
 * staging, so its syncfs covers this message's data too: it reports any writeback error since the
 * older descriptor was opened) and closed; a representative on a file system a carried descriptor
 * covered takes that errno instead of a syncfs of its own.
 */
static void sync_carried(carry_t *carry, job_t *jobs, size_t n, int *failed) {
  dev_t *devs = calloc(carry->n_in ? carry->n_in : 1, sizeof *devs);
  if (devs == NULL) abort();
  for (uint32_t k = 0; k < carry->n_in; k++) {
    int fd = carry->fds[k];
    struct stat st;
    devs[k] = fstat(fd, &st) == 0 ? st.st_dev : (dev_t)-1;
    carry->errs[k] = syncfs(fd) == 0 ? 0 : errno;
    close(fd);
  }
  for (size_t i = 0; i < n; i++) {
    if (!jobs[i].rep) continue;
    int covered = 0;
    for (uint32_t k = 0; k < carry->n_in && !covered; k++)
      if (devs[k] == jobs[i].dev) {
        covered = 1;
        failed[i] = carry->errs[k];
      }
    if (!covered) failed[i] = syncfs(jobs[i].tmp_fd) == 0 ? 0 : errno;
  }
  free(devs);
}

/* Whether a job on file system `dev` was published. */
static int published_on(const job_t *jobs, size_t n, dev_t dev) {
  for (size_t k = 0; k < n; k++)
    if (jobs[k].status == ST_OK && jobs[k].dev == dev) return 1;
  return 0;
}

static int rep_errno(job_t *jobs, size_t n, const int *failed, dev_t dev) {
  for (size_t i = 0; i < n; i++)
    if (jobs[i].rep && jobs[i].dev == dev) return failed[i];
  return 0;
}

/*
 * Leaves the last syncfs to the next commit: the representatives of file systems where a file was
 * published go out in carry->fds, still open; the others are closed. False (nothing changed) when they
 * do not fit.
 */
static int defer_last(carry_t *carry, job_t *jobs, size_t n) {
  uint32_t keep = 0;
  for (size_t i = 0; i < n; i++)
    if (jobs[i].rep && jobs[i].tmp_fd >= 0 && published_on(jobs, n, jobs[i].dev)) keep++;
  if (keep > carry->cap) return 0;
  carry->n_out = 0;
  for (size_t i = 0; i < n; i++) {
    job_t *j = &jobs[i];
    if (!j->rep || j->tmp_fd < 0) continue;
    if (published_on(jobs, n, j->dev)) carry->fds[carry->n_out++] = j->tmp_fd;
    else close(j->tmp_fd);
    j->tmp_fd = -1;
  }
  return 1;
}

/*
 * The group commit of copy-worker.ts asGroup over the jobs that staged. With `carry` (see copier.h) the
 * first syncfs also covers the previous message's renames, and the last one is left to the next
 * message (or to the worker) where no more than carry->cap file systems are involved.
 */
void barge_commit(call_t *c, job_t *jobs, size_t n, carry_t *carry) {
  for (size_t i = 0; i < n; i++) {
    job_t *j = &jobs[i];
    if (j->status != ST_STAGED) continue;
    int first = 1;
    for (size_t k = 0; k < i && first; k++)
      if (jobs[k].rep && jobs[k].dev == j->dev) first = 0;
    if (first) {
      j->rep = 1;
      continue;
    }
    int fd = j->tmp_fd;
    j->tmp_fd = -1;
    if (close(fd) != 0) {
      fail_errno(j, errno, "close", "dst");
      unlinkat(j->dir_fd, j->temp, 0);
    }
  }
  int *failed = calloc(n ? n : 1, sizeof *failed);
  if (failed == NULL) abort();
  if (carry != NULL) sync_carried(carry, jobs, n, failed);
  else sync_all(jobs, n, failed);
  for (size_t i = 0; i < n; i++) {
    job_t *j = &jobs[i];
    if (j->status != ST_STAGED) continue;
    int e = rep_errno(jobs, n, failed, j->dev);
    if (e != 0) {
      discard(j);
      fail_errno(j, e, "syncfs", "dst");
      continue;
    }
    if (aborted(c, j)) {
      discard(j);
      fail_code(j, "aborted", "dst");
      continue;
    }
    barge_publish(c, j);
    if (j->status != ST_STAGED) discard(j);
    else j->status = ST_OK;
  }
  if (carry != NULL && defer_last(carry, jobs, n)) {
    free(failed);
    return;
  }
  memset(failed, 0, n * sizeof *failed);
  sync_all(jobs, n, failed);
  for (size_t i = 0; i < n; i++) {
    job_t *j = &jobs[i];
    if (j->status != ST_OK) continue;
    int e = rep_errno(jobs, n, failed, j->dev);
    if (e != 0) fail_errno(j, e, "syncfs", "dst");
  }
  for (size_t i = 0; i < n; i++)
    if (jobs[i].rep && jobs[i].tmp_fd >= 0) {
      close(jobs[i].tmp_fd);
      jobs[i].tmp_fd = -1;
    }
  free(failed);
}
