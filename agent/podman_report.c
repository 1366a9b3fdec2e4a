/*
 * Telling what the container migration would do or did: the change lines
 * per container (check mode's plan) and the data for register.
 */
#include "podman_plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "podman_boot.h"
#include "podman_def.h"
#include "podman_shiftreg.h"

static const char *jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

void pm_human(uint64_t n, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KB", "MB", "GB", "TB" };
	double v = (double)n;
	int u = 0;

	while (v >= 1000.0 && u < 4) {
		v /= 1000.0;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%llu B", (unsigned long long)n);
	else
		snprintf(buf, len, "%.1f %s", v, units[u]);
}

static void shift_text(const json_t *rep, struct mu_buf *b)
{
	const char *key;
	json_t *v;
	int n = 0;

	mu_buf_addf(b, "%lld of %lld entries",
		    (long long)json_integer_value(json_object_get(rep, "changed")),
		    (long long)json_integer_value(json_object_get(rep, "entries")));
	json_object_foreach(json_object_get(rep, "uids"), key, v)
		if (n++ < 6)
			mu_buf_addf(b, "%s uid %s x%lld", n == 1 ? ":" : ",", key,
				    (long long)json_integer_value(v));
	json_object_foreach(json_object_get(rep, "gids"), key, v)
		if (n++ < 12)
			mu_buf_addf(b, "%s gid %s x%lld", n == 1 ? ":" : ",", key,
				    (long long)json_integer_value(v));
	if (json_integer_value(json_object_get(rep, "outside")))
		mu_buf_addf(b, "; %lld left with ids outside the range",
			    (long long)json_integer_value(json_object_get(rep, "outside")));
}

void pm_report_item(struct mu_result *r, const struct pm_plan *p, const struct pm_item *it)
{
	const char *u = p->user.name;
	size_t i;
	json_t *v;
	char sz[32];

	if (it->action == PM_MIGRATE) {
		if (it->load_image) {
			pm_human(it->image_bytes, sz, sizeof(sz));
			mu_result_change(r, "%s: copy image '%s' (%.12s, %s) into the storage of '%s'",
					 it->name, jstr(it->def, "image"), jstr(it->def, "image_id"), sz, u);
		}
		json_array_foreach(it->networks, i, v) {
			json_t *s0 = json_array_get(json_object_get(v, "subnets"), 0);

			mu_result_change(r, "%s: create network '%s'%s%s%s for '%s'", it->name,
					 jstr(v, "name"), s0 ? " (" : "", s0 ? jstr(s0, "subnet") : "",
					 s0 ? ")" : "", u);
		}
		json_array_foreach(it->volumes, i, v) {
			pm_human((uint64_t)json_integer_value(json_object_get(v, "bytes")), sz, sizeof(sz));
			mu_result_change(r, "%s: %s volume '%s' for '%s' and copy %s in %lld entries "
					 "(owners kept as the container sees them)", it->name,
					 json_is_true(json_object_get(v, "create")) ? "create" : "fill",
					 jstr(v, "name"), u, sz,
					 (long long)json_integer_value(json_object_get(v, "entries")));
		}
		json_array_foreach(it->shifts, i, v) {
			struct mu_buf b = MU_BUF_INIT;

			shift_text(v, &b);
			mu_result_change(r, "%s: shift ownership under '%s' for '%s': %s", it->name,
					 jstr(v, "path"), u, b.buf);
			mu_buf_release(&b);
		}
		json_array_foreach(it->shifts_skipped, i, v)
			mu_result_change(r, "%s: keep the owners under '%s' as they are: '%s' was "
					 "shifted for '%s' already (by %s), not shifted twice",
					 it->name, jstr(v, "path"), jstr(v, "registered_path"), u,
					 jstr(v, "by"));
		if (it->socket) {
			char *sock = pm_user_socket(p->user.uid);

			mu_result_change(r, "%s: mount '%s' in place of '%s'", it->name, sock,
					 PM_ROOT_SOCKET);
			free(sock);
		}
		mu_result_change(r, "%s: create the container for '%s' (restart %s)%s", it->name, u,
				 p->restart, it->stop_rootful ? ", stop the rootful one, start "
				 "the rootless one and check it runs" : "");
	}
	if (it->action == PM_FINISH) {
		if (it->stop_rootful)
			mu_result_change(r, "%s: stop the rootful container", it->name);
		if (it->start_rootless)
			mu_result_change(r, "%s: start the container of '%s'", it->name, u);
	}
	if (it->action == PM_MIGRATE || it->action == PM_FINISH) {
		if (it->restart_no)
			mu_result_change(r, "%s: set the restart policy of the rootful container to "
					 "'no'", it->name);
		if (it->remove_rootful)
			mu_result_change(r, "%s: remove the rootful container%s", it->name,
					 json_array_size(it->volumes) ? " and its copied volumes" : "");
		if (it->write_record)
			mu_result_change(r, "%s: write the migration record under '%s'", it->name,
					 p->record_dir);
	}
	if (it->action == PM_ROLLBACK) {
		json_t *vols = json_object_get(it->record, "volumes");
		json_t *shifts = json_object_get(it->record, "shifts");

		mu_result_change(r, "%s: stop and remove the container of '%s'", it->name, u);
		json_array_foreach(vols, i, v)
			mu_result_change(r, "%s: copy volume '%s' of '%s' back over the rootful one, "
					 "then remove the user's copy", it->name, jstr(v, "name"), u);
		json_array_foreach(shifts, i, v) {
			bool reg = json_is_true(json_object_get(v, "registered"));

			if (!reg || pm_reg_covering(p->registry, jstr(v, "path")))
				mu_result_change(r, "%s: shift ownership under '%s' back%s", it->name,
						 jstr(v, "path"), reg ? " and drop its shift record" : "");
		}
		if (json_is_true(json_object_get(it->record, "restart_changed")))
			mu_result_change(r, "%s: restore the rootful restart policy '%s'", it->name,
					 jstr(it->def, "restart"));
		if (json_is_true(json_object_get(it->record, "rootful_was_running")))
			mu_result_change(r, "%s: start the rootful container", it->name);
	}
}

static const char *action_name(enum pm_action a)
{
	switch (a) {
	case PM_MIGRATE: return "migrate";
	case PM_FINISH: return "finish";
	case PM_ROLLBACK: return "roll back";
	default: return "ok";
	}
}

static json_t *summary(const struct pm_plan *p, const struct pm_item *it)
{
	json_t *s = json_pack("{s:s, s:s}", "name", it->name, "action", action_name(it->action));

	if (it->def) {
		json_object_set_new(s, "image", json_string(jstr(it->def, "image")));
		json_object_set_new(s, "image_id", json_string(jstr(it->def, "image_id")));
		json_object_set_new(s, "published_ports", pm_def_published(it->def));
	}
	json_object_set_new(s, "image_load", json_pack("{s:b, s:I}", "needed", it->load_image,
				"bytes", (json_int_t)it->image_bytes));
	json_object_set_new(s, "volumes", it->volumes ? json_incref(it->volumes) : json_array());
	json_object_set_new(s, "networks", it->networks ? json_incref(it->networks) : json_array());
	json_object_set_new(s, "shifts", it->shifts ? json_incref(it->shifts) : json_array());
	json_object_set_new(s, "shifts_skipped", it->shifts_skipped
			    ? json_incref(it->shifts_skipped) : json_array());
	json_object_set_new(s, "socket_rewritten", json_boolean(it->socket));
	json_object_set_new(s, "rootful_running", json_boolean(it->rootful_running));
	json_object_set_new(s, "rootless", json_boolean(it->rootless != NULL));
	json_object_set_new(s, "restart", json_string(p->restart));
	return s;
}

/* data.published_ports and data.containers for register. */
void pm_report_data(struct mu_result *r, const struct pm_plan *p)
{
	json_t *ports = json_array();
	json_t *list = json_array();

	for (size_t i = 0; i < p->n; i++) {
		const struct pm_item *it = &p->items[i];
		json_t *pp = it->def ? pm_def_published(it->def) : json_array();
		size_t k, j;
		json_t *v, *q;

		json_array_foreach(pp, k, v) {
			bool dup = false;

			json_array_foreach(ports, j, q)
				dup = dup || json_equal(q, v);
			if (!dup)
				json_array_append(ports, v);
		}
		json_decref(pp);
		json_array_append_new(list, summary(p, it));
	}
	mu_result_data(r, "published_ports", ports);
	mu_result_data(r, "containers", list);
	mu_result_data(r, "user", json_string(p->user.name));
	if (p->boot)
		mu_result_data(r, "rootful_boot", json_incref(p->boot));
}

void pm_report_boot(struct mu_result *r, const struct pm_plan *p)
{
	size_t i;
	json_t *v;

	if (p->boot_disable) {
		struct mu_buf b = MU_BUF_INIT;

		json_array_foreach(p->boot_migrated, i, v)
			mu_buf_addf(&b, "%s'%s'", i ? ", " : "", json_string_value(v));
		json_array_foreach(p->boot_links, i, v)
			mu_result_change(r, "disable the rootful %s: remove '%s' (this podman cannot "
					 "set the restart policy of the migrated rootful %s to 'no', "
					 "and at boot the service would start them again; recorded "
					 "for rollback)", PM_BOOT_UNIT, jstr(v, "path"), b.buf);
		mu_buf_release(&b);
	}
	if (p->boot_enable)
		json_array_foreach(json_object_get(p->boot_record, "links"), i, v)
			mu_result_change(r, "enable the rootful %s again: '%s' -> '%s'",
					 PM_BOOT_UNIT, jstr(v, "path"), jstr(v, "target"));
}

void pm_report_msg(struct mu_result *r, const struct pm_plan *p, bool check_mode)
{
	static const enum pm_action kinds[] = { PM_MIGRATE, PM_FINISH, PM_ROLLBACK };
	static const char *const verbs[] = { "migrate", "finish migrating", "roll back" };
	struct mu_buf b = MU_BUF_INIT;

	for (size_t k = 0; k < 3; k++) {
		struct mu_buf names = MU_BUF_INIT;

		for (size_t i = 0; i < p->n; i++)
			if (p->items[i].action == kinds[k])
				mu_buf_addf(&names, "%s'%s'", names.len ? ", " : "", p->items[i].name);
		if (names.len)
			mu_buf_addf(&b, "%s%s %s%s%s%s", b.len ? "; " : "", verbs[k], names.buf,
				    kinds[k] == PM_ROLLBACK ? "" : " to '",
				    kinds[k] == PM_ROLLBACK ? "" : p->user.name,
				    kinds[k] == PM_ROLLBACK ? "" : "'");
		mu_buf_release(&names);
	}
	if (p->boot_disable)
		mu_buf_addf(&b, "%sdisable the rootful %s", b.len ? "; " : "", PM_BOOT_UNIT);
	if (p->boot_enable)
		mu_buf_addf(&b, "%senable the rootful %s again", b.len ? "; " : "", PM_BOOT_UNIT);
	if (b.len)
		mu_result_msg(r, "%s%s (%zu steps)", check_mode ? "would " : "", b.buf,
			      json_array_size(r->changes));
	mu_buf_release(&b);
}
