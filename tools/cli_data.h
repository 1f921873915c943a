/* File tasks on the command line: shapes filled in from the data set.
 *
 * With --task file, `richeta train` and `richeta sweep` open the data set
 * named by --data once and fill in what the command line leaves out: D
 * (input dimension) and C (targets: the number of classes for labels),
 * and, for image models (--arch cnn, or when any image_* key is given),
 * image_channels, image_height and image_width from the per-sample shape
 * as the data set presents it: C x H x W (CIFAR-10, npz with layout=hwc),
 * or H x W with one channel (Fashion-MNIST's 28 x 28). A value the command
 * line gives (a flag, --set or --config) is kept and must agree with the
 * data set; one that does not is a usage error naming both. MLPs get no
 * image keys, so their sweep hashes stay those of 1.0. */
#ifndef RLZ_TOOLS_CLI_DATA_H
#define RLZ_TOOLS_CLI_DATA_H

#include "cli_util.h"

/* After rlz_cli_parse(p, argc, argv, ...) succeeded: fill p->cfg as above.
 * Returns RLZ_EXIT_OK (also when the task is not a file task), RLZ_EXIT_FAIL
 * when the data set cannot be opened, RLZ_EXIT_USAGE on a disagreement
 * (one line printed on stderr in both cases). */
int rlz_cli_fill_data_shape(const rlz_cli_parser *p, int argc, char **argv);

#endif
