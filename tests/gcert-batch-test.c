/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "gcert.h"
#include "gcert-test-pebble.h"
#include "gcert-test-sshd.h"
#include "gcert-test-util.h"

/* Batch runs of the real gcertctl against Pebble: many certificates at
 * once, one failing; one certificate per deploy target; deployments that
 * fail and are retried; notifications; the CA's limits. */

static GCertTestPebble *pebble;
static char *pebble_root;

typedef struct {
  char *dir;
  char *state;
  char *config;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->dir = gcert_test_mkdtemp ("gcert-batch-test");
  f->state = g_build_filename (f->dir, "state", NULL);
  f->config = g_build_filename (f->dir, "gcert.conf", NULL);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

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

static char *
read_file (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *text = NULL;

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  return text;
}

/* Pebble's config with @gcert_keys added to [gcert] and @groups after it */
static void
write_config (Fixture    *f,
              const char *gcert_keys,
              const char *groups)
{
  g_autofree char *text = gcert_test_pebble_config (pebble, f->state, groups);
  g_auto(GStrv) parts = g_strsplit (text, "[dns test]", 2);
  g_autofree char *joined = NULL;

  g_assert_cmpuint (g_strv_length (parts), ==, 2);
  joined = g_strconcat (parts[0], gcert_keys != NULL ? gcert_keys : "", "\n[dns test]",
                        parts[1], NULL);
  write_file (f->config, joined, 0600);
}

static JsonObject *
parse_results (const GCertTestRun *run,
               JsonParser         *parser)
{
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, run->out, -1, &error);
  if (error != NULL)
    g_test_message ("stdout:\n%s\nstderr:\n%s", run->out, run->err);
  g_assert_no_error (error);
  return json_node_get_object (json_parser_get_root (parser));
}

static JsonObject *
find_result (JsonObject *root,
             const char *name)
{
  JsonArray *results = json_object_get_array_member (root, "results");

  for (guint i = 0; i < json_array_get_length (results); i++)
    {
      JsonObject *result = json_array_get_object_element (results, i);

      if (g_strcmp0 (json_object_get_string_member (result, "name"), name) == 0)
        return result;
    }
  g_error ("no result for %s", name);
  return NULL;
}

/* 20 certificates with --jobs 4, one of them with a DNS provider that
 * fails: 19 succeed, the one fails clearly, the status says "partial", and
 * the next run tries only the failed one again. */
static void
test_batch (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(GString) groups = g_string_new ("[dns broken]\nplugin = exec\nprogram = /bin/false\n");
  g_autoptr(GCertTestRun) run = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonParser) parser2 = json_parser_new ();
  JsonObject *root;
  guint renewed = 0;

  for (guint i = 1; i <= 20; i++)
    g_string_append_printf (groups, "\n[certificate b%u]\ndomains = b%u.batch.test;*.b%u.batch.test\n"
                            "dns = %s\n", i, i, i, i == 7 ? "broken" : "test");
  write_config (f, NULL, groups->str);

  run = gcert_test_run_ctl (f->config, "renew", "--jobs", "4", "--json");
  gcert_test_assert_exit (run, 3);
  root = parse_results (run, parser);
  for (guint i = 1; i <= 20; i++)
    {
      g_autofree char *name = g_strdup_printf ("b%u", i);
      JsonObject *result = find_result (root, name);

      if (i == 7)
        {
          g_assert_false (json_object_get_boolean_member (result, "success"));
          g_assert_nonnull (strstr (json_object_get_string_member (result, "error"), "/bin/false"));
          continue;
        }
      g_assert_true (json_object_get_boolean_member (result, "renewed"));
      renewed++;
      {
        g_autofree char *apex = g_strdup_printf ("b%u.batch.test", i);
        g_autofree char *wildcard = g_strdup_printf ("*.b%u.batch.test", i);
        const char *names[] = { apex, wildcard, NULL };
        g_autoptr(GCertCertificate) cert = gcert_test_check_live (f->state, name, names,
                                                                  pebble_root);

        g_assert_nonnull (cert);
      }
    }
  g_assert_cmpuint (renewed, ==, 19);

  /* the rerun: only b7 is attempted again */
  g_clear_pointer (&run, gcert_test_run_free);
  run = gcert_test_run_ctl (f->config, "renew", "--jobs", "4", "--json");
  gcert_test_assert_exit (run, 3);
  root = parse_results (run, parser2);
  for (guint i = 1; i <= 20; i++)
    {
      g_autofree char *name = g_strdup_printf ("b%u", i);
      JsonObject *result = find_result (root, name);

      g_assert_false (json_object_get_boolean_member (result, "renewed"));
      g_assert_cmpint (json_object_get_boolean_member (result, "success"), ==, i != 7);
    }
}

/* per-target = true: three targets, three keys and certificates, each
 * deployed to its own target */
static void
test_per_target (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GString) groups = g_string_new (NULL);
  g_autoptr(GCertTestRun) run = NULL;
  g_autoptr(GHashTable) keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  const char *targets[] = { "a", "b", "c" };
  const char *names[] = { "site.test", NULL };

  for (guint i = 0; i < G_N_ELEMENTS (targets); i++)
    g_string_append_printf (groups, "[deploy %s]\nplugin = local\npath = %s/web-%s\n\n",
                            targets[i], f->dir, targets[i]);
  g_string_append (groups, "[certificate site]\ndomains = site.test\ndns = test\n"
                   "deploy = a;b;c\nper-target = true\n");
  write_config (f, NULL, groups->str);

  run = gcert_test_run_ctl (f->config, "renew");
  gcert_test_assert_exit (run, 0);
  for (guint i = 0; i < G_N_ELEMENTS (targets); i++)
    {
      g_autofree char *name = g_strdup_printf ("site@%s", targets[i]);
      g_autofree char *live_key = g_build_filename (f->state, "live", name, "privkey.pem", NULL);
      g_autofree char *live_chain = g_build_filename (f->state, "live", name, "fullchain.pem",
                                                      NULL);
      g_autofree char *target_key = g_strdup_printf ("%s/web-%s/privkey.pem", f->dir, targets[i]);
      g_autofree char *target_chain = g_strdup_printf ("%s/web-%s/fullchain.pem", f->dir,
                                                       targets[i]);
      g_autofree char *key = read_file (live_key);
      g_autofree char *deployed_key = read_file (target_key);
      g_autofree char *chain = read_file (live_chain);
      g_autofree char *deployed_chain = read_file (target_chain);
      g_autoptr(GCertCertificate) cert = gcert_test_check_live (f->state, name, names,
                                                                pebble_root);
      GStatBuf st;

      g_assert_nonnull (cert);
      g_assert_cmpstr (key, ==, deployed_key);
      g_assert_cmpstr (chain, ==, deployed_chain);
      g_assert_cmpint (g_stat (target_key, &st), ==, 0);
      g_assert_cmpint (st.st_mode & 0777, ==, 0600);
      /* a different key for every target */
      g_assert_true (g_hash_table_add (keys, g_steal_pointer (&key)));
    }
  g_assert_cmpuint (g_hash_table_size (keys), ==, 3);
}

/* A deployment whose reload fails: the new certificate stays live here,
 * the target keeps nothing half-done, the run says so, and the next run
 * deploys again without issuing again. `gcertctl deploy` pushes on demand. */
static void
test_deploy_retry (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *flag = g_build_filename (f->dir, "reload-works", NULL);
  g_autofree char *target_dir = g_build_filename (f->dir, "web", NULL);
  g_autofree char *target_key = g_build_filename (target_dir, "privkey.pem", NULL);
  g_autofree char *groups = NULL;
  g_autofree char *live_key = g_build_filename (f->state, "live", "web", "privkey.pem", NULL);
  g_autoptr(GCertTestRun) run = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonParser) parser2 = json_parser_new ();
  JsonObject *result;

  groups = g_strdup_printf ("[deploy web]\nplugin = local\npath = %s\n"
                            "reload = /bin/sh -c 'test -e %s'\n\n"
                            "[certificate web]\ndomains = web.test\ndns = test\ndeploy = web\n",
                            target_dir, flag);
  write_config (f, NULL, groups);

  run = gcert_test_run_ctl (f->config, "renew", "--json");
  gcert_test_assert_exit (run, 1);
  result = find_result (parse_results (run, parser), "web");
  g_assert_true (json_object_get_boolean_member (result, "renewed"));
  g_assert_nonnull (strstr (json_object_get_string_member (result, "deploy-error"), "web"));
  g_assert_true (g_file_test (live_key, G_FILE_TEST_EXISTS));
  /* the first deployment failed: no new files stay behind */
  g_assert_false (g_file_test (target_key, G_FILE_TEST_EXISTS));
  g_clear_pointer (&run, gcert_test_run_free);
  run = gcert_test_run_ctl (f->config, "show", "web");
  gcert_test_assert_exit (run, 0);
  g_assert_nonnull (strstr (run->out, "web: version 1 failed: "));

  /* fixed: the next run deploys the same version, no new certificate */
  write_file (flag, "", 0600);
  g_clear_pointer (&run, gcert_test_run_free);
  run = gcert_test_run_ctl (f->config, "renew", "--json");
  gcert_test_assert_exit (run, 0);
  result = find_result (parse_results (run, parser2), "web");
  g_assert_false (json_object_get_boolean_member (result, "renewed"));
  g_assert_cmpint (json_object_get_int_member (result, "version"), ==, 1);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (result, "deployed")),
                    ==, 1);
  {
    g_autofree char *a = read_file (live_key);
    g_autofree char *b = read_file (target_key);

    g_assert_cmpstr (a, ==, b);
  }
  g_clear_pointer (&run, gcert_test_run_free);
  run = gcert_test_run_ctl (f->config, "show", "web");
  gcert_test_assert_exit (run, 0);
  g_assert_nonnull (strstr (run->out, "Deployed:"));
  g_assert_nonnull (strstr (run->out, "web: version 1\n"));

  /* nothing pending: a plain run does nothing; deploy pushes again */
  g_clear_pointer (&run, gcert_test_run_free);
  run = gcert_test_run_ctl (f->config, "renew");
  gcert_test_assert_exit (run, 0);
  g_assert_null (strstr (run->out, "deployed"));
  g_assert_cmpint (g_unlink (target_key), ==, 0);
  g_clear_pointer (&run, gcert_test_run_free);
  run = gcert_test_run_ctl (f->config, "deploy", "web");
  gcert_test_assert_exit (run, 0);
  g_assert_nonnull (strstr (run->out, "deployed to web"));
  g_assert_true (g_file_test (target_key, G_FILE_TEST_EXISTS));
}

/* notify: the program gets a summary of what failed */
static void
test_notify (Fixture       *f,
             gconstpointer  data)
{
  g_autofree char *script = g_build_filename (f->dir, "notify.sh", NULL);
  g_autofree char *out = g_build_filename (f->dir, "notified.txt", NULL);
  g_autofree char *body = NULL;
  g_autofree char *keys = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GCertTestRun) run = NULL;

  body = g_strdup_printf ("#!/bin/sh\n{ echo \"event=$1 $GCERT_NOTIFY_EVENT\"; "
                          "echo \"subject=$GCERT_NOTIFY_SUBJECT\"; cat; } > '%s'\n", out);
  write_file (script, body, 0700);
  keys = g_strdup_printf ("notify = %s\n", script);
  write_config (f, keys,
                "[dns broken]\nplugin = exec\nprogram = /bin/false\n\n"
                "[certificate good]\ndomains = good.notify.test\ndns = test\n\n"
                "[certificate bad]\ndomains = bad.notify.test\ndns = broken\n");

  run = gcert_test_run_ctl (f->config, "renew");
  gcert_test_assert_exit (run, 3);
  text = read_file (out);
  g_test_message ("%s", text);
  g_assert_nonnull (strstr (text, "event=failure failure"));
  g_assert_nonnull (strstr (text, "subject=gcert on "));
  g_assert_nonnull (strstr (text, "Failed:\n  bad: "));
  /* with a failure to report, what went well is in it too */
  g_assert_nonnull (strstr (text, "Renewed:\n  good: version 1"));

  /* nothing to say: no notification */
  g_assert_cmpint (g_unlink (out), ==, 0);
  g_clear_pointer (&run, gcert_test_run_free);
  run = gcert_test_run_ctl (f->config, "renew", "good");
  gcert_test_assert_exit (run, 0);
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
}

/* the CA's per-domain limit: what would exceed it waits for a later run */
static void
test_limits (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GCertTestRun) run = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *root;
  guint renewed = 0, deferred = 0;

  write_config (f, "limit-per-domain = 2\n",
                "[certificate one]\ndomains = one.limit.test\ndns = test\n\n"
                "[certificate two]\ndomains = two.limit.test\ndns = test\n\n"
                "[certificate three]\ndomains = three.limit.test\ndns = test\n");
  run = gcert_test_run_ctl (f->config, "renew", "--json");
  gcert_test_assert_exit (run, 0);
  root = parse_results (run, parser);
  {
    const char *names[] = { "one", "two", "three" };

    for (guint i = 0; i < G_N_ELEMENTS (names); i++)
      {
        JsonObject *result = find_result (root, names[i]);

        if (json_object_get_boolean_member (result, "renewed"))
          renewed++;
        else if (strstr (json_object_get_string_member (result, "reason"), "deferred") != NULL)
          deferred++;
      }
  }
  g_assert_cmpuint (renewed, ==, 2);
  g_assert_cmpuint (deferred, ==, 1);
  g_assert_nonnull (strstr (run->err, "limit.test per week"));
}

/* The central-issuance workflow of the issue: example.test and
 * *.example.test with an EC P-256 key, pushed over ssh to two "servers"
 * (directories behind a real sshd), each reloaded; one renew does it all. */
static void
test_ssh_workflow (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GCertTestSshd) sshd = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) groups = g_string_new (NULL);
  g_autoptr(GCertTestRun) run = NULL;
  g_autofree char *live_key = g_build_filename (f->state, "live", "www", "privkey.pem", NULL);
  g_autofree char *live_chain = g_build_filename (f->state, "live", "www", "fullchain.pem",
                                                  NULL);
  const char *names[] = { "example.test", "*.example.test", NULL };
  const char *servers[] = { "web1", "web2" };

  sshd = gcert_test_sshd_start (&error);
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (servers); i++)
    g_string_append_printf (groups,
                            "[deploy %s]\nplugin = ssh\nhost = %s\nport = %u\nuser = %s\n"
                            "identity-file = %s\nknown-hosts-file = %s\n"
                            "path = %s/%s/tls\nreload = touch %s/%s/reloaded\n\n",
                            servers[i], sshd->host, sshd->port, sshd->user,
                            sshd->identity_file, sshd->known_hosts_file,
                            f->dir, servers[i], f->dir, servers[i]);
  g_string_append (groups, "[certificate www]\ndomains = example.test;*.example.test\n"
                   "dns = test\nkey-type = ec-256\ndeploy = web1;web2\n");
  write_config (f, NULL, groups->str);

  run = gcert_test_run_ctl (f->config, "renew");
  gcert_test_assert_exit (run, 0);
  g_assert_nonnull (strstr (run->out, "deployed to web1, web2"));
  {
    g_autoptr(GCertCertificate) cert = gcert_test_check_live (f->state, "www", names,
                                                              pebble_root);
    g_autoptr(GCertKey) key = NULL;
    g_autofree char *key_pem = read_file (live_key);

    g_assert_nonnull (cert);
    key = gcert_key_new_from_pem (key_pem, -1, &error);
    g_assert_no_error (error);
    g_assert_cmpint (gcert_key_get_key_type (key), ==, GCERT_KEY_TYPE_EC_256);
  }
  for (guint i = 0; i < G_N_ELEMENTS (servers); i++)
    {
      g_autofree char *key_path = g_strdup_printf ("%s/%s/tls/privkey.pem", f->dir, servers[i]);
      g_autofree char *chain_path = g_strdup_printf ("%s/%s/tls/fullchain.pem", f->dir,
                                                     servers[i]);
      g_autofree char *marker = g_strdup_printf ("%s/%s/reloaded", f->dir, servers[i]);
      g_autofree char *a = read_file (live_key);
      g_autofree char *b = read_file (key_path);
      g_autofree char *c = read_file (live_chain);
      g_autofree char *d = read_file (chain_path);
      GStatBuf st;

      g_assert_cmpstr (a, ==, b);
      g_assert_cmpstr (c, ==, d);
      g_assert_cmpint (g_stat (key_path, &st), ==, 0);
      g_assert_cmpint (st.st_mode & 0777, ==, 0600);
      g_assert_cmpint (g_stat (chain_path, &st), ==, 0);
      g_assert_cmpint (st.st_mode & 0777, ==, 0644);
      g_assert_true (g_file_test (marker, G_FILE_TEST_EXISTS));
    }

  /* the next run finds nothing to do */
  g_clear_pointer (&run, gcert_test_run_free);
  run = gcert_test_run_ctl (f->config, "renew");
  gcert_test_assert_exit (run, 0);
  g_assert_nonnull (strstr (run->out, "not due"));
  g_assert_null (strstr (run->out, "deployed"));
}

/* A renewal that fails is not retried within its pause, but every run
 * still reports it as failing; the notification warns of expiry. */
static void
test_backoff_and_expiry (Fixture       *f,
                         gconstpointer  data)
{
  g_autofree char *script = g_build_filename (f->dir, "notify.sh", NULL);
  g_autofree char *out = g_build_filename (f->dir, "notified.txt", NULL);
  g_autofree char *body = NULL;
  g_autofree char *keys = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GCertTestRun) run = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *result;

  body = g_strdup_printf ("#!/bin/sh\n{ echo \"event=$1\"; cat; } > '%s'\n", out);
  write_file (script, body, 0700);
  /* every certificate is "close to expiry" with this window */
  keys = g_strdup_printf ("notify = %s\nwarn-before = 4000d\n", script);
  write_config (f, keys,
                "[dns broken]\nplugin = exec\nprogram = /bin/false\n\n"
                "[certificate aging]\ndomains = aging.test\ndns = test\n");
  run = gcert_test_run_ctl (f->config, "renew");
  gcert_test_assert_exit (run, 0);
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));

  /* not due and close to expiry (by this window): said once per run */
  g_clear_pointer (&run, gcert_test_run_free);
  run = gcert_test_run_ctl (f->config, "renew");
  gcert_test_assert_exit (run, 0);
  text = read_file (out);
  g_assert_nonnull (strstr (text, "event=expiring"));
  g_assert_nonnull (strstr (text, "aging: expires"));
  g_clear_pointer (&text, g_free);
  g_assert_cmpint (g_unlink (out), ==, 0);

  /* due at once from now on, and its provider broken: the first run
   * fails and tries; the next one within the pause does not try, but
   * still fails */
  write_config (f, keys,
                "[dns broken]\nplugin = exec\nprogram = /bin/false\n\n"
                "[certificate aging]\ndomains = aging.test\ndns = broken\nrenew-every = 1s\n");
  g_usleep (1100 * 1000);
  g_clear_pointer (&run, gcert_test_run_free);
  run = gcert_test_run_ctl (f->config, "renew");
  gcert_test_assert_exit (run, 1);
  g_assert_nonnull (strstr (run->err, "/bin/false"));
  text = read_file (out);
  g_assert_nonnull (strstr (text, "event=failure"));
  g_clear_pointer (&text, g_free);

  g_clear_pointer (&run, gcert_test_run_free);
  run = gcert_test_run_ctl (f->config, "renew", "--json");
  gcert_test_assert_exit (run, 1);
  result = find_result (parse_results (run, parser), "aging");
  g_assert_false (json_object_get_boolean_member (result, "renewed"));
  g_assert_false (json_object_get_boolean_member (result, "success"));
  g_assert_nonnull (strstr (json_object_get_string_member (result, "error"),
                            "renewal failing (1 attempts"));
  g_assert_cmpint (json_object_get_int_member (result, "version"), ==, 1);
}

/* bad plans are configuration errors that name the place */
static void
test_bad_config (Fixture       *f,
                 gconstpointer  data)
{
  const struct {
    const char *groups;
    const char *expected;
  } cases[] = {
    { "[certificate x]\ndomains = x.test\ndns = test\ndeploy = nowhere\n",
      "[certificate x] deploy: there is no [deploy nowhere] group" },
    { "[certificate x]\ndomains = x.test\ndns = test\nper-target = true\n",
      "[certificate x] per-target: per-target needs the targets in a deploy key" },
    { "[deploy a]\nplugin = local\npath = /tmp/x\n\n"
      "[certificate x]\ndomains = x.test\ndns = test\ndeploy = a\nper-target = true\n"
      "target-name = true\n",
      "[deploy a] has no host name to add" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GCertTestRun) run = NULL;

      write_config (f, NULL, cases[i].groups);
      run = gcert_test_run_ctl (f->config, "renew");
      gcert_test_assert_exit (run, 2);
      g_assert_nonnull (strstr (run->err, f->config));
      g_assert_nonnull (strstr (run->err, cases[i].expected));
      /* nothing was contacted or written */
      g_assert_false (g_file_test (f->state, G_FILE_TEST_EXISTS));
    }
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  GCertTestPebbleOptions options = GCERT_TEST_PEBBLE_OPTIONS_INIT;
  int status;

  g_test_init (&argc, &argv, NULL);
  if (g_getenv ("GCERTCTL") == NULL)
    g_error ("GCERTCTL is not set; run this test with “meson test”");

  /* every renewal goes through the DNS: none reuses a valid authorization */
  options.authz_reuse = 0;
  pebble = gcert_test_pebble_start (&options, &error);
  g_assert_no_error (error);
  pebble_root = gcert_test_pebble_get_root (pebble, &error);
  g_assert_no_error (error);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("/gcert/batch/twenty-one-failing", test_batch);
  ADD ("/gcert/batch/per-target", test_per_target);
  ADD ("/gcert/batch/deploy-retry", test_deploy_retry);
  ADD ("/gcert/batch/notify", test_notify);
  ADD ("/gcert/batch/limits", test_limits);
  ADD ("/gcert/batch/bad-config", test_bad_config);
  ADD ("/gcert/batch/ssh-workflow", test_ssh_workflow);
  ADD ("/gcert/batch/backoff-and-expiry", test_backoff_and_expiry);

#undef ADD

  status = g_test_run ();
  g_clear_pointer (&pebble, gcert_test_pebble_stop);
  g_free (pebble_root);
  return status;
}
