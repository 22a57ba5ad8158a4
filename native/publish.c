/*
 * Publication of a staged copy (publish.ts publishSync): rename over the target, or, with noReplace,
 * renameat2(RENAME_NOREPLACE) — link + unlink where the flag is refused — where the same bytes already
 * there are this copy's own earlier publication and anything else is `exists`.
 */
#include "copier.h"

/* publish.ts sameContentSync: 1 when `b` is a regular file with exactly the bytes of `a`, 0 when not, -1 on error. */
static int same_content(call_t *c, int dfd, const char *a, const char *b, const char **what) {
  struct stat sa, sb;
  if (fstatat(dfd, b, &sb, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return 0;
    *what = "lstat";
    return -1;
  }
  if (!S_ISREG(sb.st_mode)) return 0;
  if (fstatat(dfd, a, &sa, AT_SYMLINK_NOFOLLOW) != 0) {
    *what = "lstat";
    return -1;
  }
  if (sa.st_size != sb.st_size) return 0;
  int fa = openat(dfd, a, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), fb = -1, result = -1;
  if (fa < 0 || (fb = openat(dfd, b, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
    *what = "open";
    close_quietly(fa);
    return -1;
  }
  size_t half = c->buf_len / 2;
  for (off_t pos = 0;;) {
    ssize_t n = pread(fa, c->buf, half, pos);
    ssize_t m = n < 0 ? -1 : pread(fb, c->buf + half, half, pos);
    if (n < 0 || m < 0) {
      *what = "read";
      break;
    }
    if (n != m) {
      result = 0;
      break;
    }
    if (n == 0) {
      result = 1;
      break;
    }
    if (memcmp(c->buf, c->buf + half, (size_t)n) != 0) {
      result = 0;
      break;
    }
    pos += n;
  }
  int saved = errno;
  close(fa);
  close(fb);
  errno = saved;
  return result;
}

/* Something is at the target: the same bytes are this copy's earlier publication, else `exists`. */
static void settle_existing(call_t *c, job_t *j) {
  const char *what = NULL;
  int same = same_content(c, j->dir_fd, j->temp, j->dst_name, &what);
  if (same < 0) fail_errno(j, errno, what, "dst");
  else if (!same) fail_code(j, "exists", "dst");
  else if (unlinkat(j->dir_fd, j->temp, 0) != 0) fail_errno(j, errno, "unlink", "dst");
}

static int no_renameat2(int e) {
  return e == EINVAL || e == ENOSYS || e == ENOTSUP || e == EOPNOTSUPP;
}

static int no_hard_links(int e) {
  return e == EPERM || e == ENOTSUP || e == EOPNOTSUPP || e == ENOSYS || e == EMLINK;
}

/* publish.ts publishSync: on failure the job is failed and its temp file still there. */
void barge_publish(call_t *c, job_t *j) {
  int dfd = j->dir_fd;
  if (!j->no_replace) {
    if (renameat(dfd, j->temp, dfd, j->dst_name) != 0) fail_errno(j, errno, "rename", "dst");
    return;
  }
  if (syscall(SYS_renameat2, dfd, j->temp, dfd, j->dst_name, RENAME_NOREPLACE) == 0) return;
  int e = errno;
  if (e == EEXIST) return settle_existing(c, j);
  if (!no_renameat2(e)) return fail_errno(j, e, "renameat2", "dst");
  if (linkat(dfd, j->temp, dfd, j->dst_name, 0) == 0) {
    if (unlinkat(dfd, j->temp, 0) != 0) fail_errno(j, errno, "unlink", "dst");
    return;
  }
  e = errno;
  if (e == EEXIST) return settle_existing(c, j);
  if (!no_hard_links(e)) return fail_errno(j, e, "link", "dst");
  struct stat st;
  if (fstatat(dfd, j->dst_name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
    const char *what = NULL;
    int same = same_content(c, dfd, j->temp, j->dst_name, &what);
    if (same < 0) return fail_errno(j, errno, what, "dst");
    if (!same) return fail_code(j, "exists", "dst");
  } else if (errno != ENOENT && errno != ENOTDIR) {
    return fail_errno(j, errno, "lstat", "dst");
  }
  if (renameat(dfd, j->temp, dfd, j->dst_name) != 0) fail_errno(j, errno, "rename", "dst");
}
