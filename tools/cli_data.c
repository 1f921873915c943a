/* File tasks on the command line: see cli_data.h. */
#include "cli_data.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* The image shape the data set presents: C x H x W, or H x W as one
 * channel. 0 when its samples are not images, with the reason in why. */
static int image_shape(const richeta_dataset *ds, int64_t chw[3], char *why, size_t cap) {
  int64_t dims[8], nd = 0;
  if (richeta_dataset_sample_shape(ds, dims, 8, &nd) != RICHETA_OK) {
    snprintf(why, cap, "has samples of more than 8 axes");
    return 0;
  }
  if (nd == 2) {
    chw[0] = 1;
    chw[1] = dims[0];
    chw[2] = dims[1];
    return 1;
  }
  if (nd == 3 && dims[2] <= 4 && dims[0] > 4) {
    snprintf(why, cap,
             "stores samples of %lldx%lldx%lld, channels last: add ?layout=hwc to the data spec "
             "to present them as CHW (%lldx%lldx%lld)",
             (long long)dims[0], (long long)dims[1], (long long)dims[2], (long long)dims[2],
             (long long)dims[0], (long long)dims[1]);
    return 0;
  }
  if (nd == 3) {
    memcpy(chw, dims, sizeof(int64_t) * 3);
    return 1;
  }
  snprintf(why, cap, "has samples of %lld axes, images have 2 (H x W) or 3 (C x H x W)",
           (long long)nd);
  return 0;
}

/* Keep a given value (it must be `want`) or set `want`. */
static int fill_key(const rlz_cli_parser *p, int argc, char **argv, richeta_param key, int64_t want,
                    const char *spec, const char *what) {
  const char *name = "?";
  richeta_param_info(key, NULL, &name);
  int64_t have = 0;
  richeta_config_get_int(p->cfg, key, &have);
  if (rlz_cli_param_given(p, argc, argv, key)) {
    if (have == want)
      return RLZ_EXIT_OK;
    rlz_cli_error(p->cmd, "%s=%lld is given but data set '%s' has %s %lld", name, (long long)have,
                  spec, what, (long long)want);
    return RLZ_EXIT_USAGE;
  }
  richeta_status s = richeta_config_set_int(p->cfg, key, want);
  if (s != RICHETA_OK) {
    rlz_cli_error(p->cmd, "data set '%s' has %s %lld, which %s cannot hold: %s", spec, what,
                  (long long)want, name, richeta_config_last_error(p->cfg));
    return RLZ_EXIT_USAGE;
  }
  return RLZ_EXIT_OK;
}

int rlz_cli_fill_data_shape(const rlz_cli_parser *p, int argc, char **argv) {
  int64_t task = 0, arch = 0;
  richeta_config_get_int(p->cfg, RICHETA_PARAM_TASK, &task);
  richeta_config_get_int(p->cfg, RICHETA_PARAM_ARCH, &arch);
  char spec[4096] = "";
  richeta_config_get_string(p->cfg, RICHETA_PARAM_DATA_PATH, spec, sizeof spec, NULL);
  if (task != RICHETA_TASK_FILE || !spec[0])
    return RLZ_EXIT_OK; /* the trainer reports a file task without data */
  richeta_dataset *ds = NULL;
  richeta_status s = richeta_dataset_open(&ds, spec, NULL);
  if (s != RICHETA_OK) {
    rlz_cli_error(p->cmd, "data set '%s': %s (%s)", spec, richeta_last_error(),
                  richeta_status_string(s));
    return RLZ_EXIT_FAIL;
  }
  int64_t d = 0, c = 0;
  richeta_dataset_input_dim(ds, &d);
  richeta_dataset_target_dim(ds, &c);
  int rc = fill_key(p, argc, argv, RICHETA_PARAM_INPUT_DIM, d, spec, "input dimension");
  if (rc == RLZ_EXIT_OK)
    rc = fill_key(p, argc, argv, RICHETA_PARAM_OUTPUT_DIM, c, spec, "target dimension");
  static const richeta_param image_keys[3] = {
      RICHETA_PARAM_IMAGE_CHANNELS, RICHETA_PARAM_IMAGE_HEIGHT, RICHETA_PARAM_IMAGE_WIDTH};
  static const char *const image_what[3] = {"image channels", "image height", "image width"};
  bool image = arch == RICHETA_ARCH_CNN || arch == RICHETA_ARCH_RESNET18;
  for (int k = 0; k < 3; k++)
    image |= rlz_cli_param_given(p, argc, argv, image_keys[k]) != 0;
  int64_t chw[3];
  char why[256];
  if (rc == RLZ_EXIT_OK && image && !image_shape(ds, chw, why, sizeof why)) {
    rlz_cli_error(p->cmd, "%s needs images in C x H x W order, but data set '%s' %s",
                  arch == RICHETA_ARCH_CNN        ? "--arch cnn"
                  : arch == RICHETA_ARCH_RESNET18 ? "--arch resnet18"
                                                  : "an image_* key",
                  spec, why);
    rc = RLZ_EXIT_USAGE;
  }
  for (int k = 0; image && rc == RLZ_EXIT_OK && k < 3; k++)
    rc = fill_key(p, argc, argv, image_keys[k], chw[k], spec, image_what[k]);
  richeta_dataset_free(ds);
  return rc;
}
