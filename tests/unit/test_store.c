/*
 * Unit tests for store.c, in a private mkdtemp directory that is removed at
 * the end: store_write_atomic() leaves exactly the new content with exactly
 * the requested mode whatever the umask, replaces by rename (a reader that
 * opened the old file keeps the old content), and leaves no temporary file
 * behind, on success or failure; store_read_file() reports ENOENT, EFBIG and
 * EINVAL and returns exact, NUL-terminated content.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "store/meta.h"
#include "store/store.h"
#include "x509/cert.h"
#include "util/atomic.h"
#include "tap.h"

/* dir/name into dst; exits the test when it does not fit (a broken setup). */
static const char *path_in(char *dst, size_t dstlen, const char *dir, const char *name)
{
	int n = snprintf(dst, dstlen, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= dstlen) {
		fprintf(stderr, "path too long: %s/%s\n", dir, name);
		exit(99);
	}
	return dst;
}

/* Whole file by plain read(2), independent of store_read_file; returns the
 * length, or -1 (also when it does not fit in dst). */
static long read_plain(const char *path, unsigned char *dst, size_t dstlen)
{
	size_t got = 0;
	ssize_t n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while (got < dstlen && (n = read(fd, dst + got, dstlen - got)) != 0) {
		if (n < 0 && errno != EINTR)
			break;
		if (n > 0)
			got += (size_t)n;
	}
	close(fd);
	return n < 0 || got == dstlen ? -1 : (long)got;
}

/* 1 when path holds exactly len bytes equal to data. */
static int content_is(const char *path, const void *data, size_t len)
{
	static unsigned char got[256 * 1024];
	long n = read_plain(path, got, sizeof(got));

	return n >= 0 && (size_t)n == len && memcmp(got, data, len) == 0;
}

/* Permission bits of path, or -1. */
static int mode_of(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return -1;
	return (int)(st.st_mode & 07777);
}

/* Count the entries of dir (without . and ..) and those whose name has
 * ".tmp." in it (store's temporary files). */
static int dir_entries(const char *dir, int *temps)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	*temps = 0;
	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		n++;
		if (strstr(de->d_name, ".tmp.") != NULL) {
			(*temps)++;
			printf("# leftover: %s\n", de->d_name);
		}
	}
	closedir(d);
	return n;
}

static void test_write(const char *dir)
{
	char path[PATH_MAX], other[PATH_MAX];
	static const char hello[] = "hello\n";
	mode_t old_umask;
	int temps;

	path_in(path, sizeof(path), dir, "staple.ocsp");
	CHECK(store_write_atomic(path, hello, 6, 0600) == 0, "write: new file");
	CHECK(content_is(path, hello, 6), "write: content exact");
	CHECK(mode_of(path) == 0600, "write: mode 0600");

	path_in(other, sizeof(other), dir, "include.conf");
	old_umask = umask(077);
	CHECK(store_write_atomic(other, "x", 1, 0644) == 0, "write: 0644 under umask 077");
	CHECK(mode_of(other) == 0644, "write: mode exactly 0644 whatever the umask");
	umask(0);
	CHECK(store_write_atomic(other, "y", 1, 0600) == 0, "write: 0600 under umask 0");
	CHECK(mode_of(other) == 0600 && content_is(other, "y", 1),
	      "write: replaced with mode exactly 0600, content y");
	umask(old_umask);

	CHECK(dir_entries(dir, &temps) == 2 && temps == 0,
	      "write: directory holds exactly the two files, no temporary file");
}

static void test_replace(const char *dir)
{
	static const char old_text[] = "old content, longer than the new one";
	unsigned char buf[64];
	char path[PATH_MAX];
	struct stat before, after;
	int fd, temps, entries_before, ok;
	ssize_t n;

	path_in(path, sizeof(path), dir, "replace.pem");
	CHECK(store_write_atomic(path, old_text, strlen(old_text), 0600) == 0,
	      "replace: write the old file");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ok = fd >= 0 && stat(path, &before) == 0;
	CHECK(ok, "replace: a reader opens the old file");
	entries_before = dir_entries(dir, &temps);

	CHECK(store_write_atomic(path, "new", 3, 0644) == 0, "replace: write the new content");
	CHECK(content_is(path, "new", 3), "replace: exactly the new content (no old tail)");
	CHECK(mode_of(path) == 0644, "replace: the new mode 0644");
	CHECK(ok && stat(path, &after) == 0 && after.st_ino != before.st_ino,
	      "replace: by rename (a new inode), not rewritten in place");
	n = fd >= 0 ? pread(fd, buf, sizeof(buf), 0) : -1;
	CHECK(n == (ssize_t)strlen(old_text) && memcmp(buf, old_text, (size_t)n) == 0,
	      "replace: the open reader still sees the whole old content");
	if (fd >= 0)
		close(fd);
	CHECK(dir_entries(dir, &temps) == entries_before && temps == 0,
	      "replace: no temporary file left");

	CHECK(store_write_atomic(path, "", 0, 0600) == 0, "replace: with zero bytes");
	CHECK(content_is(path, "", 0) && mode_of(path) == 0600, "replace: empty file, mode 0600");
}

static void test_large(const char *dir)
{
	static unsigned char data[200 * 1024];
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 31 + (i >> 8));
	path_in(path, sizeof(path), dir, "large.bin");
	CHECK(store_write_atomic(path, data, sizeof(data), 0600) == 0, "write: 200 KiB binary");
	CHECK(content_is(path, data, sizeof(data)), "write: 200 KiB content exact");
}

static void test_write_failures(const char *dir)
{
	char path[PATH_MAX], sub[PATH_MAX], missing[PATH_MAX];
	struct stat st;
	int temps, before, errno_after;

	before = dir_entries(dir, &temps);
	path_in(missing, sizeof(missing), dir, "missing");
	path_in(path, sizeof(path), missing, "staple.ocsp");
	errno = 0;
	CHECK(store_write_atomic(path, "x", 1, 0600) == -1, "fail: directory does not exist");
	errno_after = errno;
	CHECK(errno_after == ENOENT, "fail: errno ENOENT");
	CHECK(stat(missing, &st) != 0 && errno == ENOENT, "fail: nothing created in its place");
	CHECK(dir_entries(dir, &temps) == before && temps == 0,
	      "fail: the parent directory is unchanged");

	/* The target is a directory: everything works until rename(), so the
	 * temporary file exists and must be removed again. */
	path_in(sub, sizeof(sub), dir, "subdir");
	if (mkdir(sub, 0700) != 0) {
		CHECK(0, "fail: mkdir subdir");
		return;
	}
	before = dir_entries(dir, &temps);
	CHECK(store_write_atomic(sub, "x", 1, 0600) == -1, "fail: target is a directory");
	CHECK(stat(sub, &st) == 0 && S_ISDIR(st.st_mode), "fail: the directory is untouched");
	CHECK(dir_entries(dir, &temps) == before && temps == 0,
	      "fail: the temporary file was removed after rename failed");
}

static void test_stream(const char *dir)
{
	static unsigned char got[200000];
	char path[PATH_MAX], missing[PATH_MAX];
	struct store_stream *s;
	int temps, before, i;
	long n;

	path_in(path, sizeof(path), dir, "state.json");
	CHECK(store_write_atomic(path, "old", 3, 0644) == 0, "stream: an old file");
	before = dir_entries(dir, &temps);
	s = store_stream_open(path, 0640);
	CHECK(s != NULL, "stream: open");
	if (s == NULL)
		return;
	for (i = 0; i < 20000; i++)
		fprintf(store_stream_file(s), "%05d\n", i);
	CHECK(content_is(path, "old", 3), "stream: nothing visible before the commit");
	CHECK(store_stream_commit(s) == 0, "stream: commit");
	n = read_plain(path, got, sizeof(got));
	CHECK(n == 120000 && memcmp(got, "00000\n00001\n", 12) == 0 &&
	          memcmp(got + n - 6, "19999\n", 6) == 0,
	      "stream: the whole content, in order");
	CHECK(mode_of(path) == 0640, "stream: mode as asked");
	CHECK(dir_entries(dir, &temps) == before && temps == 0, "stream: no temporary file left");

	s = store_stream_open(path, 0644);
	if (s != NULL)
		fputs("discarded", store_stream_file(s));
	store_stream_abort(s);
	CHECK(s != NULL && read_plain(path, got, sizeof(got)) == 120000 &&
	          dir_entries(dir, &temps) == before && temps == 0,
	      "stream: abort keeps the old file, leaves no temporary");
	store_stream_abort(NULL);

	path_in(missing, sizeof(missing), dir, "missing/state.json");
	CHECK(store_stream_open(missing, 0644) == NULL,
	      "stream: open in a missing directory fails");
	unlink(path);
}

/* store_state_append: the journal of the state index, appended to, never
 * made by an append. */
static void test_append(const char *dir)
{
	char err[256], path[PATH_MAX];
	unsigned char *data = NULL;
	struct store *st = store_open_dir(dir, 0, err, sizeof(err));
	size_t len = 0;

	CHECK(st != NULL, "append: open the store");
	if (st == NULL)
		return;
	errno = 0;
	CHECK(store_state_append(st, STORE_STATE_DAEMON_JOURNAL, "x\n", 2) == -1 && errno == ENOENT,
	      "append: a missing document is not made (ENOENT)");
	CHECK(store_state_save(st, STORE_STATE_DAEMON_JOURNAL, "head\n", 5) == 0 &&
	          store_state_append(st, STORE_STATE_DAEMON_JOURNAL, "one\n", 4) == 0 &&
	          store_state_append(st, STORE_STATE_DAEMON_JOURNAL, "two\n", 4) == 0 &&
	          store_state_load(st, STORE_STATE_DAEMON_JOURNAL, 1024, &data, &len) == 0 &&
	          len == 13 && memcmp(data, "head\none\ntwo\n", 13) == 0,
	      "append: after what was saved, in order");
	free(data);
	if (store_state_path(st, STORE_STATE_DAEMON_JOURNAL, path, sizeof(path)) == 0)
		unlink(path);
	rmdir(path_in(path, sizeof(path), dir, "state"));
	store_free(st);
}

static void test_relative(const char *dir)
{
	char cwd[PATH_MAX], path[PATH_MAX];

	if (getcwd(cwd, sizeof(cwd)) == NULL || chdir(dir) != 0) {
		CHECK(0, "relative: chdir into the test directory");
		return;
	}
	CHECK(store_write_atomic("relative.txt", "rel", 3, 0600) == 0,
	      "write: a bare file name (directory \".\")");
	if (chdir(cwd) != 0) {
		CHECK(0, "relative: chdir back");
		return;
	}
	CHECK(content_is(path_in(path, sizeof(path), dir, "relative.txt"), "rel", 3),
	      "write: bare file name lands in the current directory");
}

static void test_read(const char *dir)
{
	static const unsigned char ten[10] = {'0', '1', '2', '\0', '4', '5', '6', '7', '8', '9'};
	unsigned char dummy, *out = &dummy;
	char path[PATH_MAX];
	size_t len = 99;
	int rc, err;

	path_in(path, sizeof(path), dir, "absent");
	errno = 0;
	rc = store_read_file(path, 100, &out, &len);
	err = errno;
	CHECK(rc == -1 && err == ENOENT, "read: missing file -> -1, ENOENT");
	CHECK(out == NULL && len == 0, "read: outputs cleared on failure");

	path_in(path, sizeof(path), dir, "ten.bin");
	if (store_write_atomic(path, ten, sizeof(ten), 0600) != 0) {
		CHECK(0, "read: write ten.bin");
		return;
	}
	out = &dummy;
	errno = 0;
	rc = store_read_file(path, 9, &out, &len);
	err = errno;
	CHECK(rc == -1 && err == EFBIG, "read: 10 bytes with max 9 -> -1, EFBIG");
	CHECK(out == NULL && len == 0, "read: nothing returned when too large");

	rc = store_read_file(path, 10, &out, &len);
	CHECK(rc == 0 && len == 10 && out != NULL && memcmp(out, ten, 10) == 0,
	      "read: exactly max bytes, content exact (embedded NUL kept)");
	CHECK(out != NULL && out[10] == '\0', "read: NUL-terminated after len");
	free(out);
	out = NULL;

	rc = store_read_file(path, 1 << 20, &out, &len);
	CHECK(rc == 0 && len == 10 && memcmp(out, ten, 10) == 0, "read: max far above the size");
	free(out);
	out = NULL;

	path_in(path, sizeof(path), dir, "empty");
	if (store_write_atomic(path, "", 0, 0600) != 0) {
		CHECK(0, "read: write empty");
		return;
	}
	rc = store_read_file(path, 0, &out, &len);
	CHECK(rc == 0 && len == 0 && out != NULL && out[0] == '\0',
	      "read: empty file with max 0 -> empty string");
	free(out);
	out = NULL;

	errno = 0;
	rc = store_read_file(dir, 1 << 20, &out, &len);
	err = errno;
	CHECK(rc == -1 && err == EISDIR && out == NULL, "read: a directory -> -1, EISDIR");
	errno = 0;
	rc = store_read_file("/dev/null", 1 << 20, &out, &len);
	err = errno;
	CHECK(rc == -1 && err == ENOTSUP && out == NULL, "read: a device -> -1, ENOTSUP");
}

/* Remove dir/name; dir has no deeper levels. */
static void remove_tree(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		path_in(path, sizeof(path), dir, de->d_name);
		if (unlink(path) != 0)
			rmdir(path);
	}
	closedir(d);
	if (rmdir(dir) != 0)
		fprintf(stderr, "cannot remove %s: %s\n", dir, strerror(errno));
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* How many entries of dir start with prefix; and how many of those also hold
 * ".tmp.". */
static int count_prefixed(const char *dir, const char *prefix, int *temp)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	*temp = 0;
	while (d != NULL && (de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0) {
			n++;
			*temp += strstr(de->d_name, ".tmp.") != NULL;
		}
	}
	if (d != NULL)
		closedir(d);
	return n;
}

/* Installs keep the current version and STORE_VERSIONS_KEPT - 1 older ones;
 * a version whose removal a kill interrupted (renamed NAME.*.tmp.del, part
 * of its files gone) is removed at the next install, never counted as one. */
static void test_prune(const char *tmp)
{
	char dir[PATH_MAX], versions[PATH_MAX], err[256], gone[PATH_MAX], f[PATH_MAX];
	char *names[] = {"prune.example"};
	struct store *st;
	EVP_PKEY *key = EVP_EC_gen("P-256");
	struct cert_meta *m = cert_meta_new();
	int i, n, temp, fd;

	path_in(dir, sizeof(dir), tmp, "holdfast-test-prune.XXXXXX");
	if (mkdtemp(dir) == NULL || key == NULL || m == NULL) {
		CHECK(0, "prune: setup");
		return;
	}
	st = store_open_dir(dir, STORE_CREATE, err, sizeof(err));
	CHECK(st != NULL, "prune: store opened");
	m->name = strdup("w");
	m->placeholder = 1;
	for (i = 0; st != NULL && i < STORE_VERSIONS_KEPT + 3; i++) {
		char *pem = cert_placeholder_pem_new(key, names, 1, 7, time(NULL));
		CHECK(pem != NULL && store_cert_install(st, "w", key, pem, m) == 0,
		      "prune: install");
		free(pem);
	}
	path_in(versions, sizeof(versions), dir, "certificates/.versions");
	n = count_prefixed(versions, "w.", &temp);
	CHECK(n == STORE_VERSIONS_KEPT,
	      "prune: STORE_VERSIONS_KEPT versions left after 6 installs");
	/* What a kill inside a removal leaves: a renamed directory, half empty. */
	/* Named as the newest version would be: counted as one, it would be kept. */
	path_in(gone, sizeof(gone), versions, "w.9999999999.00000000.tmp.del");
	CHECK(mkdir(gone, 0755) == 0, "prune: interrupted removal staged");
	path_in(f, sizeof(f), gone, "chain.pem");
	fd = open(f, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0)
		close(fd);
	if (st != NULL) {
		char *pem = cert_placeholder_pem_new(key, names, 1, 7, time(NULL));
		CHECK(pem != NULL && store_cert_install(st, "w", key, pem, m) == 0,
		      "prune: one more install");
		free(pem);
	}
	n = count_prefixed(versions, "w.", &temp);
	CHECK(n == STORE_VERSIONS_KEPT && temp == 0,
	      "prune: the interrupted removal is gone at the next install, and was not counted");
	store_free(st);
	cert_meta_free(m);
	EVP_PKEY_free(key);
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* The versions of "w" are "w.TIME.RAND"; those of a certificate named
 * "w.example" start with "w." too and are never "w"'s to remove. */
static void test_prune_neighbour(const char *tmp)
{
	char dir[PATH_MAX], err[256], f[PATH_MAX + 64];
	char *names[] = {"prune.example"};
	const char *who[] = {"w.example", "w.1", "w"};
	struct store *st;
	EVP_PKEY *key = EVP_EC_gen("P-256");
	struct cert_meta *m = cert_meta_new();
	size_t k;
	int i, ok = 1;

	path_in(dir, sizeof(dir), tmp, "holdfast-test-prune.XXXXXX");
	if (mkdtemp(dir) == NULL || key == NULL || m == NULL) {
		CHECK(0, "prune neighbour: setup");
		return;
	}
	st = store_open_dir(dir, STORE_CREATE, err, sizeof(err));
	m->placeholder = 1;
	for (k = 0; st != NULL && k < sizeof(who) / sizeof(who[0]); k++) {
		free(m->name);
		m->name = strdup(who[k]);
		/* "w" is replaced many times; the others are installed once. */
		for (i = 0; i < (k == 2 ? STORE_VERSIONS_KEPT + 3 : 1); i++) {
			char *pem = cert_placeholder_pem_new(key, names, 1, 7, time(NULL));
			ok &= pem != NULL && store_cert_install(st, who[k], key, pem, m) == 0;
			free(pem);
		}
	}
	CHECK(st != NULL && ok, "prune neighbour: installs");
	for (k = 0; k < 2; k++) {
		snprintf(f, sizeof(f), "%s/certificates/%s/fullchain.pem", dir, who[k]);
		CHECK(access(f, R_OK) == 0,
		      k == 0 ? "prune neighbour: replacing \"w\" leaves w.example's current version"
		             : "prune neighbour: replacing \"w\" leaves w.1's current version");
	}
	store_free(st);
	cert_meta_free(m);
	EVP_PKEY_free(key);
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	char dir[PATH_MAX];

	if (tmp == NULL || tmp[0] == '\0')
		tmp = "/tmp";
	path_in(dir, sizeof(dir), tmp, "holdfast-test-store.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		CHECK(0, "mkdtemp");
		return tap_done();
	}
	test_write(dir);
	test_replace(dir);
	test_large(dir);
	test_write_failures(dir);
	test_relative(dir);
	test_read(dir);
	test_stream(dir);
	test_append(dir);
	test_prune(tmp);
	test_prune_neighbour(tmp);
	remove_tree(dir);
	return tap_done();
}
