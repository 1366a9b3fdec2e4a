/*
 * Whole-file reads and atomic replacement. A file is only rewritten when
 * its content differs, so a second run leaves mtimes alone; a rewrite goes
 * through a temp file in the same directory (so rename is atomic), keeps
 * the owner and mode of the file it replaces, and is fsynced with its
 * directory before we report success.
 */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mu_proto.h"

int mu_file_read(const char *path, struct mu_buf *out, size_t max, struct mu_err *e)
{
	char chunk[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int r = 0;

	if (!max)
		max = (size_t)64 * 1024 * 1024;
	if (fd < 0) {
		if (errno == ENOENT)
			return mu_err_set(e, MU_E_NOTFOUND, "'%s' does not exist", path);
		return mu_err_sys(e, "cannot open '%s'", path);
	}
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = mu_err_sys(e, "cannot read '%s'", path);
			break;
		}
		if (n == 0)
			break;
		if (out->len + (size_t)n > max) {
			r = mu_err_set(e, MU_E_TOOBIG, "'%s' is larger than %zu bytes", path, max);
			break;
		}
		mu_buf_add(out, chunk, (size_t)n);
	}
	close(fd);
	return r;
}

static bool same_content(const char *path, const char *content, size_t len)
{
	struct mu_buf cur = MU_BUF_INIT;
	bool same;

	if (mu_file_read(path, &cur, len + 1, NULL) != 0) {
		mu_buf_release(&cur);
		return false;
	}
	same = cur.len == len && memcmp(cur.buf, content, len) == 0;
	mu_buf_release(&cur);
	return same;
}

static int fsync_dir(const char *path)
{
	char *copy = mu_xstrdup(path);
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r = 0;

	free(copy);
	if (fd < 0)
		return -1;
	if (fsync(fd) < 0 && errno != EINVAL)
		r = -1;
	close(fd);
	return r;
}

int mu_file_replace(const char *path, const char *content, size_t len,
		    mode_t new_mode, uid_t new_uid, gid_t new_gid,
		    bool *changed, struct mu_err *e)
{
	struct stat st;
	char *tmp = NULL;
	int fd = -1;
	int r = MU_E_SYS;
	mode_t mode = new_mode;
	uid_t uid = new_uid;
	gid_t gid = new_gid;

	*changed = false;
	if (lstat(path, &st) == 0) {
		if (S_ISLNK(st.st_mode)) {
			/* Replace the target, not the link: rename would break it. */
			char *real = realpath(path, NULL);

			if (!real)
				return mu_err_sys(e, "cannot resolve '%s'", path);
			r = mu_file_replace(real, content, len, new_mode, new_uid,
					    new_gid, changed, e);
			free(real);
			return r;
		}
		if (!S_ISREG(st.st_mode))
			return mu_err_set(e, MU_E_ARG, "'%s' is not a regular file", path);
		if (same_content(path, content, len))
			return 0;
		mode = st.st_mode & 07777;
		uid = st.st_uid;
		gid = st.st_gid;
	} else if (errno != ENOENT) {
		return mu_err_sys(e, "cannot stat '%s'", path);
	}

	tmp = mu_xasprintf("%s.muster-XXXXXX", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		r = mu_err_sys(e, "cannot create a temporary file beside '%s'", path);
		free(tmp);
		return r;
	}
	if (mu_write_all(fd, content, len) != 0) {
		r = mu_err_sys(e, "cannot write '%s'", tmp);
		goto out;
	}
	if ((uid != (uid_t)-1 || gid != (gid_t)-1) && fchown(fd, uid, gid) < 0) {
		r = mu_err_sys(e, "cannot set the owner of '%s'", tmp);
		goto out;
	}
	if (fchmod(fd, mode) < 0) {
		r = mu_err_sys(e, "cannot set the mode of '%s'", tmp);
		goto out;
	}
	if (fsync(fd) < 0) {
		r = mu_err_sys(e, "cannot sync '%s'", tmp);
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		r = mu_err_sys(e, "cannot close '%s'", tmp);
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		r = mu_err_sys(e, "cannot rename '%s' to '%s'", tmp, path);
		goto out;
	}
	fsync_dir(path);
	*changed = true;
	r = 0;
out:
	if (r) {
		int saved = errno;

		if (fd >= 0)
			close(fd);
		unlink(tmp);
		errno = saved;
	}
	free(tmp);
	return r;
}

int mu_mkdir_p(const char *path, mode_t mode, struct mu_err *e)
{
	char *p = mu_xstrdup(path);
	int r = 0;

	for (char *s = p + 1; ; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;

			*s = '\0';
			if (mkdir(p, mode) < 0 && errno != EEXIST) {
				r = mu_err_sys(e, "cannot create directory '%s'", p);
				break;
			}
			*s = c;
			if (!c)
				break;
		}
	}
	free(p);
	return r;
}
