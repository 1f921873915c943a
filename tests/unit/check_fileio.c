/* Hostile paths (lib/core/fileio.c): reads never block on a FIFO and read
 * /proc files as what they hold; atomic writes refuse devices, FIFOs,
 * sockets and directories, write through symbolic links, and clean up the
 * temporaries of killed writers - all in a private temporary directory
 * (never the real /dev/null). Each case runs in a forked child with an
 * alarm, so that a hang fails the test instead of stalling the suite. */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <richlazy/richeta.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

#include "core/fileio.h"

Suite *fileio_suite(void);

static char dir[256];

static void setup(void) {
  snprintf(dir, sizeof dir, "/tmp/check_fileio_%ld_XXXXXX", (long)getpid());
  ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void) {
  char cmd[400];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  ck_assert_int_eq(system(cmd), 0);
}

static const char *at(const char *name) {
  static char p[4][512];
  static int k;
  k = (k + 1) % 4;
  snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
  return p[k];
}

static void put(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fputs(text, f);
  ck_assert_int_eq(fclose(f), 0);
}

static char *get(const char *path) {
  static char buf[4096];
  FILE *f = fopen(path, "r");
  ck_assert_ptr_nonnull(f);
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = '\0';
  fclose(f);
  return buf;
}

/* status of fn(path) computed in a child killed after 10 s: -1 = hung */
static int in_child(richeta_status (*fn)(const char *), const char *path) {
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    alarm(10);
    _exit((int)fn(path));
  }
  int st = 0;
  ck_assert_int_eq(waitpid(pid, &st, 0), pid);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static richeta_status read_it(const char *path) {
  rlz_alloc a;
  rlz_alloc_resolve(&a, NULL);
  rlz_err e;
  char *data = NULL;
  size_t n = 0;
  richeta_status st = rlz_read_file(&a, &e, path, 1 << 20, &data, &n);
  rlz_free(&a, data);
  return st;
}

static richeta_status write_it(const char *path) {
  rlz_err e;
  return rlz_write_file_atomic(&e, path, "new\n", 4);
}

static richeta_status config_load_it(const char *path) {
  richeta_config *cfg = NULL;
  richeta_config_new(&cfg, NULL);
  richeta_status st = richeta_config_load(cfg, path);
  richeta_config_free(cfg);
  return st;
}

static richeta_status resume_it(const char *path) {
  richeta_trainer *t = NULL;
  richeta_status st = richeta_trainer_resume(&t, path, NULL);
  richeta_trainer_free(t);
  return st;
}

static richeta_status dataset_it(const char *spec) {
  richeta_dataset *ds = NULL;
  richeta_status st = richeta_dataset_open(&ds, spec, NULL);
  richeta_dataset_free(ds);
  return st;
}

START_TEST(fifos_are_refused_at_once_by_every_reader) {
  ck_assert_int_eq(mkfifo(at("f"), 0600), 0);
  ck_assert_int_eq(in_child(read_it, at("f")), RICHETA_ERR_IO);
  ck_assert_int_eq(in_child(config_load_it, at("f")), RICHETA_ERR_IO);
  ck_assert_int_eq(in_child(resume_it, at("f")), RICHETA_ERR_IO);
  char spec[700];
  const char *kinds[] = {"npz:%s", "cifar10:%s", "npy:%s,%s", "idx:%s,%s"};
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
    snprintf(spec, sizeof spec, kinds[i], at("f"), at("f"));
    ck_assert_msg(in_child(dataset_it, spec) == RICHETA_ERR_IO, "%s", spec);
  }
  /* the message says what the path is */
  ck_assert_int_eq(read_it(at("f")), RICHETA_ERR_IO);
  rlz_alloc a;
  rlz_alloc_resolve(&a, NULL);
  rlz_err e;
  char *d = NULL;
  size_t n;
  rlz_read_file(&a, &e, at("f"), 100, &d, &n);
  ck_assert_ptr_nonnull(strstr(e.msg, "FIFO"));
}
END_TEST

START_TEST(directories_and_sockets_are_refused_by_readers) {
  ck_assert_int_eq(mkdir(at("d"), 0700), 0);
  ck_assert_int_eq(in_child(read_it, at("d")), RICHETA_ERR_IO);
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  ck_assert_int_ge(s, 0);
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  snprintf(sa.sun_path, sizeof sa.sun_path, "%s", at("sock"));
  ck_assert_int_eq(bind(s, (struct sockaddr *)&sa, sizeof sa), 0);
  ck_assert_int_eq(in_child(read_it, at("sock")), RICHETA_ERR_IO);
  ck_assert_int_eq(in_child(config_load_it, at("sock")), RICHETA_ERR_IO);
  close(s);
}
END_TEST

START_TEST(proc_files_are_read_as_what_they_hold) {
  /* /proc/self/status reports 0 bytes: it used to read as an empty spec
   * (defaults); now its text is parsed, and refused as a spec */
  rlz_alloc a;
  rlz_alloc_resolve(&a, NULL);
  rlz_err e;
  char *d = NULL;
  size_t n = 0;
  ck_assert_int_eq(rlz_read_file(&a, &e, "/proc/self/status", 1 << 20, &d, &n), RICHETA_OK);
  ck_assert_uint_gt(n, 0);
  ck_assert_ptr_nonnull(strstr(d, "Name:"));
  rlz_free(&a, d);
  richeta_status st = config_load_it("/proc/self/status");
  ck_assert_msg(st != RICHETA_OK, "a /proc file loaded as a spec");
  /* the size cap holds for files whose stat size is 0 */
  ck_assert_int_eq(rlz_read_file(&a, &e, "/proc/self/status", 8, &d, &n), RICHETA_ERR_RANGE);
}
END_TEST

START_TEST(writes_refuse_fifos_directories_and_sockets_and_leave_them) {
  struct stat sb;
  ck_assert_int_eq(mkfifo(at("fifo"), 0600), 0);
  ck_assert_int_eq(in_child(write_it, at("fifo")), RICHETA_ERR_IO);
  ck_assert_int_eq(lstat(at("fifo"), &sb), 0);
  ck_assert(S_ISFIFO(sb.st_mode));
  ck_assert_int_eq(mkdir(at("dir"), 0700), 0);
  ck_assert_int_eq(in_child(write_it, at("dir")), RICHETA_ERR_IO);
  ck_assert_int_eq(lstat(at("dir"), &sb), 0);
  ck_assert(S_ISDIR(sb.st_mode));
  /* no temporary is left next to them */
  DIR *d = opendir(dir);
  struct dirent *ent;
  int others = 0;
  while ((ent = readdir(d)))
    others += strstr(ent->d_name, ".tmp.") != NULL;
  closedir(d);
  ck_assert_int_eq(others, 0);
  /* and the message says why */
  rlz_err e;
  ck_assert_int_eq(rlz_write_file_atomic(&e, at("dir"), "x", 1), RICHETA_ERR_IO);
  ck_assert_ptr_nonnull(strstr(e.msg, "refusing to replace"));
}
END_TEST

START_TEST(writes_refuse_a_device_node_and_leave_it) {
  /* a device node of /dev/null's numbers, made in the temporary directory */
  if (mknod(at("null"), S_IFCHR | 0666, makedev(1, 3)) != 0) {
    /* only root may make one (the CI runs as root: there it must work) */
    ck_assert_msg(geteuid() != 0, "mknod failed as root");
    fprintf(stderr, "# mknod not permitted for uid %d: device case not run\n", (int)geteuid());
    return;
  }
  ck_assert_int_eq(in_child(write_it, at("null")), RICHETA_ERR_IO);
  struct stat sb;
  ck_assert_int_eq(lstat(at("null"), &sb), 0);
  ck_assert(S_ISCHR(sb.st_mode));
  ck_assert_uint_eq(major(sb.st_rdev), 1);
  ck_assert_uint_eq(minor(sb.st_rdev), 3);
  /* a link to it: refused too, link and device kept */
  ck_assert_int_eq(symlink("null", at("to-null")), 0);
  ck_assert_int_eq(in_child(write_it, at("to-null")), RICHETA_ERR_IO);
  ck_assert_int_eq(lstat(at("to-null"), &sb), 0);
  ck_assert(S_ISLNK(sb.st_mode));
  ck_assert_int_eq(stat(at("to-null"), &sb), 0);
  ck_assert(S_ISCHR(sb.st_mode));
}
END_TEST

START_TEST(writes_go_through_symbolic_links_to_their_target) {
  ck_assert_int_eq(mkdir(at("sub"), 0700), 0);
  put(at("sub/target"), "old\n");
  chmod(at("sub/target"), 0640);
  /* relative link, a chain of two, and an absolute one */
  ck_assert_int_eq(symlink("sub/target", at("rel")), 0);
  ck_assert_int_eq(symlink("rel", at("chain")), 0);
  ck_assert_int_eq(symlink(at("sub/target"), at("abs")), 0);
  const char *links[] = {"rel", "chain", "abs"};
  for (int i = 0; i < 3; i++) {
    put(at("sub/target"), "old\n");
    ck_assert_int_eq(write_it(at(links[i])), RICHETA_OK);
    ck_assert_str_eq(get(at("sub/target")), "new\n");
    struct stat sb;
    ck_assert_int_eq(lstat(at(links[i]), &sb), 0);
    ck_assert_msg(S_ISLNK(sb.st_mode), "%s is still a link", links[i]);
    ck_assert_int_eq(stat(at("sub/target"), &sb), 0);
    ck_assert_int_eq(sb.st_mode & 0777, 0640); /* the target's mode is kept */
  }
  /* a dangling link creates its target */
  ck_assert_int_eq(symlink("sub/fresh", at("dangling")), 0);
  ck_assert_int_eq(write_it(at("dangling")), RICHETA_OK);
  ck_assert_str_eq(get(at("sub/fresh")), "new\n");
  /* a loop is an error, not a hang */
  ck_assert_int_eq(symlink("loop2", at("loop1")), 0);
  ck_assert_int_eq(symlink("loop1", at("loop2")), 0);
  ck_assert_int_eq(in_child(write_it, at("loop1")), RICHETA_ERR_IO);
  /* a link to a FIFO is refused */
  ck_assert_int_eq(mkfifo(at("sub/fifo"), 0600), 0);
  ck_assert_int_eq(symlink("sub/fifo", at("to-fifo")), 0);
  ck_assert_int_eq(in_child(write_it, at("to-fifo")), RICHETA_ERR_IO);
}
END_TEST

START_TEST(checkpoints_and_specs_refuse_special_files_through_the_api) {
  richeta_config *cfg = NULL;
  ck_assert_int_eq(richeta_config_new(&cfg, NULL), RICHETA_OK);
  ck_assert_int_eq(richeta_config_parse(cfg, "D=2,N=4,B=2,T=2,eval_n=2"), RICHETA_OK);
  richeta_trainer *t = NULL;
  ck_assert_int_eq(richeta_trainer_new(&t, cfg), RICHETA_OK);
  ck_assert_int_eq(mkfifo(at("ck"), 0600), 0);
  ck_assert_int_eq(richeta_trainer_save(t, at("ck")), RICHETA_ERR_IO);
  ck_assert_int_eq(richeta_config_save(cfg, at("ck")), RICHETA_ERR_IO);
  struct stat sb;
  ck_assert_int_eq(lstat(at("ck"), &sb), 0);
  ck_assert(S_ISFIFO(sb.st_mode));
  ck_assert_int_eq(richeta_trainer_save(t, at("good.ckpt")), RICHETA_OK);
  ck_assert_int_eq(richeta_trainer_load(t, at("good.ckpt")), RICHETA_OK);
  richeta_trainer_free(t);
  richeta_config_free(cfg);
}
END_TEST

static void age(const char *path, int seconds) {
  struct utimbuf u = {.actime = time(NULL) - seconds, .modtime = time(NULL) - seconds};
  ck_assert_int_eq(utime(path, &u), 0);
}

START_TEST(stale_temporaries_of_killed_writers_are_removed_live_ones_kept) {
  put(at("ck.tmp.AbC123"), "dead writer");
  age(at("ck.tmp.AbC123"), 3600);
  put(at("ck.tmp.Young1"), "just created");
  /* a live writer: holds the lock, however old its file */
  put(at("ck.tmp.Live99"), "live writer");
  age(at("ck.tmp.Live99"), 3600);
  int lfd = open(at("ck.tmp.Live99"), O_RDONLY);
  ck_assert_int_ge(lfd, 0);
  ck_assert_int_eq(flock(lfd, LOCK_EX | LOCK_NB), 0);
  /* names that are not ours */
  put(at("ck.tmp.toolong7"), "x");
  age(at("ck.tmp.toolong7"), 3600);
  put(at("other.tmp.AbC123"), "x");
  age(at("other.tmp.AbC123"), 3600);
  ck_assert_int_eq(mkfifo(at("ck.tmp.Fifo00"), 0600), 0);
  ck_assert_int_eq(in_child(write_it, at("ck")), RICHETA_OK);
  ck_assert_str_eq(get(at("ck")), "new\n");
  ck_assert_int_ne(access(at("ck.tmp.AbC123"), F_OK), 0);
  ck_assert_int_eq(access(at("ck.tmp.Young1"), F_OK), 0);
  ck_assert_int_eq(access(at("ck.tmp.Live99"), F_OK), 0);
  ck_assert_int_eq(access(at("ck.tmp.toolong7"), F_OK), 0);
  ck_assert_int_eq(access(at("other.tmp.AbC123"), F_OK), 0);
  ck_assert_int_eq(access(at("ck.tmp.Fifo00"), F_OK), 0);
  close(lfd);
}
END_TEST

START_TEST(streamed_atomic_writes_leave_nothing_when_aborted) {
  put(at("out"), "previous\n");
  rlz_atomic_file w;
  rlz_err e;
  ck_assert_int_eq(rlz_atomic_begin(&w, &e, at("out")), RICHETA_OK);
  ck_assert_int_eq(rlz_atomic_write(&w, &e, "partial", 7), RICHETA_OK);
  rlz_atomic_abort(&w);
  ck_assert_str_eq(get(at("out")), "previous\n");
  DIR *d = opendir(dir);
  struct dirent *ent;
  int n = 0;
  while ((ent = readdir(d)))
    n += ent->d_name[0] != '.';
  closedir(d);
  ck_assert_int_eq(n, 1);
  ck_assert_int_eq(rlz_atomic_begin(&w, &e, at("out")), RICHETA_OK);
  ck_assert_int_eq(rlz_atomic_write(&w, &e, "whole\n", 6), RICHETA_OK);
  ck_assert_int_eq(rlz_atomic_commit(&w, &e), RICHETA_OK);
  rlz_atomic_abort(&w); /* safe after a commit */
  ck_assert_str_eq(get(at("out")), "whole\n");
  /* a missing directory is an error naming the path */
  ck_assert_int_eq(rlz_write_file_atomic(&e, at("no/such/dir/f"), "x", 1), RICHETA_ERR_IO);
}
END_TEST

Suite *fileio_suite(void) {
  Suite *su = suite_create("fileio");
  TCase *tc = tcase_create("paths");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, fifos_are_refused_at_once_by_every_reader);
  tcase_add_test(tc, directories_and_sockets_are_refused_by_readers);
  tcase_add_test(tc, proc_files_are_read_as_what_they_hold);
  tcase_add_test(tc, writes_refuse_fifos_directories_and_sockets_and_leave_them);
  tcase_add_test(tc, writes_refuse_a_device_node_and_leave_it);
  tcase_add_test(tc, writes_go_through_symbolic_links_to_their_target);
  tcase_add_test(tc, checkpoints_and_specs_refuse_special_files_through_the_api);
  tcase_add_test(tc, stale_temporaries_of_killed_writers_are_removed_live_ones_kept);
  tcase_add_test(tc, streamed_atomic_writes_leave_nothing_when_aborted);
  suite_add_tcase(su, tc);
  return su;
}
