/*
 * Runs a fuzz target's entry point once on each file named on the command
 * line (or each file of each directory named), without libFuzzer: this is
 * how the seed corpus and the regression inputs run in ordinary builds.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static int
replay_file(const char *path)
{
	unsigned char *data = NULL;
	size_t len = 0, cap = 0, n;
	FILE *fp;
	int rv = -1;

	if ((fp = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (;;) {
		if (len == cap) {
			unsigned char *p;

			cap = cap ? cap * 2 : 4096;
			if ((p = realloc(data, cap)) == NULL)
				goto fail;
			data = p;
		}
		n = fread(data + len, 1, cap - len, fp);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(fp))
		goto fail;
	LLVMFuzzerTestOneInput(data, len);
	rv = 0;
fail:
	free(data);
	fclose(fp);
	return rv;
}

static int
replay_path(const char *path, int *count)
{
	struct dirent *de;
	struct stat st;
	char sub[4096];
	DIR *d;
	int rv = 0;

	if (stat(path, &st) == -1) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		(*count)++;
		return replay_file(path);
	}
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name) >=
		    (int)sizeof(sub)) {
			rv = -1;
			continue;
		}
		if (replay_path(sub, count) == -1)
			rv = -1;
	}
	closedir(d);
	return rv;
}

int
main(int argc, char *argv[])
{
	int i, count = 0, rv = 0;

	for (i = 1; i < argc; i++)
		if (replay_path(argv[i], &count) == -1)
			rv = 1;
	printf("replayed %d inputs\n", count);
	return rv;
}
