#!/bin/bash
# Run from RoboTwin's policy/<folder> (this folder linked as RoboTwin/policy/WAM_TTS):
#   bash eval.sh <task_name> <task_config> <ckpt_setting> <seed> <gpu_id> [selector] [n]
policy_name=WAM_TTS
task_name=${1}
task_config=${2}
ckpt_setting=${3}
seed=${4}
gpu_id=${5}
selector=${6:-consensus}
n=${7:-8}

export CUDA_VISIBLE_DEVICES=${gpu_id}
echo -e "\033[33mgpu id (to use): ${gpu_id}\033[0m"

cd ../.. # move to RoboTwin's root

# the classic layout (RoboTwin c3ddfa8 or earlier): later commits renamed script/ to scripts/
# and replaced policy/ and eval_policy.py with a client/server
if [ ! -f script/eval_policy.py ]; then
    echo "error: $(pwd) has no script/eval_policy.py: this plug-in needs RoboTwin's classic layout;" \
         "run 'git -C $(pwd) checkout c3ddfa8' (the last commit with it)" >&2
    exit 2
fi

PYTHONWARNINGS=ignore::UserWarning \
python script/eval_policy.py --config policy/$policy_name/deploy_policy.yml \
    --overrides \
    --task_name ${task_name} \
    --task_config ${task_config} \
    --ckpt_setting ${ckpt_setting} \
    --seed ${seed} \
    --policy_name ${policy_name} \
    --selector ${selector} \
    --n ${n}
