#!/bin/bash
# box-test: lane vm
# The Debian 12 systemd template in the pure cgroup v2 VM of 35-cgroup-v2.sh,
# privileged and unprivileged: 25-debian.sh there (boot to running with no
# failed unit and no "Failed to create symlink", its own shutdown), without
# its second boot (reboot inside, tested on the host): under TCG a Debian
# boot takes 15-80 s and its extraction more, so it is a suite of its own
# with its own timeout (the VM's: 600 s).
BOX_VM_TESTS=${BOX_VM_DEBIAN_TESTS:-"25-debian.sh 25-debian.sh:unpriv"} BOX_VM_TIMEOUT=${BOX_VM_TIMEOUT:-600} \
	exec bash "$(dirname "$0")/35-cgroup-v2.sh"
