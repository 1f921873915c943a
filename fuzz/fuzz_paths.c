/* libFuzzer target: the file-opening paths of the richeta program against
 * special files. Each input builds a small file system scene in a private
 * directory and runs one command path on it:
 *
 *   byte 0  what the path P is: 0 regular file (the rest of the input),
 *           1 empty file, 2 FIFO, 3 directory, 4 socket, 5 link to a
 *           regular file, 6 link to a FIFO, 7 link to a directory,
 *           8 dangling link, 9 link loop, 10 chain of two links to a
 *           regular file, 11 device node (made here with /dev/null's
 *           numbers; only as root, else a FIFO), 12 link to the device
 *   byte 1  what is done with P: reads - config load (--config), checkpoint
 *           resume (--resume), data sets npz:/cifar10:/npy:/idx:, align's
 *           CSV reader (rlz_open_regular), store open read-only (export);
 *           writes - checkpoint save, config save, an atomic file
 *           (fit --save), the program's output file (export --out), store
 *           open for writing (sweep --db)
 *   rest    the regular file's bytes
 *
 * Invariants (violations abort): nothing blocks (an alarm aborts after
 * 20 s); a write to a path that is, or links to, anything but a regular
 * file (or a name not taken yet) fails and leaves the node as it was (same
 * type, same device numbers); reads of non-regular files fail. */
#include "cli_util.h"
#include "core/fileio.h"
#include "sweep/sweep_internal.h"

#include <richlazy/richeta.h>

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { N_KINDS = 13, N_OPS = 13 };

static void check(int cond, const char *what) {
  if (!cond) {
    fprintf(stderr, "fuzz_paths: invariant violated: %s\n", what);
    abort();
  }
}

static void on_alarm(int sig) {
  (void)sig;
  static const char msg[] = "fuzz_paths: a file operation blocked\n";
  ssize_t w = write(2, msg, sizeof msg - 1);
  (void)w;
  abort();
}

static char dir[128];

static const char *at(const char *name) {
  static char p[4][256];
  static int k;
  k = (k + 1) % 4;
  snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
  return p[k];
}

static void clear_dir(void) {
  static const char *const names[] = {"p",         "real",     "fifo",    "sub",   "sock",
                                      "dev",       "p2",       "loop",    "p-wal", "p-shm",
                                      "p-journal", "real-wal", "real-shm"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    unlink(at(names[i]));
    rmdir(at(names[i]));
  }
}

static void write_bytes(const char *p, const uint8_t *d, size_t n) {
  FILE *f = fopen(p, "wb");
  if (f) {
    if (n)
      fwrite(d, 1, n, f);
    fclose(f);
  }
}

/* Build the scene; returns 1 when P is (or resolves to) a regular file or
 * a name free to create, 0 when it is a special file that must survive. */
static int make_scene(int kind, const uint8_t *d, size_t n) {
  int sock;
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  switch (kind) {
  case 0:
    write_bytes(at("p"), d, n);
    return 1;
  case 1:
    write_bytes(at("p"), d, 0);
    return 1;
  case 2:
    mkfifo(at("p"), 0600);
    return 0;
  case 3:
    mkdir(at("p"), 0700);
    return 0;
  case 4:
    sock = socket(AF_UNIX, SOCK_STREAM, 0);
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", at("p"));
    if (sock >= 0) {
      if (bind(sock, (struct sockaddr *)&sa, sizeof sa) != 0)
        mkfifo(at("p"), 0600);
      close(sock);
    }
    return 0;
  case 5:
    write_bytes(at("real"), d, n);
    return symlink("real", at("p")), 1;
  case 6:
    mkfifo(at("fifo"), 0600);
    return symlink("fifo", at("p")), 0;
  case 7:
    mkdir(at("sub"), 0700);
    return symlink("sub", at("p")), 0;
  case 8:
    return symlink("real", at("p")), 1;
  case 9:
    symlink("p", at("loop"));
    return symlink("loop", at("p")), 0;
  case 10:
    write_bytes(at("real"), d, n);
    symlink("real", at("p2"));
    return symlink("p2", at("p")), 1;
  case 11:
    if (mknod(at("p"), S_IFCHR | 0666, makedev(1, 3)) != 0)
      mkfifo(at("p"), 0600);
    return 0;
  default:
    if (mknod(at("dev"), S_IFCHR | 0666, makedev(1, 3)) != 0)
      mkfifo(at("dev"), 0600);
    return symlink("dev", at("p")), 0;
  }
}

/* The node a special scene must keep: its type and device numbers. */
static void node_of(int kind, mode_t *type, dev_t *rdev) {
  const char *n = kind == 6 ? "fifo" : kind == 7 ? "sub" : kind == 12 ? "dev" : "p";
  struct stat sb;
  *type = 0;
  *rdev = 0;
  if (lstat(at(n), &sb) == 0) {
    *type = sb.st_mode & S_IFMT;
    *rdev = sb.st_rdev;
  }
}

static richeta_status run_op(int op, const char *p) {
  static const char *const specs[] = {"npz:%s", "cifar10:%s", "npy:%s,%s", "idx:%s,%s"};
  char spec[600];
  richeta_status st = RICHETA_OK;
  rlz_err e;
  rlz_alloc a;
  rlz_alloc_resolve(&a, NULL);
  richeta_config *cfg = NULL;
  richeta_trainer *t = NULL;
  richeta_dataset *ds = NULL;
  rlz_store *s = NULL;
  int fd;
  switch (op) {
  case 0:
    richeta_config_new(&cfg, NULL);
    st = richeta_config_load(cfg, p);
    break;
  case 1:
    st = richeta_trainer_resume(&t, p, NULL);
    break;
  case 2:
  case 3:
  case 4:
  case 5:
    snprintf(spec, sizeof spec, specs[op - 2], p, p);
    st = richeta_dataset_open(&ds, spec, NULL);
    break;
  case 6:
    st = rlz_open_regular(&e, p, &fd, NULL);
    if (st == RICHETA_OK)
      close(fd);
    break;
  case 7:
    st = rlz_store_open(&s, p, 1, &a, &e);
    break;
  case 8:
  case 9:
    richeta_config_new(&cfg, NULL);
    richeta_config_parse(cfg, "D=2,N=2,B=2,T=2,eval_n=2");
    if (op == 8 && (st = richeta_trainer_new(&t, cfg)) == RICHETA_OK)
      st = richeta_trainer_save(t, p);
    else if (op == 9)
      st = richeta_config_save(cfg, p);
    break;
  case 10:
    st = rlz_write_file_atomic(&e, p, "gamma=1\n", 8);
    break;
  case 11: {
    rlz_cli_out o;
    if (rlz_cli_out_begin("fuzz", p, &o) != 0) {
      st = RICHETA_ERR_IO;
      break;
    }
    fputs("config_hash,gamma\n", o.f);
    st = rlz_cli_out_commit("fuzz", &o) == 0 ? RICHETA_OK : RICHETA_ERR_IO;
    rlz_cli_out_abort(&o);
    break;
  }
  default:
    st = rlz_store_open(&s, p, 0, &a, &e);
    break;
  }
  rlz_store_close(s);
  richeta_dataset_free(ds);
  richeta_trainer_free(t);
  richeta_config_free(cfg);
  return st;
}

static void remove_dir(void) {
  clear_dir();
  rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!dir[0]) {
    snprintf(dir, sizeof dir, "/tmp/fuzz-paths-%ld", (long)getpid());
    mkdir(dir, 0700);
    atexit(remove_dir);
    signal(SIGALRM, on_alarm);
    signal(SIGPIPE, SIG_IGN);
  }
  if (size < 2)
    return 0;
  int kind = data[0] % N_KINDS, op = data[1] % N_OPS;
  clear_dir();
  int regular = make_scene(kind, data + 2, size - 2);
  mode_t type0;
  dev_t rdev0;
  node_of(kind, &type0, &rdev0);
  alarm(20);
  richeta_status st = run_op(op, at("p"));
  alarm(0);
  int writes = op >= 8;
  if (!regular) {
    check(st != RICHETA_OK, "an operation on a special file succeeded");
    mode_t type1;
    dev_t rdev1;
    node_of(kind, &type1, &rdev1);
    check(type0 == type1 && rdev0 == rdev1, "a special file was replaced");
  } else if (writes && op != 12) {
    check(st == RICHETA_OK, "a write to a regular file (or a free name) failed");
    struct stat sb;
    check(lstat(at("p"), &sb) == 0, "the written path exists");
    check(S_ISLNK(sb.st_mode) == (kind == 5 || kind == 8 || kind == 10),
          "a link stays a link, a file a file");
  }
  clear_dir();
  return 0;
}
