/* Replay every input in tests/fuzz/corpus through the protocol harness. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto_harness.h"
#include "testutil.h"

Test(fuzz_corpus, every_input_replays_without_crashing)
{
	char dir[512];
	DIR *d;
	struct dirent *ent;
	int n = 0;

	snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus", MU_SOURCE_DIR);
	d = opendir(dir);
	cr_assert_not_null(d, "no corpus at %s", dir);
	while ((ent = readdir(d))) {
		char path[1024];
		char *data;
		FILE *f;
		long len;

		if (ent->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, ent->d_name);
		f = fopen(path, "rb");
		cr_assert_not_null(f);
		fseek(f, 0, SEEK_END);
		len = ftell(f);
		rewind(f);
		data = malloc((size_t)len + 1);
		cr_assert_eq(fread(data, 1, (size_t)len, f), (size_t)len);
		fclose(f);
		mu_fuzz_proto_one((const uint8_t *)data, (size_t)len);
		free(data);
		n++;
	}
	closedir(d);
	cr_expect_gt(n, 5, "corpus too small: %d inputs", n);
}

Test(fuzz_corpus, harness_parses_known_good_lines)
{
	const char *in = "{\"type\":\"hello\",\"protocol\":1}\n{\"type\":\"bye\"}\n";

	cr_expect_eq(mu_fuzz_proto_one((const uint8_t *)in, strlen(in)), 2);
}
