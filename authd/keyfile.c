/*
 * The HS256 signing key: raw random bytes in a file only authd can read,
 * created on first start with O_EXCL and mode 0600.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/log.h"
#include "common/util.h"
#include "authd/authd.h"

#define KEYFILE_MIN 32

static int
keyfile_create(const char *path, unsigned char *key, size_t keylen)
{
	int fd, rv = -1;
	ssize_t n;

	if (random_bytes(key, keylen) == -1) {
		log_warnx("%s: no randomness", __func__);
		return -1;
	}
	if ((fd = open(path,
	         O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)) ==
	    -1) {
		log_warn("%s: %s", __func__, path);
		return -1;
	}
	n = write(fd, key, keylen);
	if (n != (ssize_t)keylen || fsync(fd) == -1) {
		log_warn("%s: write %s", __func__, path);
		(void)unlink(path);
		goto fail;
	}
	log_info("created signing key %s (%zu bytes, mode 0600)", path, keylen);
	rv = 0;
fail:
	close(fd);
	return rv;
}

int
keyfile_load(
    const char *path, unsigned char *key, size_t keycap, size_t *keylen)
{
	struct stat st;
	ssize_t n;
	int fd, rv = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		if (errno != ENOENT) {
			log_warn("%s: %s", __func__, path);
			return -1;
		}
		if (keyfile_create(path, key, keycap) == -1)
			return -1;
		*keylen = keycap;
		return 0;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		log_warnx("%s: %s is not a regular file", __func__, path);
		goto fail;
	}
	if ((st.st_mode & 077) != 0) {
		log_warnx("%s: %s is readable by others (mode %03o); refusing",
		    __func__, path, (unsigned)(st.st_mode & 0777));
		goto fail;
	}
	if (st.st_uid != geteuid()) {
		log_warnx("%s: %s is not owned by uid %u", __func__, path,
		    (unsigned)geteuid());
		goto fail;
	}
	n = read(fd, key, keycap);
	if (n < KEYFILE_MIN) {
		log_warnx("%s: %s holds fewer than %d bytes", __func__, path,
		    KEYFILE_MIN);
		OPENSSL_cleanse(key, keycap);
		goto fail;
	}
	*keylen = (size_t)n;
	rv = 0;
fail:
	close(fd);
	return rv;
}
