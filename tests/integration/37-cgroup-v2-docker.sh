#!/bin/bash
# box-test: lane vm
# Docker and podman in a container nesting on a pure cgroup v2 host: all of
# 27-nesting.sh (boxes in boxes, the escape checks, then Docker's and podman's
# import, run and -m 32m, with and without nesting) in the VM of
# 35-cgroup-v2.sh, whose /tmp is here an ext4 disk holding the cached
# templates/debian-docker (BOX_VM_DOCKER=1). A suite of its own for its
# time: a systemd boot, dockerd and containerd under TCG.
BOX_VM_TESTS=${BOX_VM_DOCKER_TESTS:-"27-nesting.sh"} BOX_VM_DOCKER=1 BOX_VM_TIMEOUT=${BOX_VM_TIMEOUT:-840} \
	exec bash "$(dirname "$0")/35-cgroup-v2.sh"
