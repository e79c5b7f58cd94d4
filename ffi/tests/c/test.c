/*
 * C test of the crdt-merge C ABI (ffi/include/crdt_merge.h), run under
 * valgrind by ffi/test.sh. Usage: test GOLDEN_DIR (conformance/golden).
 * Prints "N passed, N failed" and exits non-zero on any failure.
 */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crdt_merge.h"

static int passed = 0, failed = 0;
static const char *golden_dir;

#define CHECK(cond, ...)                                                        \
  do {                                                                          \
    if (cond) {                                                                 \
      passed++;                                                                 \
    } else {                                                                    \
      failed++;                                                                 \
      fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);          \
      fprintf(stderr, __VA_ARGS__);                                             \
      fputc('\n', stderr);                                                      \
    }                                                                           \
  } while (0)

typedef struct {
  uint8_t *data;
  size_t len;
} Buf;

static Buf read_golden(const char *rel) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", golden_dir, rel);
  FILE *f = fopen(path, "rb");
  Buf b = {NULL, 0};
  if (!f) {
    fprintf(stderr, "cannot open %s\n", path);
    exit(2);
  }
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  b.data = malloc(n > 0 ? (size_t)n : 1);
  b.len = fread(b.data, 1, (size_t)n, f);
  fclose(f);
  return b;
}

static CmObject *decode_golden(const char *rel) {
  Buf b = read_golden(rel);
  CmObject *o = NULL;
  CmError e = {0};
  CmStatus st = cm_decode(b.data, b.len, &o, &e);
  CHECK(st == CM_STATUS_OK, "decode %s: %s", rel, e.message.ptr ? e.message.ptr : "");
  cm_error_free(&e);
  free(b.data);
  return o;
}

static void test_version(void) {
  CHECK(strcmp(cm_version(), "0.1.0") == 0, "version %s", cm_version());
  CHECK(strcmp(cm_reference_version(), "crdt-merge==0.8.3") == 0, "ref %s", cm_reference_version());
}

static void test_roundtrip(void) {
  Buf b = read_golden("g_counter/single.crdt");
  CmObject *o = NULL;
  CmError e = {0};
  CHECK(cm_decode(b.data, b.len, &o, &e) == CM_STATUS_OK, "decode");
  CHECK(strcmp(cm_type_name(o), "g_counter") == 0, "type %s", cm_type_name(o));

  CmBytes out = {0};
  CHECK(cm_encode(o, false, &out, &e) == CM_STATUS_OK, "encode");
  CHECK(out.len == b.len && memcmp(out.ptr, b.data, b.len) == 0, "bytes differ");
  cm_bytes_free(&out);
  cm_bytes_free(&out); /* zeroed: harmless */
  CHECK(out.ptr == NULL && out.len == 0, "bytes zeroed");

  const char *name = NULL;
  CHECK(cm_peek_type(b.data, b.len, &name, &e) == CM_STATUS_OK && strcmp(name, "g_counter") == 0, "peek");
  CmWireSize ws;
  CHECK(cm_wire_size(b.data, b.len, &ws, &e) == CM_STATUS_OK, "wire_size");
  CHECK(ws.total_bytes == 64 && ws.header_bytes == 12 && ws.payload_bytes == 52 && !ws.compressed &&
            ws.protocol_version == 1 && strcmp(ws.type_name, "g_counter") == 0,
        "wire_size values %zu %zu", ws.total_bytes, ws.payload_bytes);

  CmString js = {0};
  CHECK(cm_to_json(o, &js, &e) == CM_STATUS_OK, "to_json");
  const char *want = "{\"type\": \"g_counter\", \"value\": {\"counts\": {\"a\": 5}, \"type\": \"g_counter\"}}";
  CHECK(strcmp(js.ptr, want) == 0 && js.len == strlen(want), "json %s", js.ptr);
  CmObject *back = NULL;
  CHECK(cm_from_json(js.ptr, js.len, &back, &e) == CM_STATUS_OK, "from_json");
  CHECK(cm_object_equal(o, back) == 1, "from_json(to_json(x)) == x");
  CHECK(cm_object_equal(o, NULL) == -1, "equal NULL");
  cm_string_free(&js);
  cm_object_free(back);

  /* compressed re-encode still decodes to the same state */
  CHECK(cm_encode(o, true, &out, &e) == CM_STATUS_OK, "encode compressed");
  CmObject *o2 = NULL;
  CHECK(cm_decode(out.ptr, out.len, &o2, &e) == CM_STATUS_OK, "decode compressed");
  CHECK(cm_object_equal(o, o2) == 1, "compressed roundtrip");
  cm_object_free(o2);
  cm_bytes_free(&out);

  cm_object_free(o);
  free(b.data);
}

static void test_merge(void) {
  CmObject *a = decode_golden("g_counter/merge/overlap.a.crdt");
  CmObject *b = decode_golden("g_counter/merge/overlap.b.crdt");
  CmObject *want = decode_golden("g_counter/merge/overlap.ab.crdt");
  CmObject *ab = NULL, *ba = NULL, *many = NULL;
  CmError e = {0};
  CHECK(cm_merge(a, b, &ab, &e) == CM_STATUS_OK, "merge");
  CHECK(cm_merge(b, a, &ba, &e) == CM_STATUS_OK, "merge ba");
  CHECK(cm_object_equal(ab, want) == 1, "merge == reference");
  CHECK(cm_object_equal(ab, ba) == 1, "commutative");
  const CmObject *list[3] = {a, b, a};
  CHECK(cm_merge_many(list, 3, &many, &e) == CM_STATUS_OK, "merge_many");
  CHECK(cm_object_equal(many, want) == 1, "merge_many == reference");

  /* error paths */
  CmObject *pn = decode_golden("pn_counter/basic.crdt");
  CmObject *bad = NULL;
  CHECK(cm_merge(a, pn, &bad, &e) == CM_STATUS_MERGE && bad == NULL, "type mismatch");
  CHECK(e.status == CM_STATUS_MERGE && strcmp(e.category.ptr, "type_mismatch") == 0, "category %s",
        e.category.ptr ? e.category.ptr : "(null)");
  CHECK(strstr(e.message.ptr, "g_counter") != NULL, "message %s", e.message.ptr);
  cm_error_free(&e);
  cm_error_free(&e);
  CHECK(cm_merge_many(list, 0, &bad, &e) == CM_STATUS_MERGE && strcmp(e.category.ptr, "empty") == 0, "empty");
  cm_error_free(&e);
  const CmObject *with_null[2] = {a, NULL};
  CHECK(cm_merge_many(with_null, 2, &bad, &e) == CM_STATUS_INVALID_ARGUMENT, "null item");
  cm_error_free(&e);
  CHECK(cm_merge(NULL, b, &bad, &e) == CM_STATUS_INVALID_ARGUMENT, "null a");
  cm_error_free(&e);
  CHECK(cm_merge(a, b, NULL, &e) == CM_STATUS_INVALID_ARGUMENT, "null out");
  cm_error_free(&e);
  CHECK(cm_merge(a, b, NULL, NULL) == CM_STATUS_INVALID_ARGUMENT, "null err is allowed");

  cm_object_free(a);
  cm_object_free(b);
  cm_object_free(want);
  cm_object_free(ab);
  cm_object_free(ba);
  cm_object_free(many);
  cm_object_free(pn);
}

static void test_bad_inputs(void) {
  static const struct {
    const char *file;
    const char *category;
  } cases[] = {
      {"bad/bad-magic.crdt", "bad_magic"},       {"bad/truncated-header.crdt", "truncated"},
      {"bad/unknown-type-tag-7f.crdt", "unknown_type_tag"}, {"bad/version-2.crdt", "unsupported_version"},
      {"bad/zlib-bomb.crdt", "limit_exceeded"},  {"bad/invalid-zlib.crdt", "decompress"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    Buf b = read_golden(cases[i].file);
    CmObject *o = NULL;
    CmError e = {0};
    CmStatus st = cm_decode(b.data, b.len, &o, &e);
    CHECK(st == CM_STATUS_DECODE && o == NULL, "%s: status %d", cases[i].file, (int)st);
    CHECK(e.category.ptr && strcmp(e.category.ptr, cases[i].category) == 0, "%s: category %s", cases[i].file,
          e.category.ptr ? e.category.ptr : "(null)");
    CHECK(e.message.len > 0 && strlen(e.message.ptr) == e.message.len, "%s: message", cases[i].file);
    cm_error_free(&e);
    CHECK(e.category.ptr == NULL && e.message.ptr == NULL, "error zeroed");
    free(b.data);
  }
  CmObject *o = NULL;
  CmError e = {0};
  CHECK(cm_decode(NULL, 10, &o, &e) == CM_STATUS_INVALID_ARGUMENT, "null data");
  CHECK(strcmp(e.category.ptr, "invalid_argument") == 0, "category");
  cm_error_free(&e);
  CHECK(cm_decode(NULL, 0, &o, &e) == CM_STATUS_DECODE, "empty input");
  cm_error_free(&e);
  CHECK(cm_decode((const uint8_t *)"x", 1, NULL, &e) == CM_STATUS_INVALID_ARGUMENT, "null out");
  cm_error_free(&e);
  const char *nope = "{\"type\": \"nope\", \"value\": 1}";
  CHECK(cm_from_json(nope, strlen(nope), &o, &e) == CM_STATUS_DECODE, "unknown type");
  CHECK(strcmp(e.category.ptr, "shape") == 0, "from_json category %s", e.category.ptr);
  cm_error_free(&e);
  CHECK(cm_from_json("{", 1, &o, &e) == CM_STATUS_DECODE && strcmp(e.category.ptr, "json") == 0, "bad json");
  cm_error_free(&e);
  CHECK(cm_from_json("\xff", 1, &o, &e) == CM_STATUS_INVALID_ARGUMENT, "bad utf-8");
  cm_error_free(&e);
  CmBytes out = {0};
  CHECK(cm_encode(NULL, false, &out, &e) == CM_STATUS_INVALID_ARGUMENT, "encode null");
  cm_error_free(&e);
  CHECK(cm_type_name(NULL) == NULL, "type_name null");
  const char *name = NULL;
  CHECK(cm_peek_type((const uint8_t *)"CRDT", 4, &name, &e) == CM_STATUS_DECODE && name == NULL, "peek short");
  cm_error_free(&e);
  /* free functions accept NULL */
  cm_object_free(NULL);
  cm_bytes_free(NULL);
  cm_string_free(NULL);
  cm_error_free(NULL);
  cm_bytes_list_free(NULL);
}

static void test_batch(void) {
  Buf b = read_golden("batch/mixed.crdtb");
  CmBytesList frames = {0};
  CmError e = {0};
  CHECK(cm_batch_split(b.data, b.len, &frames, &e) == CM_STATUS_OK, "split");
  CHECK(frames.len >= 2, "frames %zu", frames.len);
  size_t total = 0;
  for (size_t i = 0; i < frames.len; i++) total += frames.items[i].len;
  uint8_t *cat = malloc(total ? total : 1);
  size_t *lens = malloc(sizeof(size_t) * (frames.len ? frames.len : 1));
  size_t pos = 0;
  for (size_t i = 0; i < frames.len; i++) {
    memcpy(cat + pos, frames.items[i].ptr, frames.items[i].len);
    lens[i] = frames.items[i].len;
    pos += lens[i];
    CmObject *o = NULL;
    CHECK(cm_decode(frames.items[i].ptr, frames.items[i].len, &o, &e) == CM_STATUS_OK, "frame %zu", i);
    cm_object_free(o);
  }
  CmBytes joined = {0};
  CHECK(cm_batch_join(cat, total, lens, frames.len, &joined, &e) == CM_STATUS_OK, "join");
  CHECK(joined.len == b.len && memcmp(joined.ptr, b.data, b.len) == 0, "join == original");
  cm_bytes_free(&joined);
  CHECK(cm_batch_join(cat, total + 1, lens, frames.len, &joined, &e) == CM_STATUS_INVALID_ARGUMENT, "bad lens");
  cm_error_free(&e);
  CHECK(cm_batch_join(NULL, 0, NULL, 0, &joined, &e) == CM_STATUS_OK && joined.len == 4, "empty batch");
  cm_bytes_free(&joined);
  free(cat);
  free(lens);
  cm_bytes_list_free(&frames);
  cm_bytes_list_free(&frames);
  free(b.data);

  Buf bad = read_golden("bad/batch-trailing.crdtb");
  CHECK(cm_batch_split(bad.data, bad.len, &frames, &e) == CM_STATUS_DECODE, "bad batch");
  CHECK(strcmp(e.category.ptr, "batch") == 0, "batch category %s", e.category.ptr);
  cm_error_free(&e);
  free(bad.data);
}

static void test_memory(void) {
  const char *a = "{\"fact\": \"sky is blue\", \"confidence\": 0.9, \"source\": \"alice\", \"ts\": 10, \"tags\": [\"sci\"]}\n"
                  "{\"fact\": \"grass is green\", \"confidence\": 0.4, \"source\": \"alice\", \"ts\": 11}\n";
  const char *b = "{\"fact\": \"sky is blue\", \"confidence\": 0.7, \"source\": \"bob\", \"ts\": 12, \"tags\": [\"color\"]}\n"
                  "\n{\"fact\": \"fire is hot\", \"source\": \"bob\"}";
  const char *opts = "{\"strategy\": \"max_confidence\", \"now\": 100}";
  CmString jl = {0}, man = {0};
  CmError e = {0};
  CmStatus st = cm_memory_merge(a, strlen(a), b, strlen(b), opts, strlen(opts), &jl, &man, &e);
  CHECK(st == CM_STATUS_OK, "memory merge: %s", e.message.ptr ? e.message.ptr : "");
  if (st == CM_STATUS_OK) {
    int lines = 0;
    for (size_t i = 0; i < jl.len; i++) lines += jl.ptr[i] == '\n';
    CHECK(lines == 3, "lines %d: %s", lines, jl.ptr);
    CHECK(strncmp(jl.ptr, "{\"fact\": \"fire is hot\"", 22) == 0, "sorted: %s", jl.ptr);
    CHECK(strstr(jl.ptr, "\"tags\": [\"color\", \"sci\"]") != NULL, "tags joined: %s", jl.ptr);
    CHECK(strstr(man.ptr, "\"unique_memories\": 3") != NULL, "manifest: %s", man.ptr);
    CHECK(strstr(man.ptr, "\"strategy\": \"max_confidence\"") != NULL, "manifest strategy: %s", man.ptr);
  }
  cm_string_free(&jl);
  cm_string_free(&man);
  /* defaults with NULL options */
  CHECK(cm_memory_merge(a, strlen(a), NULL, 0, NULL, 0, &jl, &man, &e) == CM_STATUS_OK, "defaults");
  cm_string_free(&jl);
  cm_string_free(&man);
  /* errors */
  const char *bad = "{\"fact\": \"x\"}\n{\"confidence\": 1}\n";
  CHECK(cm_memory_merge(a, strlen(a), bad, strlen(bad), NULL, 0, &jl, &man, &e) == CM_STATUS_MEMORY, "bad line");
  CHECK(strcmp(e.category.ptr, "memory") == 0 && strstr(e.message.ptr, "jsonl_b line 2") != NULL, "msg %s",
        e.message.ptr);
  cm_error_free(&e);
  const char *bad_opts = "{\"strategy\": \"nope\"}";
  CHECK(cm_memory_merge(a, strlen(a), b, strlen(b), bad_opts, strlen(bad_opts), &jl, &man, &e) ==
            CM_STATUS_INVALID_ARGUMENT,
        "bad strategy");
  CHECK(strstr(e.message.ptr, "unknown strategy") != NULL, "msg %s", e.message.ptr);
  cm_error_free(&e);
  CHECK(cm_memory_merge(a, strlen(a), b, strlen(b), NULL, 0, NULL, &man, &e) == CM_STATUS_INVALID_ARGUMENT,
        "null out");
  cm_error_free(&e);
}

static void test_panic(void) {
  CmError e = {0};
  CHECK(cm_debug_panic(&e) == CM_STATUS_PANIC, "panic status");
  CHECK(e.status == CM_STATUS_PANIC && strcmp(e.category.ptr, "panic") == 0, "panic category");
  CHECK(strstr(e.message.ptr, "cm_debug_panic") != NULL, "panic message %s", e.message.ptr);
  cm_error_free(&e);
  CHECK(cm_debug_panic(NULL) == CM_STATUS_PANIC, "panic without err");
}

/* Every golden frame: decode, encode (both ways), JSON view and back,
 * self-merge; every bad file must fail cleanly. Under valgrind this checks
 * memory hygiene across all wire types. */
static int sweep_frames, sweep_bad;
static int sweep_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb;
  (void)ftw;
  if (flag != FTW_F) return 0;
  size_t n = strlen(path);
  int is_frame = n > 5 && strcmp(path + n - 5, ".crdt") == 0;
  int is_bad = strstr(path, "/bad/") != NULL;
  if (!is_frame || strstr(path, "/batch/")) return 0;
  const char *rel = path + strlen(golden_dir) + 1;
  Buf b = read_golden(rel);
  CmObject *o = NULL;
  CmError e = {0};
  CmStatus st = cm_decode(b.data, b.len, &o, &e);
  if (is_bad) {
    sweep_bad++;
    CHECK(st == CM_STATUS_DECODE && o == NULL && e.category.ptr != NULL, "%s accepted", rel);
    cm_error_free(&e);
    free(b.data);
    return 0;
  }
  sweep_frames++;
  CHECK(st == CM_STATUS_OK, "%s: %s", rel, e.message.ptr ? e.message.ptr : "");
  if (st != CM_STATUS_OK) {
    cm_error_free(&e);
    free(b.data);
    return 0;
  }
  CmBytes plain = {0}, z = {0};
  CHECK(cm_encode(o, false, &plain, &e) == CM_STATUS_OK, "%s encode", rel);
  CHECK(cm_encode(o, true, &z, &e) == CM_STATUS_OK, "%s encode z", rel);
  CmObject *back = NULL;
  CHECK(cm_decode(z.ptr, z.len, &back, &e) == CM_STATUS_OK && cm_object_equal(o, back) == 1, "%s z roundtrip", rel);
  cm_object_free(back);
  back = NULL;
  CmString js = {0};
  CHECK(cm_to_json(o, &js, &e) == CM_STATUS_OK, "%s to_json", rel);
  CHECK(cm_from_json(js.ptr, js.len, &back, &e) == CM_STATUS_OK && cm_object_equal(o, back) == 1, "%s from_json", rel);
  cm_object_free(back);
  CmObject *self = NULL;
  st = cm_merge(o, o, &self, &e);
  if (st == CM_STATUS_OK) {
    CHECK(cm_object_equal(o, self) == 1, "%s self-merge", rel);
  } else {
    /* record types without a merge say so with a category */
    CHECK(st == CM_STATUS_MERGE && e.category.ptr != NULL, "%s merge status %d", rel, (int)st);
    cm_error_free(&e);
  }
  cm_object_free(self);
  cm_string_free(&js);
  cm_bytes_free(&plain);
  cm_bytes_free(&z);
  cm_object_free(o);
  free(b.data);
  return 0;
}

static void test_sweep(void) {
  CHECK(nftw(golden_dir, sweep_one, 16, FTW_PHYS) == 0, "walk %s", golden_dir);
  CHECK(sweep_frames > 100 && sweep_bad > 20, "swept %d frames, %d bad", sweep_frames, sweep_bad);
  printf("swept %d golden frames and %d bad inputs\n", sweep_frames, sweep_bad);
}

#define THREADS 4
static void *worker(void *arg) {
  const CmObject *shared = arg;
  long ok = 1;
  for (int i = 0; i < 50; i++) {
    CmObject *m = NULL;
    CmString js = {0};
    CmBytes bytes = {0};
    CmError e = {0};
    ok &= cm_merge(shared, shared, &m, &e) == CM_STATUS_OK;
    ok &= cm_object_equal(m, shared) == 1;
    ok &= cm_to_json(shared, &js, &e) == CM_STATUS_OK;
    ok &= cm_encode(shared, false, &bytes, &e) == CM_STATUS_OK;
    ok &= strcmp(cm_type_name(shared), "or_set") == 0;
    cm_string_free(&js);
    cm_bytes_free(&bytes);
    cm_object_free(m);
  }
  return (void *)ok;
}

static void test_threads(void) {
  CmObject *o = decode_golden("or_set/basic.crdt");
  pthread_t t[THREADS];
  for (int i = 0; i < THREADS; i++) pthread_create(&t[i], NULL, worker, o);
  for (int i = 0; i < THREADS; i++) {
    void *r;
    pthread_join(t[i], &r);
    CHECK((long)r == 1, "thread %d", i);
  }
  cm_object_free(o);
}

int main(int argc, char **argv) {
  golden_dir = argc > 1 ? argv[1] : "conformance/golden";
  test_version();
  test_roundtrip();
  test_merge();
  test_bad_inputs();
  test_batch();
  test_memory();
  test_panic();
  test_threads();
  test_sweep();
  printf("C API: %d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
