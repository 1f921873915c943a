/* Runs a fuzz target's LLVMFuzzerTestOneInput over every file of the given
 * corpus directories (or files) without libFuzzer, so that the committed
 * corpora are replayed by the ordinary test suite. Exits non-zero when a
 * directory holds no input. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "replay: cannot open %s\n", path);
    return -1;
  }
  uint8_t *buf = NULL;
  size_t len = 0, cap = 0;
  for (;;) {
    if (len == cap) {
      cap = cap ? cap * 2 : 4096;
      uint8_t *nb = realloc(buf, cap);
      if (!nb) {
        free(buf);
        fclose(f);
        return -1;
      }
      buf = nb;
    }
    size_t r = fread(buf + len, 1, cap - len, f);
    if (r == 0)
      break;
    len += r;
  }
  fclose(f);
  /* an exact-size copy, so that sanitizers catch reads past the input */
  uint8_t *exact = malloc(len ? len : 1);
  if (!exact) {
    free(buf);
    return -1;
  }
  if (len)
    memcpy(exact, buf, len);
  free(buf);
  LLVMFuzzerTestOneInput(exact, len);
  free(exact);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s CORPUS_DIR_OR_FILE...\n", argv[0]);
    return 2;
  }
  int total = 0;
  for (int i = 1; i < argc; i++) {
    struct stat sb;
    if (stat(argv[i], &sb) != 0) {
      fprintf(stderr, "replay: %s does not exist\n", argv[i]);
      return 1;
    }
    if (!S_ISDIR(sb.st_mode)) {
      if (run_file(argv[i]) != 0)
        return 1;
      total++;
      continue;
    }
    DIR *d = opendir(argv[i]);
    if (!d)
      return 1;
    struct dirent *e;
    int here = 0;
    while ((e = readdir(d)) != NULL) {
      if (e->d_name[0] == '.')
        continue;
      char p[4096];
      snprintf(p, sizeof p, "%s/%s", argv[i], e->d_name);
      if (stat(p, &sb) != 0 || !S_ISREG(sb.st_mode))
        continue;
      if (run_file(p) != 0) {
        closedir(d);
        return 1;
      }
      here++;
    }
    closedir(d);
    if (here == 0) {
      fprintf(stderr, "replay: %s holds no inputs\n", argv[i]);
      return 1;
    }
    total += here;
  }
  printf("replayed %d inputs\n", total);
  return 0;
}
