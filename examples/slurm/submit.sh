#!/bin/sh
# Queue the job array, then the merge job, which starts only when every
# array task ended successfully (afterok on an array waits for all tasks).
# Run from this directory: ./submit.sh
set -eu
array=$(sbatch --parsable sweep_array.sbatch)
array=${array%%;*} # "jobid;cluster" on federated clusters
sbatch --dependency="afterok:$array" merge.sbatch
echo "array job $array and its merge job queued; progress: richeta status --db results/shard-K.db"
