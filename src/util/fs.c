#include "util/fs.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

int mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	size_t i, n = strlen(path);

	struct stat st;

	if (n == 0 || n >= sizeof(buf))
		return -1;
	/* Most calls find the whole path there: one stat, not a mkdir per
	 * component. */
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	memcpy(buf, path, n + 1);
	for (i = 1; i <= n; i++) {
		if (buf[i] == '/' || buf[i] == '\0') {
			char c = buf[i];
			buf[i] = '\0';
			if (mkdir(buf, mode) != 0 && errno != EEXIST)
				return -1;
			buf[i] = c;
		}
	}
	return 0;
}
