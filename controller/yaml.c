/*
 * The YAML loader: libyaml events turned into a tree of mu_ynode that keeps
 * the source position of every node. Built from events rather than with
 * yaml_parser_load() so that aliases, merge keys, duplicate keys and
 * recursive structures are under our control and reported with positions.
 */
#include "yaml.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml_libyaml.h>

#include "mu_buf.h"

/* Deeper nesting than this is surely an attack or a mistake, and the
 * recursive walkers must not run out of stack. */
#define MU_YAML_MAX_DEPTH 200
#define MU_YAML_MAX_FILE (64u << 20)

struct anchor {
	char *name;
	struct mu_ynode *node;
};

struct loader {
	yaml_parser_t parser;
	struct mu_ydoc *doc;
	const char *src;
	size_t srclen;
	struct anchor *anchors;
	size_t nanchors, aanchors;
	struct mu_err *e;
};

/* A growable array of node pointers used while a collection is built. */
struct nodevec {
	struct mu_ynode **v;
	size_t n, a;
};

static void nodevec_push(struct nodevec *nv, struct mu_ynode *node)
{
	if (nv->n == nv->a) {
		nv->a = nv->a ? nv->a * 2 : 8;
		nv->v = mu_xrealloc(nv->v, nv->a * sizeof(*nv->v));
	}
	nv->v[nv->n++] = node;
}

static struct mu_ynode *node_new(struct loader *ld, enum mu_ytype type,
				 const yaml_mark_t *mark)
{
	struct mu_ydoc *doc = ld->doc;
	struct mu_ynode *node = mu_xcalloc(1, sizeof(*node));

	node->type = type;
	node->file = doc->name;
	node->line = (int)mark->line + 1;
	node->col = (int)mark->column + 1;
	if (doc->nnodes == doc->anodes) {
		doc->anodes = doc->anodes ? doc->anodes * 2 : 32;
		doc->nodes = mu_xrealloc(doc->nodes, doc->anodes * sizeof(*doc->nodes));
	}
	doc->nodes[doc->nnodes++] = node;
	return node;
}

static int err_at(struct loader *ld, const yaml_mark_t *mark, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int err_at(struct loader *ld, const yaml_mark_t *mark, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return mu_err_set(ld->e, MU_E_PARSE, "%s:%zu:%zu: %s", ld->doc->name,
			  mark->line + 1, mark->column + 1, msg);
}

/* Start of 0-based line `line` in the source, or NULL past the end. */
static const char *line_start(const struct loader *ld, size_t line)
{
	const char *p = ld->src, *end = ld->src + ld->srclen;

	while (line > 0 && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (!nl)
			return NULL;
		p = nl + 1;
		line--;
	}
	return p < end ? p : NULL;
}

/* If 0-based line `line` is indented with a TAB, report it and return true.
 * libyaml says "found character that cannot start any token", which does
 * not tell a person what is wrong. */
static bool tab_indent(struct loader *ld, size_t line)
{
	const char *p = line_start(ld, line), *end = ld->src + ld->srclen;
	size_t col = 0;

	if (!p)
		return false;
	for (; p < end && (*p == ' ' || *p == '\t' || *p == '-'); p++, col++) {
		if (*p == '-' && !(p + 1 < end && (p[1] == ' ' || p[1] == '\t')))
			return false;
		if (*p == '\t') {
			mu_err_set(ld->e, MU_E_PARSE, "%s:%zu:%zu: tab character used for "
				   "indentation (YAML allows only spaces)",
				   ld->doc->name, line + 1, col + 1);
			return true;
		}
	}
	return false;
}

/* libyaml gives a byte offset for encoding errors; turn it into a line and
 * column like every other message. */
static int reader_error(struct loader *ld, const char *problem, size_t off)
{
	size_t line = 1, col = 1;

	for (size_t i = 0; i < off && i < ld->srclen; i++) {
		if (ld->src[i] == '\n') {
			line++;
			col = 1;
		} else if (((unsigned char)ld->src[i] & 0xc0) != 0x80) {
			col++;
		}
	}
	return mu_err_set(ld->e, MU_E_PARSE, "%s:%zu:%zu: %s", ld->doc->name, line,
			  col, problem);
}

static int parser_error(struct loader *ld)
{
	yaml_parser_t *p = &ld->parser;
	const char *problem = p->problem ? p->problem : "invalid YAML";

	if (p->error == YAML_MEMORY_ERROR)
		return mu_err_set(ld->e, MU_E_NOMEM, "%s: out of memory while parsing",
				  ld->doc->name);
	if (p->error == YAML_READER_ERROR)
		return reader_error(ld, problem, p->problem_offset);
	if (tab_indent(ld, p->problem_mark.line))
		return MU_E_PARSE;
	if (p->context && p->context_mark.line != p->problem_mark.line &&
	    tab_indent(ld, p->context_mark.line))
		return MU_E_PARSE;
	if (p->context)
		return err_at(ld, &p->problem_mark, "%s (%s at line %zu)", problem,
			      p->context, p->context_mark.line + 1);
	return err_at(ld, &p->problem_mark, "%s", problem);
}

static int next_event(struct loader *ld, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&ld->parser, ev))
		return parser_error(ld);
	return 0;
}

static void anchor_add(struct loader *ld, const yaml_char_t *name, struct mu_ynode *node)
{
	if (!name)
		return;
	if (ld->nanchors == ld->aanchors) {
		ld->aanchors = ld->aanchors ? ld->aanchors * 2 : 8;
		ld->anchors = mu_xrealloc(ld->anchors, ld->aanchors * sizeof(*ld->anchors));
	}
	ld->anchors[ld->nanchors].name = mu_xstrdup((const char *)name);
	ld->anchors[ld->nanchors].node = node;
	ld->nanchors++;
}

static char *tag_dup(const yaml_char_t *tag)
{
	return tag ? mu_xstrdup((const char *)tag) : NULL;
}

static bool key_equal(const struct mu_ynode *a, const struct mu_ynode *b)
{
	return a->type == MU_Y_SCALAR && b->type == MU_Y_SCALAR &&
	       a->len == b->len && memcmp(a->value, b->value, a->len) == 0;
}

static bool is_merge_key(const struct mu_ynode *k)
{
	if (k->type != MU_Y_SCALAR || strcmp(k->value, "<<") != 0)
		return false;
	if (k->tag)
		return strcmp(k->tag, "tag:yaml.org,2002:merge") == 0;
	return k->style == MU_YS_PLAIN;
}

static bool has_key(const struct nodevec *keys, const struct mu_ynode *k)
{
	for (size_t i = 0; i < keys->n; i++)
		if (key_equal(keys->v[i], k))
			return true;
	return false;
}

/*
 * Apply `<<` sources to a mapping: explicit keys win, and among the merged
 * maps the first one to bring a key wins (YAML's merge key rules). Merged
 * pairs come first, as PyYAML (and so Ansible) orders them.
 */
static void apply_merges(const struct nodevec *srcs, struct nodevec *keys,
			 struct nodevec *vals)
{
	struct nodevec mk = { 0 }, mv = { 0 };

	for (size_t s = 0; s < srcs->n; s++) {
		const struct mu_ynode *src = srcs->v[s];

		for (size_t i = 0; i < src->n; i++) {
			if (has_key(keys, src->keys[i]) || has_key(&mk, src->keys[i]))
				continue;
			nodevec_push(&mk, src->keys[i]);
			nodevec_push(&mv, src->items[i]);
		}
	}
	for (size_t i = 0; i < keys->n; i++) {
		nodevec_push(&mk, keys->v[i]);
		nodevec_push(&mv, vals->v[i]);
	}
	free(keys->v);
	free(vals->v);
	*keys = mk;
	*vals = mv;
}

/*
 * Aliases share nodes, so a few lines of YAML can stand for billions of
 * values ("billion laughs"); every later walk over the tree would pay for
 * them. Count what each collection expands to as it completes, and refuse
 * a document past MU_YAML_MAX_EXPANDED before anything walks it.
 */
#define MU_YAML_MAX_EXPANDED ((size_t)1000000)

static int weigh(struct loader *ld, struct mu_ynode *node)
{
	size_t w = 1;

	for (size_t i = 0; i < node->n; i++) {
		w += node->items[i]->weight;
		if (node->type == MU_Y_MAP)
			w += node->keys[i]->weight;
		if (w > MU_YAML_MAX_EXPANDED)
			break;
	}
	node->weight = w;
	if (w > MU_YAML_MAX_EXPANDED)
		return mu_yerr(ld->e, node, "aliases expand this to more than %zu values; "
			       "refusing a YAML alias bomb", MU_YAML_MAX_EXPANDED);
	return 0;
}

static int load_node(struct loader *ld, yaml_event_t *ev, int depth,
		     struct mu_ynode **out);

/* A `<<` value: a map, or a sequence of maps. */
static int merge_sources(struct loader *ld, const struct mu_ynode *v,
			 const yaml_mark_t *mark, struct nodevec *srcs)
{
	if (v->type == MU_Y_MAP) {
		nodevec_push(srcs, (struct mu_ynode *)v);
		return 0;
	}
	if (v->type != MU_Y_SEQ)
		return err_at(ld, mark, "merge key '<<' needs a mapping or a list of "
			      "mappings, not a %s", mu_ynode_kind(v));
	for (size_t i = 0; i < v->n; i++) {
		if (v->items[i]->type != MU_Y_MAP)
			return err_at(ld, mark, "merge key '<<' list item %zu is a %s, "
				      "not a mapping", i + 1, mu_ynode_kind(v->items[i]));
		nodevec_push(srcs, v->items[i]);
	}
	return 0;
}

static int load_mapping(struct loader *ld, struct mu_ynode *map, int depth)
{
	struct nodevec keys = { 0 }, vals = { 0 }, srcs = { 0 };
	/* scalar key text -> index in keys, so a mapping with thousands of
	 * keys (a big inventory) is not checked for duplicates in n^2 */
	json_t *seen = json_object();
	yaml_event_t ev;
	int r;

	for (;;) {
		struct mu_ynode *k = NULL, *v = NULL;
		yaml_mark_t kmark;

		if ((r = next_event(ld, &ev)) != 0)
			goto out;
		if (ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		kmark = ev.start_mark;
		r = load_node(ld, &ev, depth + 1, &k);
		if (r != 0)
			goto out;
		if ((r = next_event(ld, &ev)) != 0)
			goto out;
		r = load_node(ld, &ev, depth + 1, &v);
		if (r != 0)
			goto out;
		if (k->type == MU_Y_SCALAR) {
			json_t *first = json_object_getn(seen, k->value, k->len);

			if (first) {
				/* NOLINTNEXTLINE(clang-analyzer-core.NullDereference): seen holds pushed keys only */
				const struct mu_ynode *prev = keys.v[json_integer_value(first)];

				r = err_at(ld, &kmark, "duplicate key '%s' (first defined at "
					   "line %d)", k->value, prev->line);
				goto out;
			}
			json_object_setn_new_nocheck(seen, k->value, k->len,
						     json_integer((json_int_t)keys.n));
		}
		if (is_merge_key(k)) {
			if ((r = merge_sources(ld, v, &kmark, &srcs)) != 0)
				goto out;
			/* Kept in keys only for the duplicate check above. */
		}
		nodevec_push(&keys, k);
		nodevec_push(&vals, v);
	}
	if (srcs.n > 0) {
		/* Drop the `<<` pairs themselves, then merge. */
		size_t j = 0;

		for (size_t i = 0; i < keys.n; i++) {
			if (is_merge_key(keys.v[i]))
				continue;
			keys.v[j] = keys.v[i];
			vals.v[j] = vals.v[i];
			j++;
		}
		keys.n = vals.n = j;
		apply_merges(&srcs, &keys, &vals);
	}
	map->keys = keys.v;
	map->items = vals.v;
	map->n = keys.n;
	keys.v = vals.v = NULL;
	r = 0;
out:
	json_decref(seen);
	free(keys.v);
	free(vals.v);
	free(srcs.v);
	return r;
}

static int load_sequence(struct loader *ld, struct mu_ynode *seq, int depth)
{
	struct nodevec items = { 0 };
	yaml_event_t ev;
	int r;

	for (;;) {
		struct mu_ynode *item = NULL;

		if ((r = next_event(ld, &ev)) != 0)
			goto out;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if ((r = load_node(ld, &ev, depth + 1, &item)) != 0)
			goto out;
		nodevec_push(&items, item);
	}
	seq->items = items.v;
	seq->n = items.n;
	items.v = NULL;
	r = 0;
out:
	free(items.v);
	return r;
}

static enum mu_ystyle scalar_style(yaml_scalar_style_t s)
{
	switch (s) {
	case YAML_SINGLE_QUOTED_SCALAR_STYLE: return MU_YS_SINGLE;
	case YAML_DOUBLE_QUOTED_SCALAR_STYLE: return MU_YS_DOUBLE;
	case YAML_LITERAL_SCALAR_STYLE: return MU_YS_LITERAL;
	case YAML_FOLDED_SCALAR_STYLE: return MU_YS_FOLDED;
	default: return MU_YS_PLAIN;
	}
}

static struct mu_ynode *find_anchor(struct loader *ld, const char *name)
{
	/* The latest definition of a name wins (YAML allows redefinition). */
	for (size_t i = ld->nanchors; i > 0; i--)
		if (strcmp(ld->anchors[i - 1].name, name) == 0)
			return ld->anchors[i - 1].node;
	return NULL;
}

/* Build the node that starts with *ev (consumed here) and, for
 * collections, every event up to its end. */
static int load_node(struct loader *ld, yaml_event_t *ev, int depth,
		     struct mu_ynode **out)
{
	struct mu_ynode *node = NULL;
	int r = 0;

	if (depth > MU_YAML_MAX_DEPTH) {
		r = err_at(ld, &ev->start_mark, "nesting deeper than %d levels",
			   MU_YAML_MAX_DEPTH);
		goto out;
	}
	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		node = find_anchor(ld, (const char *)ev->data.alias.anchor);
		if (!node)
			r = err_at(ld, &ev->start_mark, "unknown alias '*%s'",
				   (const char *)ev->data.alias.anchor);
		else if (node->building)
			r = err_at(ld, &ev->start_mark, "recursive alias '*%s' refers to "
				   "a node that contains it", (const char *)ev->data.alias.anchor);
		break;
	case YAML_SCALAR_EVENT:
		node = node_new(ld, MU_Y_SCALAR, &ev->start_mark);
		node->weight = 1;
		node->style = scalar_style(ev->data.scalar.style);
		node->len = ev->data.scalar.length;
		node->value = mu_xmalloc(node->len + 1);
		memcpy(node->value, ev->data.scalar.value, node->len);
		node->value[node->len] = '\0';
		node->tag = tag_dup(ev->data.scalar.tag);
		anchor_add(ld, ev->data.scalar.anchor, node);
		break;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT: {
		bool seq = ev->type == YAML_SEQUENCE_START_EVENT;
		bool flow = seq ? ev->data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE
				: ev->data.mapping_start.style == YAML_FLOW_MAPPING_STYLE;

		node = node_new(ld, seq ? MU_Y_SEQ : MU_Y_MAP, &ev->start_mark);
		node->style = flow ? MU_YS_FLOW : MU_YS_BLOCK;
		node->tag = tag_dup(seq ? ev->data.sequence_start.tag
					: ev->data.mapping_start.tag);
		anchor_add(ld, seq ? ev->data.sequence_start.anchor
				   : ev->data.mapping_start.anchor, node);
		node->building = 1;
		yaml_event_delete(ev);
		r = seq ? load_sequence(ld, node, depth) : load_mapping(ld, node, depth);
		node->building = 0;
		*out = node;
		if (r == 0 && (r = weigh(ld, node)) != 0)
			return r;
		return r;
	}
	default:
		r = err_at(ld, &ev->start_mark, "unexpected YAML event %d", (int)ev->type);
		break;
	}
out:
	yaml_event_delete(ev);
	*out = node;
	return r;
}

/* STREAM_START, then at most one document. */
static int load_stream(struct loader *ld)
{
	yaml_event_t ev;
	int r;

	if ((r = next_event(ld, &ev)) != 0)
		return r;
	yaml_event_delete(&ev); /* STREAM_START */
	if ((r = next_event(ld, &ev)) != 0)
		return r;
	if (ev.type == YAML_STREAM_END_EVENT) {
		yaml_event_delete(&ev);
		return 0;
	}
	yaml_event_delete(&ev); /* DOCUMENT_START */
	if ((r = next_event(ld, &ev)) != 0)
		return r;
	if ((r = load_node(ld, &ev, 0, &ld->doc->root)) != 0)
		return r;
	if ((r = next_event(ld, &ev)) != 0)
		return r;
	yaml_event_delete(&ev); /* DOCUMENT_END */
	if ((r = next_event(ld, &ev)) != 0)
		return r;
	if (ev.type == YAML_DOCUMENT_START_EVENT) {
		r = err_at(ld, &ev.start_mark, "more than one YAML document in '%s' "
			   "(only one is supported)", ld->doc->name);
		yaml_event_delete(&ev);
		return r;
	}
	yaml_event_delete(&ev);
	return 0;
}

int mu_yaml_load_string(const char *name, const char *s, size_t len,
			struct mu_ydoc **out, struct mu_err *e)
{
	struct loader ld = { .src = s, .srclen = len, .e = e };
	int r;

	*out = NULL;
	ld.doc = mu_xcalloc(1, sizeof(*ld.doc));
	ld.doc->name = mu_xstrdup(name ? name : "<string>");
	if (!yaml_parser_initialize(&ld.parser)) {
		r = mu_err_set(e, MU_E_NOMEM, "cannot initialise the YAML parser");
		goto out;
	}
	yaml_parser_set_input_string(&ld.parser, (const unsigned char *)s, len);
	r = load_stream(&ld);
	yaml_parser_delete(&ld.parser);
out:
	for (size_t i = 0; i < ld.nanchors; i++)
		free(ld.anchors[i].name);
	free(ld.anchors);
	if (r != 0) {
		mu_ydoc_free(ld.doc);
		return r;
	}
	*out = ld.doc;
	return 0;
}

static int read_all(const char *path, struct mu_buf *b, struct mu_err *e)
{
	struct stat st;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT
			? mu_err_set(e, MU_E_NOTFOUND, "cannot open '%s': no such file", path)
			: mu_err_sys(e, "cannot open '%s'", path);
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		r = mu_err_set(e, MU_E_ARG, "cannot read '%s': is a directory", path);
		goto out;
	}
	for (;;) {
		ssize_t n;

		if (mu_buf_grow(b, 65536) != 0) {
			r = mu_err_set(e, MU_E_TOOBIG, "file '%s' is larger than %u bytes",
				       path, MU_YAML_MAX_FILE);
			goto out;
		}
		n = read(fd, b->buf + b->len, b->alloc - b->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = mu_err_sys(e, "cannot read '%s'", path);
			goto out;
		}
		if (n == 0)
			break;
		b->len += (size_t)n;
		b->buf[b->len] = '\0';
	}
out:
	close(fd);
	return r;
}

int mu_yaml_load_file(const char *path, struct mu_ydoc **out, struct mu_err *e)
{
	struct mu_buf b;
	int r;

	*out = NULL;
	mu_buf_init(&b, MU_YAML_MAX_FILE);
	r = read_all(path, &b, e);
	if (r == 0)
		r = mu_yaml_load_string(path, b.buf, b.len, out, e);
	mu_buf_release(&b);
	return r;
}

void mu_ydoc_free(struct mu_ydoc *doc)
{
	if (!doc)
		return;
	for (size_t i = 0; i < doc->nnodes; i++) {
		struct mu_ynode *n = doc->nodes[i];

		free(n->value);
		free(n->tag);
		free(n->keys);
		free(n->items);
		free(n);
	}
	free(doc->nodes);
	free(doc->name);
	free(doc);
}
