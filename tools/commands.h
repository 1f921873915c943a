/* Commands of the richeta program: each lives in tools/cmd_<name>.c and
 * returns the process exit status (0 ok, 1 failure, 2 usage error). */
#ifndef RLZ_TOOLS_COMMANDS_H
#define RLZ_TOOLS_COMMANDS_H

int rlz_cmd_train(int argc, char **argv);
int rlz_cmd_sweep(int argc, char **argv);
int rlz_cmd_fit(int argc, char **argv);
int rlz_cmd_align(int argc, char **argv);
int rlz_cmd_plot(int argc, char **argv);
int rlz_cmd_export(int argc, char **argv);
int rlz_cmd_check(int argc, char **argv);
int rlz_cmd_merge(int argc, char **argv);
int rlz_cmd_status(int argc, char **argv);
int rlz_cmd_best(int argc, char **argv);

#endif
