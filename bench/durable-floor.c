/* The durable floor of bench/copy-small.ts: the least work that copies a tree with Barge's guarantees
 * (nothing partial visible, everything on disk at the end). Directories are made first; 2 threads copy
 * their share of the files to `.NAME.tmp`, one syncfs per 1,000 files, then rename them; a last syncfs
 * makes the renames durable. Built with -DHASH it also hashes what it reads with xxhash64 and re-reads
 * the stored file to compare (Barge's file_checksum: xxhash64). Usage: durable-floor SRC DST */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef HASH
#include <xxhash.h>
#endif
#define THREADS 2
#define GROUP 1000
static char **files; static size_t nfiles, cap; static const char *src, *dst;
static void die(const char *what, const char *path) { perror(path); fprintf(stderr, "durable-floor: %s\n", what); exit(1); }
static void walk(const char *rel) {        /* lists files, makes each directory at the destination */
  char path[4096]; snprintf(path, sizeof path, "%s/%s", src, rel);
  DIR *d = opendir(path); if (!d) die("opendir", path);
  for (struct dirent *e; (e = readdir(d));) {
    if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2]))) continue;
    char r[4096]; snprintf(r, sizeof r, "%s%s%s", rel, *rel ? "/" : "", e->d_name);
    if (e->d_type == DT_DIR) { snprintf(path, sizeof path, "%s/%s", dst, r); if (mkdir(path, 0755) && errno != EEXIST) die("mkdir", path); walk(r); }
    else if (e->d_type == DT_REG) { if (nfiles == cap) files = realloc(files, (cap = cap ? 2 * cap : 4096) * sizeof *files); files[nfiles++] = strdup(r); }
  }
  closedir(d);
}
static void names(const char *rel, char *to, char *tmp) {
  snprintf(to, 4096, "%s/%s", dst, rel);
  const char *slash = strrchr(rel, '/');
  snprintf(tmp, 4096, "%s/%.*s%s.%s.tmp", dst, slash ? (int)(slash - rel) : 0, rel, slash ? "/" : "", slash ? slash + 1 : rel);
}
static void *copier(void *arg) {
  size_t t = (size_t)arg, from = nfiles * t / THREADS, end = nfiles * (t + 1) / THREADS;
  static __thread char buf[1 << 16]; char in[4096], to[4096], tmp[4096];
  int root = open(dst, O_RDONLY | O_DIRECTORY); if (root < 0) die("open", dst);
  for (size_t g = from; g < end; g += GROUP) {
    size_t stop = g + GROUP < end ? g + GROUP : end;
    for (size_t i = g; i < stop; i++) {
      snprintf(in, sizeof in, "%s/%s", src, files[i]); names(files[i], to, tmp);
      int s = open(in, O_RDONLY | O_NOFOLLOW), o = open(tmp, O_RDWR | O_CREAT | O_EXCL, 0644);
      if (s < 0 || o < 0) die("open", s < 0 ? in : tmp);
#ifdef HASH
      XXH64_state_t *h = XXH64_createState(); XXH64_reset(h, 0);
#endif
      ssize_t n; off_t size = 0;
      while ((n = read(s, buf, sizeof buf)) > 0) {
#ifdef HASH
        XXH64_update(h, buf, n);
#endif
        if (write(o, buf, n) != n) die("write", tmp);
        size += n;
      }
      if (n < 0) die("read", in);
#ifdef HASH
      XXH64_hash_t want = XXH64_digest(h); XXH64_reset(h, 0);
      for (off_t at = 0; (n = pread(o, buf, sizeof buf, at)) > 0; at += n) XXH64_update(h, buf, n);
      if (XXH64_digest(h) != want) die("checksum mismatch", tmp);
      XXH64_freeState(h);
#endif
      struct stat st; fstat(s, &st); fchmod(o, st.st_mode & 07777);
      struct timespec times[2] = {st.st_atim, st.st_mtim}; futimens(o, times);
      close(s); if (close(o)) die("close", tmp);
    }
    if (syncfs(root)) die("syncfs", dst);
    for (size_t i = g; i < stop; i++) { names(files[i], to, tmp); if (rename(tmp, to)) die("rename", tmp); }
  }
  if (syncfs(root)) die("syncfs", dst);
  close(root); return NULL;
}
int main(int argc, char **argv) {
  if (argc != 3) { fprintf(stderr, "usage: %s SRC DST\n", argv[0]); return 2; }
  src = argv[1]; dst = argv[2]; walk("");
  pthread_t th[THREADS];
  for (size_t t = 0; t < THREADS; t++) pthread_create(&th[t], NULL, copier, (void *)t);
  for (size_t t = 0; t < THREADS; t++) pthread_join(th[t], NULL);
  printf("%zu files\n", nfiles); return 0;
}
