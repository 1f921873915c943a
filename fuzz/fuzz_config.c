/* libFuzzer target: configuration spec strings and typed setters.
 *
 * The first byte picks a mode:
 * - even: the rest is a spec string. Whatever richeta_config_parse() says,
 *   the configuration must stay valid: its canonical string parses back to
 *   an identical canonical string, and a failed parse changes nothing.
 * - odd: the rest is a sequence of setter records
 *   [op u8][param u16][value 8 bytes]: set_int / set_double / set_string /
 *   get_* / param_info / param_bounds / param_value_name with arbitrary keys
 *   and values. A successful set reads back equal; a failed one changes
 *   nothing.
 * Violations abort, so that libFuzzer reports them. */
#include <richlazy/richeta.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CANON_MAX 16384

static void check(int cond, const char *what) {
  if (!cond) {
    fprintf(stderr, "fuzz_config: invariant violated: %s\n", what);
    abort();
  }
}

/* Canonical text of cfg into a malloc'd buffer, via the size query. */
static char *canon(const richeta_config *cfg) {
  size_t need = 0;
  richeta_status s = richeta_config_to_string(cfg, NULL, 0, &need);
  check(s == RICHETA_OK || s == RICHETA_ERR_BUFFER_TOO_SMALL, "to_string size query");
  check(need > 0 && need < CANON_MAX, "canonical length");
  char *buf = malloc(need);
  if (!buf)
    abort();
  s = richeta_config_to_string(cfg, buf, need, NULL);
  check(s == RICHETA_OK, "to_string with the reported size");
  check(strlen(buf) + 1 == need, "reported size is length + 1");
  /* one byte short must be refused, not truncated silently */
  if (need > 1) {
    char *small = malloc(need - 1);
    if (!small)
      abort();
    check(richeta_config_to_string(cfg, small, need - 1, NULL) == RICHETA_ERR_BUFFER_TOO_SMALL,
          "to_string refuses a short buffer");
    free(small);
  }
  return buf;
}

/* The canonical text must parse into a fresh configuration and give itself. */
static void check_roundtrip(const richeta_config *cfg) {
  char *a = canon(cfg);
  richeta_config *c2 = NULL;
  check(richeta_config_new(&c2, NULL) == RICHETA_OK, "config_new");
  richeta_status s = richeta_config_parse(c2, a);
  if (s != RICHETA_OK)
    fprintf(stderr, "canonical string refused (%s): %s\n", richeta_config_last_error(c2), a);
  check(s == RICHETA_OK, "canonical string parses");
  char *b = canon(c2);
  if (strcmp(a, b) != 0)
    fprintf(stderr, "round trip differs:\n%s\n%s\n", a, b);
  check(strcmp(a, b) == 0, "canonical string round-trips");
  free(a);
  free(b);
  richeta_config_free(c2);
}

static void fuzz_spec(const uint8_t *data, size_t size) {
  char *spec = malloc(size + 1);
  if (!spec)
    abort();
  memcpy(spec, data, size);
  spec[size] = '\0';
  richeta_config *cfg = NULL;
  check(richeta_config_new(&cfg, NULL) == RICHETA_OK, "config_new");
  char *before = canon(cfg);
  richeta_status s = richeta_config_parse(cfg, spec);
  check(s >= RICHETA_OK && s <= RICHETA_ERR_INTERNAL && s != RICHETA_ERR_INTERNAL,
        "parse returns a known non-internal status");
  check(richeta_config_last_error(cfg) != NULL, "last_error never NULL");
  char *after = canon(cfg);
  if (s != RICHETA_OK)
    check(strcmp(before, after) == 0, "failed parse changes nothing");
  check_roundtrip(cfg);
  /* the spec is also a plausible parameter name */
  richeta_param p;
  if (richeta_param_from_name(spec, &p) == RICHETA_OK) {
    const char *name = NULL;
    check(richeta_param_info(p, NULL, &name) == RICHETA_OK && name && strcmp(name, spec) == 0,
          "param_from_name and param_info agree");
  }
  free(before);
  free(after);
  free(spec);
  richeta_config_free(cfg);
}

static uint64_t rd64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}

static void fuzz_setters(const uint8_t *data, size_t size) {
  richeta_config *cfg = NULL;
  check(richeta_config_new(&cfg, NULL) == RICHETA_OK, "config_new");
  size_t i = 0;
  while (i + 11 <= size) {
    uint8_t op = data[i];
    richeta_param p = (richeta_param)(int)(data[i + 1] | data[i + 2] << 8);
    /* keys cluster in 1..99, 100.., 200.., 300.., 400..: fold half the values there */
    if (op & 0x80)
      p = (richeta_param)((int)(data[i + 1] % 5) * 100 + (int)(data[i + 2] % 16));
    uint64_t raw = rd64(data + i + 3);
    i += 11;
    int64_t iv = (int64_t)raw;
    double dv;
    memcpy(&dv, &raw, sizeof dv);
    char *before = canon(cfg);
    richeta_status s = RICHETA_OK;
    switch (op & 7) {
    case 0: {
      s = richeta_config_set_int(cfg, p, iv);
      if (s == RICHETA_OK) {
        int64_t back = 0;
        check(richeta_config_get_int(cfg, p, &back) == RICHETA_OK && back == iv,
              "set_int reads back");
      }
      break;
    }
    case 1: {
      s = richeta_config_set_double(cfg, p, dv);
      if (s == RICHETA_OK) {
        double back = 0;
        check(isfinite(dv), "set_double accepted only finite values");
        check(richeta_config_get_double(cfg, p, &back) == RICHETA_OK &&
                  memcmp(&back, &dv, sizeof dv) == 0,
              "set_double reads back");
      }
      break;
    }
    case 2: {
      /* small ints for enumerations and sizes */
      s = richeta_config_set_int(cfg, p, (int64_t)(int8_t)(raw & 0xff));
      break;
    }
    case 3: {
      char str[9];
      memcpy(str, data + i - 8, 8);
      str[8] = '\0';
      s = richeta_config_set_string(cfg, p, str);
      if (s == RICHETA_OK) {
        char back[16];
        size_t need = 0;
        check(richeta_config_get_string(cfg, p, back, sizeof back, &need) == RICHETA_OK &&
                  need == strlen(str) + 1 && strcmp(back, str) == 0,
              "set_string reads back");
      }
      break;
    }
    case 4: {
      double lo = 0, hi = 0;
      int open = 0;
      richeta_status b = richeta_param_bounds(p, &lo, &hi, &open);
      if (b == RICHETA_OK)
        check(!(lo > hi), "bounds ordered");
      richeta_param_type t;
      const char *name = NULL;
      if (richeta_param_info(p, &t, &name) == RICHETA_OK) {
        richeta_param q;
        check(name != NULL && richeta_param_from_name(name, &q) == RICHETA_OK && q == p,
              "param name round trip");
      }
      break;
    }
    case 5: {
      const char *vn = NULL;
      if (richeta_param_value_name(p, (int64_t)(int8_t)(raw & 0xff), &vn) == RICHETA_OK)
        check(vn != NULL && vn[0] != '\0', "value names are non-empty");
      break;
    }
    case 6: {
      /* bounds edges: set exactly the bound, and just outside */
      double lo = 0, hi = 0;
      int open = 0;
      if (richeta_param_bounds(p, &lo, &hi, &open) == RICHETA_OK) {
        richeta_param_type t;
        richeta_param_info(p, &t, NULL);
        double v = (raw & 1) ? hi : lo;
        if (raw & 2)
          v = (raw & 1) ? nextafter(hi, INFINITY) : nextafter(lo, -INFINITY);
        if (t == RICHETA_TYPE_DOUBLE)
          s = richeta_config_set_double(cfg, p, v);
        else if (v > -9.2e18 && v < 9.2e18)
          s = richeta_config_set_int(cfg, p, (int64_t)v);
      }
      break;
    }
    default: {
      int64_t v;
      double d;
      char str[4];
      size_t need = 0;
      (void)richeta_config_get_int(cfg, p, &v);
      (void)richeta_config_get_double(cfg, p, &d);
      (void)richeta_config_get_string(cfg, p, str, (size_t)(raw % 5), &need);
      break;
    }
    }
    char *after = canon(cfg);
    if (s != RICHETA_OK)
      check(strcmp(before, after) == 0, "failed setter changes nothing");
    free(before);
    free(after);
  }
  check_roundtrip(cfg);
  richeta_config *clone = NULL;
  check(richeta_config_clone(&clone, cfg) == RICHETA_OK, "clone");
  char *a = canon(cfg), *b = canon(clone);
  check(strcmp(a, b) == 0, "clone is equal");
  free(a);
  free(b);
  richeta_config_free(clone);
  richeta_config_free(cfg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0 || size > 8192)
    return 0;
  if (data[0] % 2 == 0)
    fuzz_spec(data + 1, size - 1);
  else
    fuzz_setters(data + 1, size - 1);
  return 0;
}
