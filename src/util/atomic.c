

#include "util/atomic.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/log.h"

static int write_all(int fd, const unsigned char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* fsync the directory holding path, so that a rename into it is durable. */
static int fsync_parent_dir(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, rc;

	if (slash == NULL) {
		dir[0] = '.';
		dir[1] = '\0';
	} else if (slash == path) {
		dir[0] = '/';
		dir[1] = '\0';
	} else {
		size_t n = (size_t)(slash - path);
		if (n >= sizeof(dir)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(dir, path, n);
		dir[n] = '\0';
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

static int write_atomic(const char *path, const void *data, size_t len, mode_t mode, int sync_dir)
{
	char tmp[PATH_MAX];
	int fd = -1, n, saved;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		log_error("file_write_failed", "file=%s reason=\"path too long\"", path);
		return -1;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		goto fail;
	/* mkostemp creates 0600; widen or keep as asked before any byte lands. */
	if (fchmod(fd, mode) != 0)
		goto fail;
	if (write_all(fd, data, len) != 0)
		goto fail;
	if (fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto fail;
	if (sync_dir && fsync_parent_dir(path) != 0) {
		/* The new content is in place; only its durability is in doubt. */
		log_warn("dir_fsync_failed", "file=%s reason=\"%s\"", path, strerror(errno));
	}
	return 0;
fail:
	saved = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	log_error("file_write_failed", "file=%s reason=\"%s\"", path, strerror(saved));
	errno = saved;
	return -1;
}

int store_write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	return write_atomic(path, data, len, mode, 1);
}

int store_write_atomic_deferred(const char *path, const void *data, size_t len, mode_t mode)
{
	return write_atomic(path, data, len, mode, 0);
}

int store_read_file(const char *path, size_t max, unsigned char **out, size_t *len)
{
	unsigned char *data = NULL;
	struct stat st;
	size_t got = 0, size;
	int fd, saved;

	*out = NULL;
	*len = 0;
	/* O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused
	 * below, as every file that is not regular is). */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		errno = S_ISDIR(st.st_mode) ? EISDIR : ENOTSUP;
		goto fail;
	}
	if ((unsigned long long)st.st_size > max) {
		errno = EFBIG;
		goto fail;
	}
	size = (size_t)st.st_size;
	data = malloc(size + 1);
	if (data == NULL)
		goto fail;
	/* Read to EOF but never past max: the file may grow while we read. */
	for (;;) {
		ssize_t n;
		if (got == size) {
			unsigned char probe;
			n = read(fd, &probe, 1);
			if (n == 0)
				break;
			if (n < 0 && errno == EINTR)
				continue;
			errno = n < 0 ? errno : EFBIG;
			goto fail;
		}
		n = read(fd, data + got, size - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	data[got] = '\0';
	*out = data;
	*len = got;
	return 0;
fail:
	saved = errno;
	free(data);
	close(fd);
	errno = saved;
	return -1;
}

#define STORE_STREAM_BUFFER (64 * 1024)

struct store_stream {
	FILE *f;
	char *path;
	char tmp[PATH_MAX];
};

struct store_stream *store_stream_open(const char *path, mode_t mode)
{
	struct store_stream *s = calloc(1, sizeof(*s));
	int fd = -1, n;

	if (s == NULL || (s->path = strdup(path)) == NULL)
		goto fail;
	n = snprintf(s->tmp, sizeof(s->tmp), "%s.tmp.XXXXXX", path);
	if (n < 0 || (size_t)n >= sizeof(s->tmp)) {
		errno = ENAMETOOLONG;
		goto fail;
	}
	fd = mkostemp(s->tmp, O_CLOEXEC);
	if (fd < 0)
		goto fail;
	if (fchmod(fd, mode) != 0 || (s->f = fdopen(fd, "w")) == NULL) {
		close(fd);
		unlink(s->tmp);
		goto fail;
	}
	setvbuf(s->f, NULL, _IOFBF, STORE_STREAM_BUFFER);
	return s;
fail:
	log_error("file_write_failed", "file=%s reason=\"%s\"", path, strerror(errno));
	if (s != NULL)
		free(s->path);
	free(s);
	return NULL;
}

FILE *store_stream_file(struct store_stream *s)
{
	return s->f;
}

int store_stream_commit(struct store_stream *s)
{
	int rc = -1, saved;

	if (fflush(s->f) != 0 || ferror(s->f) || fsync(fileno(s->f)) != 0) {
		saved = errno;
		fclose(s->f);
		goto fail;
	}
	if (fclose(s->f) != 0) {
		saved = errno;
		goto fail;
	}
	if (rename(s->tmp, s->path) != 0) {
		saved = errno;
		goto fail;
	}
	if (fsync_parent_dir(s->path) != 0)
		log_warn("dir_fsync_failed", "file=%s reason=\"%s\"", s->path, strerror(errno));
	rc = 0;
	goto out;
fail:
	unlink(s->tmp);
	log_error("file_write_failed", "file=%s reason=\"%s\"", s->path,
	          strerror(saved ? saved : EIO));
out:
	free(s->path);
	free(s);
	return rc;
}

void store_stream_abort(struct store_stream *s)
{
	if (s == NULL)
		return;
	fclose(s->f);
	unlink(s->tmp);
	free(s->path);
	free(s);
}

#define STORE_BATCH_FSYNC_EACH 8 /* below this, per-file fsync beats syncfs */

struct store_batch_item {
	char *path;
	char *tmp;
	int state; /* 0 staged, 1 committed, -1 failed */
};

struct store_batch {
	struct store_batch_item *items;
	size_t count, cap;
};

struct store_batch *store_batch_new(void)
{
	return calloc(1, sizeof(struct store_batch));
}

long store_batch_add(struct store_batch *b, const char *path, const void *data, size_t len,
                     mode_t mode)
{
	struct store_batch_item *it;
	char tmp[PATH_MAX];
	int fd = -1, n;

	if (b->count == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		struct store_batch_item *items = realloc(b->items, cap * sizeof(*items));
		if (items == NULL)
			goto fail_nofile;
		b->items = items;
		b->cap = cap;
	}
	n = snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		goto fail_nofile;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		goto fail_nofile;
	if (fchmod(fd, mode) != 0 || write_all(fd, data, len) != 0 || close(fd) != 0) {
		if (fd >= 0)
			close(fd);
		unlink(tmp);
		goto fail_nofile;
	}
	it = &b->items[b->count];
	it->path = strdup(path);
	it->tmp = strdup(tmp);
	it->state = 0;
	if (it->path == NULL || it->tmp == NULL) {
		unlink(tmp);
		free(it->path);
		free(it->tmp);
		goto fail_nofile;
	}
	return (long)b->count++;
fail_nofile:
	log_error("file_write_failed", "file=%s reason=\"%s\"", path, strerror(errno));
	return -1;
}

/* Copy the directory part of path into dir. */
static void dir_of(const char *path, char *dir, size_t len)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash == NULL ? 0 : (slash == path ? 1 : (size_t)(slash - path));

	if (n == 0 || n >= len) {
		snprintf(dir, len, ".");
		return;
	}
	memcpy(dir, path, n);
	dir[n] = '\0';
}

size_t store_batch_commit(struct store_batch *b)
{
	size_t i, j, failed = 0;
	dev_t synced[8];
	size_t nsynced = 0;

	/* 1. Make every staged file's content durable. */
	for (i = 0; i < b->count; i++) {
		struct store_batch_item *it = &b->items[i];
		struct stat st;
		int fd, done = 0;

		if (it->state != 0)
			continue;
		fd = open(it->tmp, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) != 0) {
			it->state = -1;
		} else if (b->count < STORE_BATCH_FSYNC_EACH) {
			if (fsync(fd) != 0)
				it->state = -1;
		} else {
			for (j = 0; j < nsynced; j++)
				done |= synced[j] == st.st_dev;
			if (!done) {
				if (syncfs(fd) != 0)
					it->state = -1;
				else if (nsynced < sizeof(synced) / sizeof(synced[0]))
					synced[nsynced++] = st.st_dev;
			}
		}
		if (fd >= 0)
			close(fd);
	}
	/* 2. Rename each over its target. */
	for (i = 0; i < b->count; i++) {
		struct store_batch_item *it = &b->items[i];
		if (it->state == 0 && rename(it->tmp, it->path) == 0) {
			it->state = 1;
		} else {
			if (it->state == 0)
				log_error("file_write_failed", "file=%s reason=\"%s\"", it->path,
				          strerror(errno));
			it->state = -1;
			unlink(it->tmp);
			failed++;
		}
	}
	/* 3. fsync each directory once, so the renames are durable. */
	for (i = 0; i < b->count; i++) {
		char dir[PATH_MAX], other[PATH_MAX];
		int seen = 0;

		if (b->items[i].state != 1)
			continue;
		dir_of(b->items[i].path, dir, sizeof(dir));
		for (j = 0; j < i && !seen; j++) {
			if (b->items[j].state != 1)
				continue;
			dir_of(b->items[j].path, other, sizeof(other));
			seen = strcmp(dir, other) == 0;
			if (j > 64)
				break; /* many directories: an occasional extra fsync is fine */
		}
		if (!seen && fsync_parent_dir(b->items[i].path) != 0)
			log_warn("dir_fsync_failed", "file=%s reason=\"%s\"", b->items[i].path,
			         strerror(errno));
	}
	return failed;
}

int store_batch_ok(const struct store_batch *b, long index)
{
	return index >= 0 && (size_t)index < b->count && b->items[index].state == 1;
}

void store_batch_free(struct store_batch *b)
{
	size_t i;

	if (b == NULL)
		return;
	for (i = 0; i < b->count; i++) {
		if (b->items[i].state == 0)
			unlink(b->items[i].tmp);
		free(b->items[i].path);
		free(b->items[i].tmp);
	}
	free(b->items);
	free(b);
}
