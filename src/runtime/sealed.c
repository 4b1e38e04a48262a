/* Re-exec from a sealed memfd copy of /proc/self/exe (sealed.h). */
#include "runtime/sealed.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/util.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U /* Linux 6.3: the memfd may be exec'd (vm.memfd_noexec) */
#endif

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

extern char **environ;

static bool is_sealed(int fd)
{
	int s = fcntl(fd, F_GET_SEALS); /* EINVAL on anything but a memfd */
	return s >= 0 && (s & SEALS) == SEALS;
}

static int copy_all(int out, int in, off_t size, box_err_t *err)
{
	off_t done = 0;
	while (done < size) {
		ssize_t n = sendfile(out, in, NULL, (size_t)(size - done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return box_error(err, n < 0 ? errno : EIO, "copying /proc/self/exe into a memfd");
		done += n;
	}
	return 0;
}

int sealed_reexec(char **argv, box_err_t *err)
{
	cleanup_close int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return box_error(err, errno, "opening /proc/self/exe");
	if (is_sealed(self))
		return 0;
	struct stat st;
	if (fstat(self, &st) < 0)
		return box_error(err, errno, "stat of /proc/self/exe");
	cleanup_close int m = memfd_create("box", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
	if (m < 0 && errno == EINVAL) /* a kernel before 6.3 */
		m = memfd_create("box", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (m < 0)
		return box_error(err, errno, "memfd_create for a sealed copy of box");
	if (copy_all(m, self, st.st_size, err) < 0)
		return -1;
	if (fchmod(m, 0500) < 0 || fcntl(m, F_ADD_SEALS, SEALS) < 0)
		return box_error(err, errno, "sealing the copy of box");
	syscall(SYS_execveat, m, "", argv, environ, AT_EMPTY_PATH);
	return box_error(err, errno, "exec of the sealed copy of box");
}
