/* tools/cli_util.c: flag parsing (config flags, aliases, command options,
 * errors), number and list parsing, JSON-lines and CSV number output. */
#include "cli_util.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *capture(void (*fn)(FILE *, void *), void *arg) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  ck_assert_ptr_nonnull(f);
  fn(f, arg);
  fclose(f);
  return buf;
}

static void json_sample(FILE *f, void *arg) {
  (void)arg;
  rlz_json j;
  rlz_json_begin(&j, f, "point");
  rlz_json_int(&j, "step", 12);
  rlz_json_num(&j, "loss", 0.1);
  rlz_json_num(&j, "nan", NAN);
  rlz_json_num(&j, "inf", -INFINITY);
  rlz_json_str(&j, "s", "a\"b\\c\n\t\x01");
  rlz_json_str(&j, "null", NULL);
  rlz_json_bool(&j, "yes", 1);
  rlz_json_end(&j);
}

START_TEST(json_line_escapes_strings_and_nulls_nonfinite) {
  char *s = capture(json_sample, NULL);
  ck_assert_str_eq(s, "{\"record\":\"point\",\"step\":12,\"loss\":0.1,\"nan\":null,\"inf\":null,"
                      "\"s\":\"a\\\"b\\\\c\\n\\t\\u0001\",\"null\":null,\"yes\":true}\n");
  free(s);
}
END_TEST

static void num_sample(FILE *f, void *arg) {
  double v = *(double *)arg;
  rlz_json_write_number(f, v);
  fputc(' ', f);
  rlz_csv_number(f, v);
}

START_TEST(numbers_round_trip_exactly) {
  double vals[] = {1.0 / 3.0, 1e-300, -2.5e300, 0.1, 123456789.0};
  for (int i = 0; i < 5; i++) {
    char *s = capture(num_sample, &vals[i]);
    size_t sp = strcspn(s, " ");
    ck_assert_uint_lt(sp, strlen(s));
    ck_assert(strtod(s, NULL) == vals[i]);
    ck_assert(strtod(s + sp + 1, NULL) == vals[i]);
    free(s);
  }
  double n = NAN;
  char *s = capture(num_sample, &n);
  ck_assert_str_eq(s, "null nan");
  free(s);
}
END_TEST

/* Outputs print the shortest text that reads back to the same double
 * (issue 16: "eta0=0.10000000000000001"): every shorter precision misses. */
START_TEST(numbers_print_as_the_shortest_round_trip) {
  const struct {
    double v;
    const char *text;
  } fixed[] = {{0.1, "0.1"}, {1.0 / 3.0, "0.3333333333333333"}, {1e30, "1e+30"},
               {5e-324, "5e-324"}, {2.0 / 3.0, "0.6666666666666666"}, {-0.0, "-0"},
               {123456789.0, "123456789"}, {0.30000000000000004, "0.30000000000000004"}};
  for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
    char *s = capture(num_sample, (void *)&fixed[i].v);
    char want[80];
    snprintf(want, sizeof want, "%s %s", fixed[i].text, fixed[i].text);
    ck_assert_str_eq(s, want);
    free(s);
  }
  /* random doubles over many magnitudes: round trip, and minimal length */
  srand(16);
  for (int k = 0; k < 2000; k++) {
    double v = ((double)rand() / RAND_MAX - 0.5) * pow(10.0, rand() % 40 - 20);
    char *s = capture(num_sample, &v);
    size_t sp = strcspn(s, " ");
    s[sp] = '\0';
    ck_assert(strtod(s, NULL) == v);
    int digits = 0, leading = 1; /* significant digits: leading zeros do not count */
    for (const char *c = s; *c && *c != 'e'; c++) {
      if (*c >= '1' && *c <= '9')
        leading = 0;
      digits += !leading && *c >= '0' && *c <= '9';
    }
    char shorter[400];
    snprintf(shorter, sizeof shorter, "%.*g", digits > 1 ? digits - 1 : 1, v);
    ck_assert_msg(digits <= 1 || strtod(shorter, NULL) != v, "%s is not the shortest", s);
    free(s);
  }
}
END_TEST

START_TEST(strict_number_parsing) {
  double d;
  int64_t i;
  ck_assert_int_eq(rlz_cli_parse_double("1e-3", &d), 0);
  ck_assert_double_eq(d, 1e-3);
  ck_assert_int_eq(rlz_cli_parse_double("1e-3x", &d), -1);
  ck_assert_int_eq(rlz_cli_parse_double("", &d), -1);
  ck_assert_int_eq(rlz_cli_parse_double(" 1", &d), -1);
  ck_assert_int_eq(rlz_cli_parse_double("nan", &d), -1);
  ck_assert_int_eq(rlz_cli_parse_double("1e999", &d), -1);
  /* underflow is a number, as the spec parser reads it (1e-308 was refused) */
  ck_assert_int_eq(rlz_cli_parse_double("1e-308", &d), 0);
  ck_assert_double_eq(d, 1e-308);
  ck_assert_int_eq(rlz_cli_parse_double("1e-400", &d), 0);
  ck_assert_double_eq(d, 0.0);
  ck_assert_int_eq(rlz_cli_parse_int64("1e4", &i), 0);
  ck_assert_int_eq(i, 10000);
  ck_assert_int_eq(rlz_cli_parse_int64("-12", &i), 0);
  ck_assert_int_eq(i, -12);
  ck_assert_int_eq(rlz_cli_parse_int64("2.5", &i), -1);
  ck_assert_int_eq(rlz_cli_parse_int64("12a", &i), -1);
}
END_TEST

START_TEST(lists_parse_explicit_and_geometric) {
  double v[16];
  int n = 0;
  ck_assert_int_eq(rlz_cli_parse_list("0.01,1,1000", v, 16, &n), 0);
  ck_assert_int_eq(n, 3);
  ck_assert_double_eq(v[2], 1000.0);
  ck_assert_int_eq(rlz_cli_parse_list("geom:0.01:100:5", v, 16, &n), 0);
  ck_assert_int_eq(n, 5);
  ck_assert_double_eq(v[0], 0.01);
  ck_assert_double_eq_tol(v[1], 0.1, 1e-12);
  ck_assert_double_eq_tol(v[2], 1.0, 1e-12);
  ck_assert_double_eq(v[4], 100.0);
  ck_assert_int_eq(rlz_cli_parse_list("lin:0:1:3", v, 16, &n), 0);
  ck_assert_double_eq(v[1], 0.5);
  ck_assert_int_eq(rlz_cli_parse_list("geom:0:1:3", v, 16, &n), -1);
  ck_assert_int_eq(rlz_cli_parse_list("1,,2", v, 16, &n), -1);
  ck_assert_int_eq(rlz_cli_parse_list("1,2,3", v, 2, &n), -1);
  ck_assert_int_eq(rlz_cli_parse_list("geom:1:10:99", v, 16, &n), -1);
}
END_TEST

typedef struct seen {
  int json;
  const char *out;
} seen;

static int on_opt(void *user, int id, const char *value) {
  seen *s = user;
  if (id == 1)
    s->json = 1;
  if (id == 2)
    s->out = value;
  return 0;
}

static const rlz_cli_opt opts[] = {
    {"json", 0, NULL, "JSON lines", 1}, {"out", 1, "FILE", "output", 2}, {NULL, 0, NULL, NULL, 0}};

static int parse(richeta_config *cfg, seen *s, int argc, char **argv) {
  rlz_cli_parser p = {"test", opts, on_opt, s, cfg, 1};
  char *pos[1];
  int npos = 0;
  return rlz_cli_parse(&p, argc, argv, pos, &npos);
}

START_TEST(config_flags_aliases_and_command_options) {
  richeta_config *cfg = NULL;
  ck_assert_int_eq(richeta_config_new(&cfg, NULL), RICHETA_OK);
  seen s = {0, NULL};
  char *argv[] = {"test",       "--gamma",     "0.5",    "--width",
                  "128",        "--act=tanh",  "--json", "--out",
                  "x.csv",      "--data-seed", "9",      "--set",
                  "L=4,eta0=2", "--steps",     "1e3",    "--parameterization",
                  "ntk"};
  int argc = (int)(sizeof argv / sizeof argv[0]);
  ck_assert_int_eq(parse(cfg, &s, argc, argv), RLZ_CLI_OK);
  double g;
  int64_t v;
  richeta_config_get_double(cfg, RICHETA_PARAM_GAMMA, &g);
  ck_assert_double_eq(g, 0.5);
  richeta_config_get_int(cfg, RICHETA_PARAM_WIDTH, &v);
  ck_assert_int_eq(v, 128);
  richeta_config_get_int(cfg, RICHETA_PARAM_ACTIVATION, &v);
  ck_assert_int_eq(v, RICHETA_ACTIVATION_TANH);
  richeta_config_get_int(cfg, RICHETA_PARAM_DATA_SEED, &v);
  ck_assert_int_eq(v, 9);
  richeta_config_get_int(cfg, RICHETA_PARAM_DEPTH, &v);
  ck_assert_int_eq(v, 4);
  richeta_config_get_int(cfg, RICHETA_PARAM_STEPS, &v);
  ck_assert_int_eq(v, 1000);
  richeta_config_get_int(cfg, RICHETA_PARAM_PARAMETERIZATION, &v);
  ck_assert_int_eq(v, RICHETA_PARAMETERIZATION_NTK);
  ck_assert_int_eq(s.json, 1);
  ck_assert_str_eq(s.out, "x.csv");
  richeta_config_free(cfg);
}
END_TEST

/* rlz_cli_param_given on argv (the options table above: --out takes a value). */
static int given(richeta_param key, int argc, char **argv) {
  richeta_config *cfg = NULL;
  ck_assert_int_eq(richeta_config_new(&cfg, NULL), RICHETA_OK);
  seen s = {0, NULL};
  rlz_cli_parser p = {"test", opts, on_opt, &s, cfg, 1};
  char *pos[1];
  int npos = 0;
  ck_assert_int_eq(rlz_cli_parse(&p, argc, argv, pos, &npos), RLZ_CLI_OK);
  int g = rlz_cli_param_given(&p, argc, argv, key);
  richeta_config_free(cfg);
  return g;
}

START_TEST(a_key_is_given_by_its_flag_an_alias_set_or_config_even_at_its_default) {
  char cfg_with[64], cfg_without[64];
  snprintf(cfg_with, sizeof cfg_with, "/tmp/rlz_cli_given_%d_a.cfg", (int)getpid());
  snprintf(cfg_without, sizeof cfg_without, "/tmp/rlz_cli_given_%d_b.cfg", (int)getpid());
  FILE *f = fopen(cfg_with, "w");
  ck_assert_ptr_nonnull(f);
  fputs("# shapes\nD=16\n", f); /* the default value: still given */
  fclose(f);
  f = fopen(cfg_without, "w");
  ck_assert_ptr_nonnull(f);
  fputs("gamma=2\n", f);
  fclose(f);
  char *a1[] = {"t", "--D", "7"}, *a2[] = {"t", "--input-dim=16"},
       *a3[] = {"t", "--set", "L=3,D=16"}, *a4[] = {"t", "--config", cfg_with},
       *a5[] = {"t", "--config", cfg_without, "--N", "8"},
       *a6[] = {"t", "--out", "--D", "--gamma", "2"}, *a7[] = {"t", "--", "--D"};
  ck_assert(given(RICHETA_PARAM_INPUT_DIM, 3, a1));
  ck_assert(given(RICHETA_PARAM_INPUT_DIM, 2, a2));
  ck_assert(given(RICHETA_PARAM_INPUT_DIM, 3, a3));
  ck_assert(given(RICHETA_PARAM_DEPTH, 3, a3));
  ck_assert(!given(RICHETA_PARAM_WIDTH, 3, a3));
  ck_assert(given(RICHETA_PARAM_INPUT_DIM, 3, a4));
  ck_assert(!given(RICHETA_PARAM_INPUT_DIM, 5, a5));
  ck_assert(given(RICHETA_PARAM_WIDTH, 5, a5));
  ck_assert(!given(RICHETA_PARAM_INPUT_DIM, 5, a6)); /* "--D" is the value of --out here */
  ck_assert(!given(RICHETA_PARAM_INPUT_DIM, 3, a7)); /* a positional argument */
  /* --arch cnn sets L = 4 unless L is given; a --config file without L does not give it */
  richeta_config *cfg = NULL;
  richeta_config_new(&cfg, NULL);
  seen s = {0, NULL};
  char *a8[] = {"t", "--arch", "cnn", "--config", cfg_without};
  ck_assert_int_eq(parse(cfg, &s, 5, a8), RLZ_CLI_OK);
  int64_t v;
  richeta_config_get_int(cfg, RICHETA_PARAM_DEPTH, &v);
  ck_assert_int_eq(v, 4);
  char *a9[] = {"t", "--arch", "cnn", "--config", cfg_with, "--set", "L=3"};
  ck_assert_int_eq(parse(cfg, &s, 7, a9), RLZ_CLI_OK);
  richeta_config_get_int(cfg, RICHETA_PARAM_DEPTH, &v);
  ck_assert_int_eq(v, 3);
  richeta_config_free(cfg);
  /* --arch resnet18 sets L = 3 (from another value: 3 is also L's default) */
  richeta_config_new(&cfg, NULL);
  richeta_config_set_int(cfg, RICHETA_PARAM_DEPTH, 7);
  char *a10[] = {"t", "--arch", "resnet18", "--config", cfg_without};
  ck_assert_int_eq(parse(cfg, &s, 5, a10), RLZ_CLI_OK);
  richeta_config_get_int(cfg, RICHETA_PARAM_DEPTH, &v);
  ck_assert_int_eq(v, 3);
  richeta_config_free(cfg);
  unlink(cfg_with);
  unlink(cfg_without);
}
END_TEST

START_TEST(bad_flags_are_usage_errors_and_help_wins) {
  richeta_config *cfg = NULL;
  ck_assert_int_eq(richeta_config_new(&cfg, NULL), RICHETA_OK);
  seen s = {0, NULL};
  char *a1[] = {"test", "--nope", "1"};
  ck_assert_int_eq(parse(cfg, &s, 3, a1), RLZ_CLI_USAGE);
  char *a2[] = {"test", "--gamma", "-1"};
  ck_assert_int_eq(parse(cfg, &s, 3, a2), RLZ_CLI_USAGE);
  char *a3[] = {"test", "--gamma"};
  ck_assert_int_eq(parse(cfg, &s, 2, a3), RLZ_CLI_USAGE);
  char *a4[] = {"test", "--json=1"};
  ck_assert_int_eq(parse(cfg, &s, 2, a4), RLZ_CLI_USAGE);
  char *a5[] = {"test", "p1", "p2"};
  ck_assert_int_eq(parse(cfg, &s, 3, a5), RLZ_CLI_USAGE); /* one positional allowed */
  char *a6[] = {"test", "--nope", "--help"};
  ck_assert_int_eq(parse(cfg, &s, 3, a6), RLZ_CLI_HELP);
  char *a7[] = {"test", "--act", "sigmoid"};
  ck_assert_int_eq(parse(cfg, &s, 3, a7), RLZ_CLI_USAGE);
  double g;
  richeta_config_get_double(cfg, RICHETA_PARAM_GAMMA, &g);
  ck_assert_double_eq(g, 1.0); /* nothing applied by the failures */
  richeta_config_free(cfg);
}
END_TEST

static void help_sample(FILE *f, void *arg) {
  (void)arg;
  rlz_cli_print_config_help(f);
}

START_TEST(config_help_lists_every_parameter_with_default) {
  char *h = capture(help_sample, NULL);
  const char *want[] = {"--gamma",           "--eta0",
                        "--N, --width",      "--D, --input-dim",
                        "--L, --depth",      "--act, --activation",
                        "--data, --dataset", "--T, --steps",
                        "--noise",           "one of relu|tanh|gelu|identity, default relu",
                        "--config FILE",     "--set K=V"};
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
    ck_assert_msg(strstr(h, want[i]) != NULL, "help lacks '%s'", want[i]);
  /* every parameter of the table appears as a flag */
  for (int p = 0; p < 1000; p++) {
    const char *name = NULL;
    if (richeta_param_info((richeta_param)p, NULL, &name) != RICHETA_OK)
      continue;
    char flag[80];
    snprintf(flag, sizeof flag, "--%s", name);
    ck_assert_msg(strstr(h, flag) != NULL, "help lacks %s", flag);
  }
  free(h);
}
END_TEST

Suite *cli_util_suite(void); /* called by runner.c */
Suite *cli_util_suite(void) {
  Suite *s = suite_create("cli_util");
  TCase *tc = tcase_create("cli_util");
  tcase_add_test(tc, json_line_escapes_strings_and_nulls_nonfinite);
  tcase_add_test(tc, numbers_round_trip_exactly);
  tcase_add_test(tc, numbers_print_as_the_shortest_round_trip);
  tcase_add_test(tc, strict_number_parsing);
  tcase_add_test(tc, lists_parse_explicit_and_geometric);
  tcase_add_test(tc, config_flags_aliases_and_command_options);
  tcase_add_test(tc, a_key_is_given_by_its_flag_an_alias_set_or_config_even_at_its_default);
  tcase_add_test(tc, bad_flags_are_usage_errors_and_help_wins);
  tcase_add_test(tc, config_help_lists_every_parameter_with_default);
  suite_add_tcase(s, tc);
  return s;
}
