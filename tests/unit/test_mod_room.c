/*
 * podman_room: free space against what a migration needs, on tiny tmpfs
 * filesystems mounted inside private namespaces; storage.conf and
 * containers.conf resolution; and sizing real rootful images and volumes
 * with podman, in a private /var/lib/containers.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#define STORE "/home/deploy/.local/share/containers/storage"

/* A host with user deploy (uid 1000) whose /home is a 1 MiB tmpfs. */
static void host(void)
{
	tu_sandbox((const char *const[]){ "/home", "/etc/containers", "/var/lib/containers",
					  "/run/containers", "/run/libpod", "/var/tmp", "/mnt",
					  NULL });
	tu_write("/tmp/passwd", "root:x:0:0:root:/root:/bin/sh\n"
				"deploy:x:1000:1000::/home/deploy:/bin/sh\n");
	tu_write("/tmp/group", "root:x:0:\ndeploy:x:1000:\n");
	cr_assert_eq(mount("/tmp/passwd", "/etc/passwd", NULL, MS_BIND, NULL), 0);
	cr_assert_eq(mount("/tmp/group", "/etc/group", NULL, MS_BIND, NULL), 0);
	cr_assert_eq(mount("tmpfs", "/home", "tmpfs", 0, "size=1m,mode=0755"), 0,
		     "tmpfs on /home: %s", strerror(errno));
	cr_assert_eq(mkdir("/home/deploy", 0755), 0);
	cr_assert_eq(chown("/home/deploy", 1000, 1000), 0);
	/* A roomy filesystem elsewhere, for storage moved off /home. */
	cr_assert_eq(mkdir("/mnt/big", 0755), 0);
	cr_assert_eq(mount("tmpfs", "/mnt/big", "tmpfs", 0, "size=64m,mode=0755"), 0);
}

static json_t *room(const char *args, bool check)
{
	return tu_task("podman_room", args, check, false);
}

static json_t *data(const json_t *r, const char *key)
{
	return json_object_get(json_object_get(r, "data"), key);
}

static json_t *fs(const json_t *r, size_t i)
{
	return json_array_get(data(r, "filesystems"), i);
}

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static long long num(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

Test(podman_room, refuses_when_short_naming_path_mount_free_needed)
{
	for (int check = 0; check < 2; check++) {
		json_t *r;

		if (check == 0)
			host();
		r = room("{\"user\":\"deploy\",\"needed\":\"10M\"}", check);
		cr_assert_str_eq(tu_status(r), "failed", "%s", tu_msg(r));
		cr_expect(strstr(tu_msg(r), "not enough room to migrate to 'deploy'") != NULL,
			  "%s", tu_msg(r));
		cr_expect(strstr(tu_msg(r), "'" STORE "' is on '/home' (tmpfs)") != NULL, "%s",
			  tu_msg(r));
		cr_expect(strstr(tu_msg(r), "MiB (1048576 bytes) free") != NULL, "%s", tu_msg(r));
		/* 10 MiB plus the default 10 % margin. */
		cr_expect(strstr(tu_msg(r), "needs 11.0 MiB (11534336 bytes)") != NULL, "%s",
			  tu_msg(r));
		cr_expect_str_eq(str(fs(r, 0), "mount"), "/home");
		cr_expect_eq(num(fs(r, 0), "needed"), 11534336);
		json_decref(r);
	}
	cr_expect(access("/home/deploy/.local", F_OK) != 0, "podman_room created files");
}

Test(podman_room, ok_when_it_fits_and_reports_each_filesystem)
{
	json_t *r;

	host();
	r = room("{\"user\":\"deploy\",\"needed\":\"100K\"}", false);
	cr_assert_str_eq(tu_status(r), "ok", "%s", tu_msg(r));
	cr_expect(strstr(tu_msg(r), "room to migrate to 'deploy': '/home' has") != NULL, "%s",
		  tu_msg(r));
	cr_assert_eq(json_array_size(data(r, "filesystems")), 2,
		     "storage on /home, staging on /var/tmp: two filesystems");
	cr_expect_str_eq(str(fs(r, 0), "path"), STORE);
	cr_expect_str_eq(str(fs(r, 0), "measured_at"), "/home/deploy",
			 "nearest existing ancestor of the storage");
	cr_expect_eq(num(fs(r, 0), "needed"), 102400 + 10240);
	cr_expect_gt(num(fs(r, 0), "free"), 900 * 1024);
	cr_expect_str_eq(str(fs(r, 1), "path"), "/var/tmp");
	cr_expect_str_eq(str(fs(r, 1), "mount"), "/var/tmp");
	cr_expect_eq(num(fs(r, 1), "needed"), 0);
	cr_expect_eq(json_integer_value(data(r, "needed_total")), 112640);
	cr_expect_str_eq(json_string_value(data(r, "driver")), "vfs");
	json_decref(r);
}

Test(podman_room, user_storage_conf_graphroot_is_honoured)
{
	json_t *r;

	host();
	tu_sh("mkdir -p /home/deploy/.config/containers");
	tu_write("/home/deploy/.config/containers/storage.conf",
		 "# moved off the small /home\n[storage]\ndriver = \"overlay\"\n"
		 "graphroot = \"/mnt/big/$USER/containers/storage\"\n"
		 "runroot = \"/run/user/$UID/containers\"\n"
		 "[storage.options]\nadditionalimagestores = [\n  \"/x\",\n]\n");
	r = room("{\"user\":\"deploy\",\"needed\":\"10M\"}", false);
	cr_assert_str_eq(tu_status(r), "ok", "%s", tu_msg(r));
	cr_expect_str_eq(json_string_value(data(r, "graphroot")),
			 "/mnt/big/deploy/containers/storage");
	cr_expect(strstr(json_string_value(data(r, "graphroot_from")), "storage.conf (graphroot)"));
	cr_expect_str_eq(json_string_value(data(r, "driver")), "overlay");
	cr_expect_str_eq(str(fs(r, 0), "mount"), "/mnt/big");
	cr_expect_str_eq(str(fs(r, 0), "measured_at"), "/mnt/big",
			 "the storage does not exist yet: its nearest existing ancestor");
	json_decref(r);
}

Test(podman_room, system_rootless_storage_path_applies_to_users)
{
	json_t *r;

	host();
	tu_write("/etc/containers/storage.conf",
		 "[storage]\ndriver = \"overlay\"\ngraphroot = \"/var/lib/containers/storage\"\n"
		 "rootless_storage_path = \"/mnt/big/${UID}/store\"\n");
	r = room("{\"user\":\"deploy\",\"needed\":\"1M\"}", false);
	cr_assert_str_eq(tu_status(r), "ok", "%s", tu_msg(r));
	cr_expect_str_eq(json_string_value(data(r, "graphroot")), "/mnt/big/1000/store");
	json_decref(r);

	/* A user file without graphroot keeps the system's rootless path. */
	tu_sh("mkdir -p /home/deploy/.config/containers");
	tu_write("/home/deploy/.config/containers/storage.conf", "[storage]\ndriver = \"vfs\"\n");
	r = room("{\"user\":\"deploy\",\"needed\":\"1M\"}", false);
	cr_assert_str_eq(tu_status(r), "ok", "%s", tu_msg(r));
	cr_expect_str_eq(json_string_value(data(r, "graphroot")), "/mnt/big/1000/store");
	cr_expect_str_eq(json_string_value(data(r, "driver")), "vfs");
	json_decref(r);

	tu_write("/home/deploy/.config/containers/storage.conf",
		 "[storage]\ngraphroot = relative/path\n");
	r = room("{\"user\":\"deploy\",\"needed\":\"1M\"}", false);
	cr_expect_str_eq(tu_status(r), "failed");
	cr_expect(strstr(tu_msg(r), "'graphroot' in [storage]") != NULL &&
		  strstr(tu_msg(r), "must be a quoted string") != NULL, "%s", tu_msg(r));
	json_decref(r);
}

Test(podman_room, staging_dir_from_containers_conf)
{
	json_t *r;

	host();
	tu_write("/etc/containers/containers.conf", "[engine]\nimage_copy_tmp_dir = \"storage\"\n");
	r = room("{\"user\":\"deploy\",\"needed\":\"1K\"}", false);
	cr_assert_str_eq(tu_status(r), "ok", "%s", tu_msg(r));
	cr_expect_str_eq(json_string_value(data(r, "tmpdir")), STORE "/tmp");
	cr_expect_eq(json_array_size(data(r, "filesystems")), 1, "same filesystem as storage");
	json_decref(r);

	tu_sh("mkdir -p /home/deploy/.config/containers/containers.conf.d");
	tu_write("/home/deploy/.config/containers/containers.conf.d/50-tmp.conf",
		 "[engine]\nimage_copy_tmp_dir = '/mnt/big/tmp'\n");
	r = room("{\"user\":\"deploy\",\"needed\":\"1K\"}", false);
	cr_expect_str_eq(json_string_value(data(r, "tmpdir")), "/mnt/big/tmp");
	json_decref(r);

	r = room("{\"user\":\"deploy\",\"needed\":\"1K\",\"tmpdir\":\"/var/tmp\"}", false);
	cr_expect_str_eq(json_string_value(data(r, "tmpdir")), "/var/tmp");
	json_decref(r);

	tu_write("/etc/containers/containers.conf", "[engine]\nimage_copy_tmp_dir = \"tmp\"\n");
	r = room("{\"user\":\"deploy\",\"needed\":\"1K\"}", false);
	cr_expect_str_eq(tu_status(r), "failed");
	cr_expect(strstr(tu_msg(r), "image_copy_tmp_dir 'tmp'") != NULL, "%s", tu_msg(r));
	json_decref(r);
}

Test(podman_room, sizes_margin_and_floor)
{
	json_t *r;

	host();
	r = room("{\"user\":\"deploy\",\"needed\":\"1.5G\",\"margin\":0}", false);
	cr_expect_str_eq(tu_status(r), "failed");
	cr_expect(strstr(tu_msg(r), "needs 1.5 GiB (1610612736 bytes)") != NULL, "%s", tu_msg(r));
	json_decref(r);
	r = room("{\"user\":\"deploy\",\"needed\":524288,\"margin\":\"50\"}", false);
	cr_expect_str_eq(tu_status(r), "ok", "%s", tu_msg(r));
	cr_expect_eq(num(fs(r, 0), "needed"), 786432);
	json_decref(r);
	r = room("{\"user\":\"deploy\",\"needed\":\"0\",\"min_free\":\"2m\"}", false);
	cr_expect_str_eq(tu_status(r), "failed");
	cr_expect(strstr(tu_msg(r), "needs 2.0 MiB (2097152 bytes)") != NULL, "%s", tu_msg(r));
	json_decref(r);
}

Test(podman_room, bad_arguments_are_clear)
{
	static const struct { const char *args, *msg; } cases[] = {
		{ "{\"user\":\"deploy\",\"needed\":\"12Q\"}",
		  "argument 'needed': cannot read size '12Q'" },
		{ "{\"user\":\"deploy\",\"needed\":\"-5\"}", "cannot read size '-5'" },
		{ "{\"user\":\"deploy\",\"needed\":\"5 GB extra\"}", "cannot read size '5 GB extra'" },
		{ "{\"user\":\"deploy\",\"needed\":\"99999999999T\"}", "too large" },
		{ "{\"user\":\"deploy\",\"min_free\":\"lots\"}", "argument 'min_free': cannot read" },
		{ "{\"user\":\"deploy\",\"margin\":2000}", "'margin' must be a percentage" },
		{ "{\"user\":\"deploy\",\"needed\":\"1G\",\"images\":[\"x\"]}", "not both" },
		{ "{\"user\":\"nobody9\",\"needed\":\"1G\"}", "no such user 'nobody9'" },
		{ "{\"needed\":\"1G\"}", "missing required argument 'user'" },
		{ "{\"user\":\"deploy\",\"tmpdir\":\"var/tmp\"}", "must be an absolute path" },
		{ "{\"user\":\"deploy\",\"driver\":\"zfs\"}", "'driver' must be one of" },
	};

	host();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *r = room(cases[i].args, false);

		cr_expect_str_eq(tu_status(r), "failed", "%s", cases[i].args);
		cr_expect(strstr(tu_msg(r), cases[i].msg) != NULL, "%s: %s", cases[i].args,
			  tu_msg(r));
		json_decref(r);
	}
}

/* ---- with real rootful podman, in a private /var/lib/containers ---- */

static void podman_host(void)
{
	host();
	tu_write("/etc/containers/policy.json",
		 "{\"default\":[{\"type\":\"insecureAcceptAnything\"}]}\n");
	cr_assert_eq(tu_sh("mkdir -p /tmp/rootfs/bin && cp /bin/busybox /tmp/rootfs/bin/ && "
			   "ln -s busybox /tmp/rootfs/bin/sh && "
			   "tar -C /tmp/rootfs -cf /tmp/rootfs.tar . && "
			   "podman import -q /tmp/rootfs.tar localhost/tiny:1 >/dev/null"), 0,
		     "podman import failed");
	cr_assert_eq(tu_sh("mkdir /tmp/ctx && head -c 500000 /dev/urandom > /tmp/ctx/blob && "
			   "printf 'FROM localhost/tiny:1\\nCOPY blob /blob\\n' > "
			   "/tmp/ctx/Containerfile && podman build -q --pull=never --network=none "
			   "-t localhost/two:1 /tmp/ctx >/dev/null"), 0, "podman build failed");
	cr_assert_eq(tu_sh("podman volume create data1 >/dev/null && "
			   "head -c 300000 /dev/zero > "
			   "/var/lib/containers/storage/volumes/data1/_data/blob && "
			   "podman create -q --network none --pull=never --name web -v data1:/data "
			   "localhost/two:1 sh >/dev/null"), 0, "podman create failed");
}

/*
 * The vfs cost from podman history's layer sizes (newest first): each
 * layer whole on top of the ones below, plus the image's non-layer bytes.
 */
static long long vfs_cost(const char *image, long long size)
{
	char cmd[256];
	char *out;
	json_t *h;
	long long cum = 0, total = 0;

	snprintf(cmd, sizeof(cmd), "podman history --format json %s > /tmp/h.json", image);
	cr_assert_eq(tu_sh("%s", cmd), 0);
	out = tu_read("/tmp/h.json");
	h = json_loads(out, 0, NULL);
	cr_assert_not_null(h);
	for (size_t i = json_array_size(h); i-- > 0;) {
		long long s = json_integer_value(json_object_get(json_array_get(h, i), "size"));

		if (s > 0) {
			cum += s;
			total += cum;
		}
	}
	json_decref(h);
	free(out);
	return total + (size > cum ? size - cum : 0);
}

Test(podman_room, sizes_rootful_images_and_volumes_with_podman, .timeout = 120)
{
	json_t *r, *img, *vol;
	long long size, storage, vsize, want;

	podman_host();
	r = room("{\"user\":\"deploy\",\"margin\":0}", true);
	cr_assert_str_eq(tu_status(r), "failed", "%s", tu_msg(r));
	cr_assert_eq(json_array_size(data(r, "images")), 1, "one image used by one container");
	img = json_array_get(data(r, "images"), 0);
	cr_expect_str_eq(str(img, "name"), "localhost/two:1");
	size = num(img, "size");
	storage = num(img, "storage");
	cr_expect_gt(size, 2400000);
	cr_expect_eq(storage, vfs_cost("localhost/two:1", size),
		     "vfs stores each of the 2 layers whole: %lld", storage);
	cr_expect_gt(storage, size + size / 2);
	vol = json_array_get(data(r, "volumes"), 0);
	cr_expect_str_eq(str(vol, "name"), "data1");
	vsize = num(vol, "size");
	/* 300000 bytes in 4 KiB blocks, plus the directory. */
	cr_expect_eq(vsize, 4096 + 303104);
	/* Storage: the image's layers + the container's full copy + the volume. */
	want = storage + size + vsize;
	cr_expect_eq(num(fs(r, 0), "needed"), want);
	cr_expect_eq(num(fs(r, 1), "needed"), size, "the tarball, staged in /var/tmp");
	cr_expect(strstr(tu_msg(r), "'/home' (tmpfs)") != NULL, "%s", tu_msg(r));
	json_decref(r);

	/* The same by naming the container, and by naming the image alone. */
	r = room("{\"user\":\"deploy\",\"margin\":0,\"containers\":[\"web\"]}", false);
	cr_expect_eq(num(fs(r, 0), "needed"), want);
	json_decref(r);
	r = room("{\"user\":\"deploy\",\"margin\":0,\"images\":[\"localhost/tiny:1\"]}", false);
	img = json_array_get(data(r, "images"), 0);
	cr_expect_eq(num(img, "storage"), num(img, "size"), "one layer: stored once");
	cr_expect_eq(json_array_size(data(r, "volumes")), 0);
	json_decref(r);
	/* With overlay (say the migration sets it up first), each image once. */
	r = room("{\"user\":\"deploy\",\"margin\":0,\"driver\":\"overlay\"}", false);
	img = json_array_get(data(r, "images"), 0);
	cr_expect_eq(num(img, "storage"), size);
	cr_expect_eq(num(fs(r, 0), "needed"), size + vsize, "no per-container copy");
	json_decref(r);
	r = room("{\"user\":\"deploy\",\"images\":[\"localhost/nosuch:1\"]}", false);
	cr_expect_str_eq(tu_status(r), "failed");
	cr_expect(strstr(tu_msg(r), "'podman image inspect' failed") != NULL &&
		  strstr(tu_msg(r), "nosuch") != NULL, "%s", tu_msg(r));
	json_decref(r);
}

Test(podman_room, what_the_user_already_has_is_not_counted_again, .timeout = 120)
{
	json_t *r, *img;
	char *id;
	char json[512];

	podman_host();
	r = room("{\"user\":\"deploy\",\"margin\":0}", false);
	img = json_array_get(data(r, "images"), 0);
	id = strdup(str(img, "id"));
	json_decref(r);

	/* Pretend the image, the container and the volume were copied already. */
	tu_sh("mkdir -p " STORE "/vfs-images " STORE "/vfs-containers "
	      STORE "/volumes/data1/_data && head -c 300000 /dev/zero > "
	      STORE "/volumes/data1/_data/blob");
	snprintf(json, sizeof(json), "[{\"id\":\"%s\",\"names\":[\"localhost/two:1\"]}]", id);
	tu_write(STORE "/vfs-images/images.json", json);
	tu_write(STORE "/vfs-containers/containers.json", "[{\"id\":\"abc\",\"names\":[\"web\"]}]");
	r = room("{\"user\":\"deploy\",\"margin\":0}", false);
	cr_assert_str_eq(tu_status(r), "ok", "%s", tu_msg(r));
	img = json_array_get(data(r, "images"), 0);
	cr_expect(json_is_true(json_object_get(img, "present")));
	cr_expect_eq(num(fs(r, 0), "needed"), 0);
	cr_expect_eq(num(fs(r, 1), "needed"), 0);
	cr_expect_str_eq(json_string_value(data(r, "driver_from")), "existing storage");
	json_decref(r);
	free(id);
}
