/*
 * Confinement of the native copier (copier.c): every path is opened with openat2 from a descriptor of
 * its storage root, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS — the kernel refuses any step out of the
 * root (EXDEV), where the JavaScript path (sync-confine.ts) resolves and compares real paths.
 */
#include "copier.h"

int barge_openat2(int dirfd, const char *path, uint64_t flags, uint64_t resolve) {
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = flags;
  how.resolve = resolve;
  if (flags & O_CREAT) how.mode = 0666;
  int fd;
  do fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
  while (fd < 0 && errno == EINTR);
  return fd;
}

/* A directory descriptor (O_PATH) of `root` or of `parent` under it, cached for the call; -1: fallback.
 * The strings must live as long as the call (they are kept, not copied). */
int barge_dir_fd(call_t *c, const char *root, const char *parent) {
  for (size_t i = 0; i < c->ndirs; i++) {
    dirent_t *d = &c->dirs[i];
    if (strcmp(d->root, root) != 0) continue;
    if (parent == NULL ? d->parent == NULL : (d->parent != NULL && strcmp(d->parent, parent) == 0)) return d->fd;
  }
  int fd;
  if (parent == NULL) {
    fd = open(root, DIR_FLAGS);
  } else {
    int rootfd = barge_dir_fd(c, root, NULL);
    if (rootfd < 0) return -1;
    fd = barge_openat2(rootfd, parent, DIR_FLAGS, CONFINED);
  }
  if (fd < 0) return -1;
  if (c->ndirs == c->cap_dirs) {
    size_t cap = c->cap_dirs ? c->cap_dirs * 2 : 16;
    dirent_t *grown = realloc(c->dirs, cap * sizeof *grown);
    if (grown == NULL) {
      close(fd);
      return -1;
    }
    c->dirs = grown;
    c->cap_dirs = cap;
  }
  dirent_t *d = &c->dirs[c->ndirs++];
  d->root = root; /* borrowed: the call's string arena outlives its cache (copier.c) */
  d->parent = parent;
  d->fd = fd;
  return fd;
}

/* `mkdir -p` of `parent` under the root, one confined component at a time; 0 when done, -1: fallback. */
int barge_create_parent(call_t *c, const char *root, const char *parent) {
  int rootfd = barge_dir_fd(c, root, NULL);
  if (rootfd < 0) return -1;
  char *copy = strdup(parent);
  if (copy == NULL) return -1;
  int cur = rootfd, ok = 0;
  char *save = NULL;
  for (char *comp = strtok_r(copy, "/", &save); comp != NULL; comp = strtok_r(NULL, "/", &save)) {
    int next = barge_openat2(cur, comp, DIR_FLAGS, CONFINED);
    if (next < 0 && errno == ENOENT) {
      if (mkdirat(cur, comp, 0777) != 0 && errno != EEXIST) next = -1;
      else next = barge_openat2(cur, comp, DIR_FLAGS, CONFINED);
    }
    if (cur != rootfd) close(cur);
    if (next < 0) {
      ok = -1;
      cur = rootfd;
      break;
    }
    cur = next;
  }
  if (cur != rootfd) close(cur);
  free(copy);
  return ok;
}
