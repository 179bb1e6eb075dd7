/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The gcertctl program as an administrator runs it, against a real Pebble. */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "gcert-test-pebble.h"
#include "gcert-test-util.h"

/* one Pebble for the whole binary: each test has its own state directory,
 * hence its own account, so nothing is shared between tests */
static GCertTestPebble *pebble;
static char *pebble_root;

/* --- running gcertctl ----------------------------------------------------- */

typedef GCertTestRun Run;

#define run_ctlv gcert_test_run_gcertctl
#define run_ctl gcert_test_run_ctl
#define assert_status gcert_test_assert_exit

/* a run that failed, but not for a usage or configuration error */
static void
assert_failed (const Run *run)
{
  if (run->status == 0 || run->status == 2)
    g_test_message ("exit status %d\nstdout:\n%s\nstderr:\n%s",
                    run->status, run->out, run->err);
  g_assert_cmpint (run->status, !=, 0);
  g_assert_cmpint (run->status, !=, 2);
}

static void
assert_contains (const char *haystack,
                 const char *needle)
{
  if (haystack == NULL || strstr (haystack, needle) == NULL)
    g_test_message ("“%s” not found in:\n%s", needle, haystack);
  g_assert_nonnull (haystack);
  g_assert_nonnull (strstr (haystack, needle));
}

/* the message says that the TXT record at @fqdn never showed up */
static void
assert_record_not_seen (const char *message,
                        const char *fqdn)
{
  static const char * const phrases[] = { "missing", "not visible", "not seen", NULL };
  gboolean found = FALSE;

  assert_contains (message, fqdn);
  assert_contains (message, "TXT");
  for (guint i = 0; phrases[i] != NULL; i++)
    found = found || strstr (message, phrases[i]) != NULL;
  if (!found)
    g_test_message ("no “record not seen” phrase in:\n%s", message);
  g_assert_true (found);
}

/* --- fixture -------------------------------------------------------------- */

typedef struct {
  char *dir;
  char *state;
  char *config;     /* DIR/gcert.conf */
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->dir = gcert_test_mkdtemp ("gcertctl");
  f->state = g_build_filename (f->dir, "state", NULL);
  f->config = g_build_filename (f->dir, "gcert.conf", NULL);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  /* a failing test must not leave Pebble dead for the next ones unnoticed */
  gcert_test_pebble_check_alive (pebble, &error);
  g_assert_no_error (error);
  gcert_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->state);
  g_free (f->config);
}

static void
write_file (const char *path,
            const char *text,
            int         mode)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, mode, &error);
  g_assert_no_error (error);
}

/* writes Pebble's config for @f's state directory plus @extra to @path
 * (@f->config when NULL) and returns the whole text */
static char *
write_config (Fixture         *f,
              GCertTestPebble *server,
              const char      *path,
              const char      *extra)
{
  g_autofree char *text = gcert_test_pebble_config (server, f->state, extra);

  write_file (path != NULL ? path : f->config, text, 0600);
  return g_steal_pointer (&text);
}

static char *
read_file (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *text = NULL;

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  return text;
}

static char *
live_file (Fixture    *f,
           const char *name,
           const char *file)
{
  return g_build_filename (f->state, "live", name, file, NULL);
}

static char *
live_target (Fixture    *f,
             const char *name)
{
  g_autofree char *link = g_build_filename (f->state, "live", name, NULL);
  g_autoptr(GError) error = NULL;
  char *target = g_file_read_link (link, &error);

  g_assert_no_error (error);
  return target;
}

static gboolean
live_exists (Fixture    *f,
             const char *name)
{
  g_autofree char *link = g_build_filename (f->state, "live", name, NULL);

  return g_file_test (link, G_FILE_TEST_EXISTS | G_FILE_TEST_IS_SYMLINK);
}

/* the 1-based number of the first line of @text that starts with @prefix */
static guint
line_of (const char *text,
         const char *prefix)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (g_str_has_prefix (lines[i], prefix))
        return i + 1;
    }
  g_error ("no line starts with “%s”", prefix);
  return 0;
}

static JsonNode *
parse_json (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonNode *root;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  root = json_parser_get_root (parser);
  g_assert_nonnull (root);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  return json_node_copy (root);
}

/* `show NAME --json` */
static JsonNode *
show_json (Fixture    *f,
           const char *config,
           const char *name)
{
  g_autoptr(GCertTestRun) run = run_ctl (config != NULL ? config : f->config, "show", "--json", name);

  assert_status (run, 0);
  return parse_json (run->out);
}

static gint64
live_version (Fixture    *f,
              const char *name)
{
  g_autoptr(JsonNode) root = show_json (f, NULL, name);

  return json_object_get_int_member (json_node_get_object (root), "version");
}

static GCertCertificate *
check_live (Fixture            *f,
            const char         *name,
            const char * const *names,
            const char         *root_pem)
{
  return gcert_test_check_live (f->state, name, names, root_pem);
}

/* every live file's bytes and the symlink's target */
static GHashTable *
snapshot_live (Fixture    *f,
               const char *name)
{
  static const char * const files[] = { "privkey.pem", "cert.pem", "chain.pem", "fullchain.pem" };
  GHashTable *snapshot = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *path = live_file (f, name, files[i]);

      g_hash_table_insert (snapshot, (char *) files[i], read_file (path));
    }
  g_hash_table_insert (snapshot, (char *) "->", live_target (f, name));
  return snapshot;
}

static void
assert_snapshot_equal (GHashTable *a,
                       GHashTable *b)
{
  GHashTableIter iter;
  gpointer key, value;

  g_assert_cmpuint (g_hash_table_size (a), ==, g_hash_table_size (b));
  g_hash_table_iter_init (&iter, a);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      g_test_message ("comparing %s", (const char *) key);
      g_assert_cmpstr (value, ==, g_hash_table_lookup (b, key));
    }
}

/* An exec-plugin program that publishes through challtestsrv with curl and
 * logs each call to DIR/NAME.log. */
static char *
write_exec_provider (Fixture    *f,
                     const char *name)
{
  g_autofree char *path = g_strdup_printf ("%s/%s.sh", f->dir, name);
  g_autofree char *script = NULL;

  script = g_strdup_printf (
    "#!/bin/sh\n"
    "# %s present|cleanup FQDN VALUE\n"
    "echo \"$1 $2\" >> '%s/%s.log'\n"
    "case \"$2\" in\n"
    "  *.) host=\"$2\" ;;\n"
    "  *) host=\"$2.\" ;;\n"
    "esac\n"
    "case \"$1\" in\n"
    "  present) body=\"{\\\"host\\\":\\\"$host\\\",\\\"value\\\":\\\"$3\\\"}\"; path=set-txt ;;\n"
    "  cleanup) body=\"{\\\"host\\\":\\\"$host\\\"}\"; path=clear-txt ;;\n"
    "  *) echo \"unknown action $1\" >&2; exit 2 ;;\n"
    "esac\n"
    "exec curl --silent --show-error --fail --noproxy '*' --max-time 10 \\\n"
    "  -X POST -H 'Content-Type: application/json' --data \"$body\" '%s/'\"$path\"\n",
    name, f->dir, name, pebble->challtestsrv_url);
  write_file (path, script, 0700);
  return g_steal_pointer (&path);
}

/* A program that reports success and publishes nothing. */
static char *
write_broken_provider (Fixture    *f,
                       const char *name)
{
  g_autofree char *path = g_strdup_printf ("%s/%s.sh", f->dir, name);
  g_autofree char *script = NULL;

  script = g_strdup_printf ("#!/bin/sh\n"
                            "echo \"$1 $2\" >> '%s/%s.log'\n"
                            "exit 0\n",
                            f->dir, name);
  write_file (path, script, 0700);
  return g_steal_pointer (&path);
}

static char *
provider_log (Fixture    *f,
              const char *name)
{
  g_autofree char *path = g_strdup_printf ("%s/%s.log", f->dir, name);

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return g_strdup ("");
  return read_file (path);
}

/* [dns broken] through the exec plugin, and a short propagation timeout */
static char *
broken_extra (Fixture    *f,
              const char *more)
{
  g_autofree char *program = write_broken_provider (f, "broken");

  return g_strdup_printf ("[gcert]\n"
                          "propagation-timeout = 2s\n"
                          "\n"
                          "[dns broken]\n"
                          "plugin = exec\n"
                          "program = %s\n"
                          "\n"
                          "%s",
                          program, more != NULL ? more : "");
}

/* --- issue ---------------------------------------------------------------- */

static void
test_issue_wildcard (Fixture       *f,
                     gconstpointer  data)
{
  static const char * const names[] = { "example.test", "*.example.test", NULL };
  g_autoptr(GCertTestRun) run = NULL;
  g_autoptr(GCertCertificate) cert = NULL;
  g_autoptr(JsonNode) show = NULL;
  g_autoptr(JsonNode) list = NULL;
  g_autofree char *serial = NULL;
  JsonObject *object;
  JsonArray *array;
  gboolean listed = FALSE;

  g_free (write_config (f, pebble, NULL, NULL));
  run = run_ctl (f->config, "issue", "-d", "example.test", "-d", "*.example.test",
                 "--dns", "test", "--name", "web");
  assert_status (run, 0);
  assert_contains (run->out, "web: renewed, version 1");

  cert = check_live (f, "web", names, pebble_root);
  serial = gcert_certificate_get_serial (cert);

  show = show_json (f, NULL, "web");
  object = json_node_get_object (show);
  g_assert_cmpstr (json_object_get_string_member (object, "name"), ==, "web");
  g_assert_cmpstr (json_object_get_string_member (object, "status"), ==, "valid");
  g_assert_cmpstr (json_object_get_string_member (object, "serial"), ==, serial);
  g_assert_cmpstr (json_object_get_string_member (object, "live-key-type"), ==, "ec-256");
  g_assert_cmpint (json_object_get_int_member (object, "version"), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (object, "last-result"), ==, "success");
  array = json_object_get_array_member (object, "names");
  g_assert_cmpuint (json_array_get_length (array), ==, 2);
  g_assert_cmpstr (json_array_get_string_element (array, 0), ==, "*.example.test");
  g_assert_cmpstr (json_array_get_string_element (array, 1), ==, "example.test");

  g_clear_pointer (&run, gcert_test_run_free);
  run = run_ctl (f->config, "list", "--json");
  assert_status (run, 0);
  list = parse_json (run->out);
  array = json_object_get_array_member (json_node_get_object (list), "certificates");
  g_assert_cmpuint (json_array_get_length (array), ==, 1);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *row = json_array_get_object_element (array, i);

      if (g_strcmp0 (json_object_get_string_member (row, "name"), "web") != 0)
        continue;
      listed = TRUE;
      g_assert_cmpstr (json_object_get_string_member (row, "status"), ==, "valid");
      g_assert_cmpstr (json_object_get_string_member (row, "serial"), ==, serial);
    }
  g_assert_true (listed);

  /* the plain table names it too */
  g_clear_pointer (&run, gcert_test_run_free);
  run = run_ctl (f->config, "list");
  assert_status (run, 0);
  assert_contains (run->out, "web");
  assert_contains (run->out, "*.example.test");
}

static void
test_issue_rsa (Fixture       *f,
                gconstpointer  data)
{
  static const char * const names[] = { "rsa.test", NULL };
  g_autoptr(GCertTestRun) run = NULL;
  g_autoptr(GCertCertificate) cert = NULL;
  g_autoptr(GCertKey) key = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) show = NULL;
  g_autofree char *privkey_path = NULL;
  g_autofree char *privkey_pem = NULL;
  GCertKeyType type;

  g_free (write_config (f, pebble, NULL, NULL));
  run = run_ctl (f->config, "issue", "-d", "rsa.test", "--dns", "test", "-k", "rsa-2048");
  assert_status (run, 0);

  /* the name defaults to the first domain */
  cert = check_live (f, "rsa.test", names, pebble_root);
  g_assert_true (gcert_certificate_get_key_type (cert, &type));
  g_assert_cmpint (type, ==, GCERT_KEY_TYPE_RSA_2048);
  privkey_path = live_file (f, "rsa.test", "privkey.pem");
  privkey_pem = read_file (privkey_path);
  key = gcert_key_new_from_pem (privkey_pem, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gcert_key_get_key_type (key), ==, GCERT_KEY_TYPE_RSA_2048);

  show = show_json (f, NULL, "rsa.test");
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (show), "live-key-type"),
                   ==, "rsa-2048");
}

static void
test_issue_exec_plugin (Fixture       *f,
                        gconstpointer  data)
{
  static const char * const names[] = { "exec.test", NULL };
  g_autofree char *program = write_exec_provider (f, "ex");
  g_autofree char *extra = g_strdup_printf ("[dns ex]\nplugin = exec\nprogram = %s\n", program);
  g_autoptr(GCertTestRun) run = NULL;
  g_autoptr(GCertCertificate) cert = NULL;
  g_autofree char *log = NULL;
  char *present, *cleanup;

  g_free (write_config (f, pebble, NULL, extra));
  run = run_ctl (f->config, "issue", "-d", "exec.test", "--dns", "ex");
  assert_status (run, 0);
  cert = check_live (f, "exec.test", names, pebble_root);

  /* the program published the value and took it away afterwards; Pebble
   * may reuse an authorization, but a new account has none to reuse */
  log = provider_log (f, "ex");
  g_test_message ("provider log:\n%s", log);
  present = strstr (log, "present _acme-challenge.exec.test");
  cleanup = strstr (log, "cleanup _acme-challenge.exec.test");
  g_assert_nonnull (present);
  g_assert_nonnull (cleanup);
  g_assert_true (present < cleanup);
}

/* --- renew ---------------------------------------------------------------- */

static void
test_renew_config (Fixture       *f,
                   gconstpointer  data)
{
  static const char * const names[] = { "site.test", "*.site.test", NULL };
  g_autoptr(GCertTestRun) run = NULL;
  g_autoptr(GCertCertificate) first = NULL;
  g_autoptr(GCertCertificate) second = NULL;
  g_autoptr(JsonNode) results = NULL;
  g_autoptr(GHashTable) before = NULL;
  g_autoptr(GHashTable) after = NULL;
  g_autofree char *target = NULL;
  g_autofree char *target_forced = NULL;
  g_autofree char *serial_first = NULL;
  g_autofree char *serial_second = NULL;
  JsonArray *array;
  JsonObject *result;

  g_free (write_config (f, pebble, NULL,
                        "[certificate site]\n"
                        "domains = site.test;*.site.test\n"
                        "dns = test\n"));

  run = run_ctl (f->config, "renew");
  assert_status (run, 0);
  assert_contains (run->out, "site: renewed, version 1");
  first = check_live (f, "site", names, pebble_root);
  g_assert_cmpint (live_version (f, "site"), ==, 1);
  before = snapshot_live (f, "site");
  target = live_target (f, "site");

  /* nothing is due: nothing happens */
  g_clear_pointer (&run, gcert_test_run_free);
  run = run_ctl (f->config, "renew");
  assert_status (run, 0);
  assert_contains (run->out, "site: not due");
  g_assert_null (strstr (run->out, "renewed"));
  after = snapshot_live (f, "site");
  assert_snapshot_equal (before, after);
  g_assert_cmpint (live_version (f, "site"), ==, 1);

  /* the same as JSON */
  g_clear_pointer (&run, gcert_test_run_free);
  run = run_ctl (f->config, "renew", "--json");
  assert_status (run, 0);
  results = parse_json (run->out);
  array = json_object_get_array_member (json_node_get_object (results), "results");
  g_assert_cmpuint (json_array_get_length (array), ==, 1);
  result = json_array_get_object_element (array, 0);
  g_assert_cmpstr (json_object_get_string_member (result, "name"), ==, "site");
  g_assert_false (json_object_get_boolean_member (result, "renewed"));
  g_assert_true (json_object_get_boolean_member (result, "success"));
  g_assert_cmpint (json_object_get_int_member (result, "version"), ==, 1);

  /* forced: a new version with a new certificate */
  g_clear_pointer (&run, gcert_test_run_free);
  run = run_ctl (f->config, "renew", "--force");
  assert_status (run, 0);
  assert_contains (run->out, "site: renewed, version 2");
  second = check_live (f, "site", names, pebble_root);
  g_assert_cmpint (live_version (f, "site"), ==, 2);
  target_forced = live_target (f, "site");
  g_assert_cmpstr (target, !=, target_forced);
  g_assert_true (g_str_has_suffix (target_forced, "/2"));
  serial_first = gcert_certificate_get_serial (first);
  serial_second = gcert_certificate_get_serial (second);
  g_assert_cmpstr (serial_first, !=, serial_second);
}

/* --- failures ------------------------------------------------------------- */

static void
test_dns_not_seen (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *extra = broken_extra (f, NULL);
  g_autoptr(GCertTestRun) run = NULL;
  g_autoptr(JsonNode) show = NULL;
  g_autofree char *log = NULL;
  JsonObject *object;

  g_free (write_config (f, pebble, NULL, extra));
  run = run_ctl (f->config, "issue", "-d", "broken.test", "--dns", "broken");
  assert_failed (run);
  assert_record_not_seen (run->err, "_acme-challenge.broken.test");
  g_assert_false (live_exists (f, "broken.test"));

  /* the program was asked to clean up after the failure too */
  log = provider_log (f, "broken");
  assert_contains (log, "present _acme-challenge.broken.test");
  assert_contains (log, "cleanup _acme-challenge.broken.test");

  /* the failure is recorded */
  show = show_json (f, NULL, "broken.test");
  object = json_node_get_object (show);
  g_assert_cmpstr (json_object_get_string_member (object, "status"), ==, "failed");
  g_assert_cmpstr (json_object_get_string_member (object, "last-result"), ==, "failure");
  assert_record_not_seen (json_object_get_string_member (object, "last-error"),
                          "_acme-challenge.broken.test");
}

static void
test_failure_keeps_live (Fixture       *f,
                         gconstpointer  data)
{
  static const char * const names[] = { "keep.test", NULL };
  g_autofree char *good_extra = broken_extra (f, "[certificate keep]\n"
                                                 "domains = keep.test\n"
                                                 "dns = test\n");
  g_autofree char *bad_extra = broken_extra (f, "[certificate keep]\n"
                                                "domains = keep.test\n"
                                                "dns = broken\n");
  g_autofree char *bad_config = g_build_filename (f->dir, "broken.conf", NULL);
  g_autofree char *accounts = NULL;
  g_autoptr(GCertTestRun) run = NULL;
  g_autoptr(GCertCertificate) cert = NULL;
  g_autoptr(GHashTable) before = NULL;
  g_autoptr(GHashTable) after = NULL;
  g_autoptr(JsonNode) show = NULL;
  JsonObject *object;

  g_free (write_config (f, pebble, NULL, good_extra));
  g_free (write_config (f, pebble, bad_config, bad_extra));

  run = run_ctl (f->config, "renew");
  assert_status (run, 0);
  cert = check_live (f, "keep", names, pebble_root);
  before = snapshot_live (f, "keep");

  /* Pebble may hand the account its valid authorization again, skipping
   * DNS: a new account has none to reuse */
  accounts = g_build_filename (f->state, "accounts", NULL);
  g_assert_true (g_file_test (accounts, G_FILE_TEST_IS_DIR));
  gcert_test_rm_rf (accounts);

  /* the same certificate, now answered by a provider that publishes nothing */
  g_clear_pointer (&run, gcert_test_run_free);
  run = run_ctl (bad_config, "renew", "--force");
  assert_failed (run);
  assert_record_not_seen (run->err, "_acme-challenge.keep.test");

  after = snapshot_live (f, "keep");
  assert_snapshot_equal (before, after);
  g_clear_object (&cert);
  cert = check_live (f, "keep", names, pebble_root);

  show = show_json (f, bad_config, "keep");
  object = json_node_get_object (show);
  g_assert_cmpint (json_object_get_int_member (object, "version"), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (object, "last-result"), ==, "failure");
}

static void
test_partial (Fixture       *f,
              gconstpointer  data)
{
  static const char * const names[] = { "good.test", NULL };
  g_autofree char *extra = broken_extra (f, "[certificate good]\n"
                                            "domains = good.test\n"
                                            "dns = test\n"
                                            "\n"
                                            "[certificate bad]\n"
                                            "domains = bad.test\n"
                                            "dns = broken\n");
  g_autoptr(GCertTestRun) run = NULL;
  g_autoptr(GCertCertificate) cert = NULL;

  g_free (write_config (f, pebble, NULL, extra));
  run = run_ctl (f->config, "renew");
  assert_status (run, 3);
  assert_contains (run->out, "good: renewed, version 1");
  assert_contains (run->err, "bad: ");
  assert_contains (run->err, "bad.test");
  cert = check_live (f, "good", names, pebble_root);
  g_assert_false (live_exists (f, "bad"));
}

static void
test_locked (Fixture       *f,
             gconstpointer  data)
{
  static const char * const names[] = { "locked.test", NULL };
  g_autofree char *lock_path = NULL;
  g_autofree char *target = NULL;
  g_autofree char *target_after = NULL;
  g_autoptr(GCertTestRun) run = NULL;
  g_autoptr(GCertCertificate) cert = NULL;
  int fd;

  g_free (write_config (f, pebble, NULL,
                        "[certificate locked]\n"
                        "domains = locked.test\n"
                        "dns = test\n"));
  run = run_ctl (f->config, "renew");
  assert_status (run, 0);
  target = live_target (f, "locked");

  /* another run holds the certificate's lock */
  lock_path = g_build_filename (f->state, "certificates", "locked", "lock", NULL);
  fd = open (lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (flock (fd, LOCK_EX | LOCK_NB), ==, 0);

  g_clear_pointer (&run, gcert_test_run_free);
  run = run_ctl (f->config, "renew", "locked", "--force");
  assert_status (run, 4);
  assert_contains (run->err, "locked");
  target_after = live_target (f, "locked");
  g_assert_cmpstr (target, ==, target_after);

  /* once it is released the renewal goes through */
  g_assert_cmpint (close (fd), ==, 0);
  g_clear_pointer (&run, gcert_test_run_free);
  run = run_ctl (f->config, "renew", "locked", "--force");
  assert_status (run, 0);
  assert_contains (run->out, "locked: renewed, version 2");
  cert = check_live (f, "locked", names, pebble_root);
}

/* --- usage and configuration errors --------------------------------------- */

static void
assert_config_error (Fixture    *f,
                     const char *extra,
                     const char *command,
                     const char *line_prefix,
                     const char *where,
                     const char *detail)
{
  g_autofree char *text = write_config (f, pebble, NULL, extra);
  g_autofree char *expected = g_strdup_printf ("%s:%u: %s", f->config,
                                               line_of (text, line_prefix), where);
  g_autoptr(GCertTestRun) run = run_ctl (f->config, command);

  assert_status (run, 2);
  g_test_message ("stderr: %s", run->err);
  assert_contains (run->err, expected);
  assert_contains (run->err, detail);
  g_assert_cmpstr (run->out, ==, "");
  /* nothing was done */
  g_assert_false (g_file_test (f->state, G_FILE_TEST_EXISTS));
}

static void
test_config_unknown_key (Fixture       *f,
                         gconstpointer  data)
{
  assert_config_error (f,
                       "[certificate x]\n"
                       "domains = x.test\n"
                       "dns = test\n"
                       "colour = blue\n",
                       "renew", "colour =", "[certificate x] colour", "unknown key");
}

static void
test_config_unknown_group (Fixture       *f,
                           gconstpointer  data)
{
  assert_config_error (f,
                       "[frobnicate]\n"
                       "key = value\n",
                       "list", "[frobnicate]", "[frobnicate]", "unknown group");
}

static void
test_config_no_dns (Fixture       *f,
                    gconstpointer  data)
{
  assert_config_error (f,
                       "[certificate x]\n"
                       "domains = x.test\n",
                       "renew", "[certificate x]", "[certificate x] dns", "missing");
}

static void
test_config_unknown_dns (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GCertTestRun) run = NULL;

  /* the [dns …] group named does not exist */
  g_free (write_config (f, pebble, NULL, NULL));
  run = run_ctl (f->config, "issue", "-d", "x.test", "--dns", "nosuch");
  assert_status (run, 2);
  assert_contains (run->err, "[dns nosuch]");
  assert_contains (run->err, f->config);
  g_assert_false (live_exists (f, "x.test"));
}

static void
test_config_missing_file (Fixture       *f,
                          gconstpointer  data)
{
  g_autofree char *missing = g_build_filename (f->dir, "nosuch.conf", NULL);
  g_autoptr(GCertTestRun) run = run_ctl (missing, "renew");

  assert_status (run, 2);
  assert_contains (run->err, missing);
  g_assert_false (g_file_test (missing, G_FILE_TEST_EXISTS));
}

static void
test_usage_errors (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GCertTestRun) run = NULL;

  g_free (write_config (f, pebble, NULL, NULL));

  run = run_ctl (f->config, "frobnicate");
  assert_status (run, 2);
  assert_contains (run->err, "unknown command");
  assert_contains (run->err, "frobnicate");

  g_clear_pointer (&run, gcert_test_run_free);
  run = run_ctl (f->config, "issue", "-d", "x.test");
  assert_status (run, 2);
  assert_contains (run->err, "--dns");

  g_clear_pointer (&run, gcert_test_run_free);
  run = run_ctl (f->config, "issue", "-d", "x.test", "--dns", "test", "-k", "dsa-1024");
  assert_status (run, 2);
  assert_contains (run->err, "dsa-1024");

  g_clear_pointer (&run, gcert_test_run_free);
  run = run_ctl (f->config, "issue", "-d", "not a name", "--dns", "test");
  assert_status (run, 2);
  assert_contains (run->err, "not a name");

  g_clear_pointer (&run, gcert_test_run_free);
  run = run_ctl (f->config, "show");
  assert_status (run, 2);

  g_clear_pointer (&run, gcert_test_run_free);
  run = run_ctl (f->config, "renew", "--no-such-option");
  assert_status (run, 2);

  g_clear_pointer (&run, gcert_test_run_free);
  run = run_ctl (NULL, "--version");
  assert_status (run, 0);
  g_assert_true (g_str_has_prefix (run->out, "gcertctl "));

  g_assert_false (g_file_test (f->state, G_FILE_TEST_EXISTS));
}

static void
test_show_missing_json (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GCertTestRun) run = NULL;
  g_autoptr(JsonNode) root = NULL;
  JsonObject *error;

  g_free (write_config (f, pebble, NULL, NULL));
  run = run_ctl (f->config, "show", "--json", "nosuch");
  assert_status (run, 1);
  root = parse_json (run->out);
  g_assert_true (json_object_has_member (json_node_get_object (root), "error"));
  error = json_object_get_object_member (json_node_get_object (root), "error");
  assert_contains (json_object_get_string_member (error, "message"), "nosuch");
  g_assert_cmpint (json_object_get_int_member (error, "exit-status"), ==, 1);
  assert_contains (run->err, "nosuch");

  /* without --json: the message on stderr alone */
  g_clear_pointer (&run, gcert_test_run_free);
  run = run_ctl (f->config, "show", "nosuch");
  assert_status (run, 1);
  g_assert_cmpstr (run->out, ==, "");
  assert_contains (run->err, "nosuch");
}

/* --- many runs ------------------------------------------------------------ */

static void
test_many_issuances (Fixture       *f,
                     gconstpointer  data)
{
  const guint count = 20;
  g_autoptr(GCertTestRun) list = NULL;
  g_autoptr(JsonNode) root = NULL;
  JsonArray *array;

  g_free (write_config (f, pebble, NULL, NULL));
  for (guint i = 1; i <= count; i++)
    {
      g_autofree char *domain = g_strdup_printf ("n%u.test", i);
      g_autofree char *name = g_strdup_printf ("n%u", i);
      const char * const names[] = { domain, NULL };
      g_autoptr(GCertTestRun) run = run_ctl (f->config, "issue", "-d", domain, "--dns", "test",
                                    "--name", name, "--force");
      g_autoptr(GCertCertificate) cert = NULL;

      assert_status (run, 0);
      cert = check_live (f, name, names, pebble_root);
    }

  list = run_ctl (f->config, "list", "--json");
  assert_status (list, 0);
  root = parse_json (list->out);
  array = json_object_get_array_member (json_node_get_object (root), "certificates");
  g_assert_cmpuint (json_array_get_length (array), ==, count);
  for (guint i = 0; i < count; i++)
    {
      JsonObject *row = json_array_get_object_element (array, i);

      g_assert_cmpstr (json_object_get_string_member (row, "status"), ==, "valid");
    }
}

static void
test_nonce_reject_90 (Fixture       *f,
                      gconstpointer  data)
{
  static const char * const names[] = { "nonce.test", NULL };
  GCertTestPebbleOptions options = GCERT_TEST_PEBBLE_OPTIONS_INIT;
  g_autoptr(GCertTestPebble) hostile = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GCertTestRun) run = NULL;
  g_autoptr(GCertCertificate) cert = NULL;
  g_autofree char *root = NULL;

  options.nonce_reject = 90;
  hostile = gcert_test_pebble_start (&options, &error);
  g_assert_no_error (error);
  root = gcert_test_pebble_get_root (hostile, &error);
  g_assert_no_error (error);

  g_free (write_config (f, hostile, NULL, NULL));
  run = run_ctl (f->config, "issue", "-d", "nonce.test", "--dns", "test");
  assert_status (run, 0);
  cert = check_live (f, "nonce.test", names, root);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  if (g_getenv ("GCERTCTL") == NULL)
    g_error ("GCERTCTL is not set; run this test with “meson test”");

  pebble = gcert_test_pebble_start (NULL, &error);
  g_assert_no_error (error);
  pebble_root = gcert_test_pebble_get_root (pebble, &error);
  g_assert_no_error (error);

#define ADD(path, func) \
  g_test_add ("/gcert/gcertctl/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("issue/wildcard", test_issue_wildcard);
  ADD ("issue/rsa", test_issue_rsa);
  ADD ("issue/exec-plugin", test_issue_exec_plugin);
  ADD ("renew/config", test_renew_config);
  ADD ("failure/dns-not-seen", test_dns_not_seen);
  ADD ("failure/keeps-live", test_failure_keeps_live);
  ADD ("failure/partial", test_partial);
  ADD ("failure/locked", test_locked);
  ADD ("config/unknown-key", test_config_unknown_key);
  ADD ("config/unknown-group", test_config_unknown_group);
  ADD ("config/no-dns", test_config_no_dns);
  ADD ("config/unknown-dns", test_config_unknown_dns);
  ADD ("config/missing-file", test_config_missing_file);
  ADD ("usage/errors", test_usage_errors);
  ADD ("usage/show-missing-json", test_show_missing_json);
  ADD ("many/issuances", test_many_issuances);
  ADD ("many/nonce-reject-90", test_nonce_reject_90);

#undef ADD

  status = g_test_run ();

  g_clear_pointer (&pebble, gcert_test_pebble_stop);
  g_clear_pointer (&pebble_root, g_free);
  return status;
}
