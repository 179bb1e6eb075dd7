/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Starts Pebble and challtestsrv for demos and benchmarks, writes where
 * they listen to a file of shell assignments, and runs until SIGTERM or
 * SIGINT. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include <glib-unix.h>
#include <glib/gstdio.h>

#include "gcert-test-pebble.h"

typedef struct {
  GMainLoop       *loop;
  GCertTestPebble *pebble;
  int              status;
} Servers;

static gboolean
quit_cb (gpointer user_data)
{
  Servers *servers = user_data;

  g_main_loop_quit (servers->loop);
  return G_SOURCE_CONTINUE;
}

static gboolean
watch_cb (gpointer user_data)
{
  Servers *servers = user_data;
  g_autoptr(GError) error = NULL;

  if (gcert_test_pebble_check_alive (servers->pebble, &error))
    return G_SOURCE_CONTINUE;
  g_printerr ("gcert-test-servers: %s\n", error->message);
  servers->status = EXIT_FAILURE;
  g_main_loop_quit (servers->loop);
  return G_SOURCE_REMOVE;
}

static void
append_assignment (GString    *text,
                   const char *name,
                   const char *value)
{
  g_autofree char *quoted = g_shell_quote (value);

  g_string_append_printf (text, "%s=%s\n", name, quoted);
}

int
main (int    argc,
      char **argv)
{
  GCertTestPebbleOptions options = GCERT_TEST_PEBBLE_OPTIONS_INIT;
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) text = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GCertTestPebble) pebble = NULL;
  gboolean strict = FALSE;
  int nonce_reject = -1;
  int authz_reuse = -1;
  Servers servers = { NULL, NULL, EXIT_SUCCESS };
  const GOptionEntry entries[] = {
    { "nonce-reject", 0, 0, G_OPTION_ARG_INT, &nonce_reject,
      "Percent of good nonces Pebble rejects (default: Pebble's own, 5)", "PERCENT" },
    { "authz-reuse", 0, 0, G_OPTION_ARG_INT, &authz_reuse,
      "Percent of valid authorizations Pebble reuses (default: Pebble's own, 50)", "PERCENT" },
    { "strict", 0, 0, G_OPTION_ARG_NONE, &strict,
      "Run Pebble with -strict", NULL },
    G_OPTION_ENTRY_NULL
  };

  context = g_option_context_new ("ENVFILE");
  g_option_context_set_summary (context,
                                "Runs Pebble and pebble-challtestsrv on free loopback ports until\n"
                                "SIGTERM or SIGINT, and writes where they listen to ENVFILE as\n"
                                "shell assignments (GCERT_TEST_DIRECTORY_URL, …) once they answer.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("gcert-test-servers: %s\n", error->message);
      return 2;
    }
  if (argc != 2)
    {
      g_printerr ("gcert-test-servers: expected one argument, the file to write\n");
      return 2;
    }

  options.nonce_reject = nonce_reject;
  options.authz_reuse = authz_reuse;
  options.strict = strict;
  pebble = gcert_test_pebble_start (&options, &error);
  if (pebble == NULL)
    {
      g_printerr ("gcert-test-servers: %s\n", error->message);
      return EXIT_FAILURE;
    }

  text = g_string_new (NULL);
  append_assignment (text, "GCERT_TEST_DIRECTORY_URL", pebble->directory_url);
  append_assignment (text, "GCERT_TEST_CA_CERTIFICATES", pebble->ca_certificates);
  append_assignment (text, "GCERT_TEST_CHALLTESTSRV_URL", pebble->challtestsrv_url);
  append_assignment (text, "GCERT_TEST_DNS_SERVER", pebble->dns_server);
  append_assignment (text, "GCERT_TEST_MANAGEMENT_URL", pebble->management_url);
  /* written to a temporary file and renamed: readers never see half of it */
  if (!g_file_set_contents_full (argv[1], text->str, text->len,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0644, &error))
    {
      g_printerr ("gcert-test-servers: %s\n", error->message);
      return EXIT_FAILURE;
    }

  loop = g_main_loop_new (NULL, FALSE);
  servers.loop = loop;
  servers.pebble = pebble;
  g_unix_signal_add (SIGTERM, quit_cb, &servers);
  g_unix_signal_add (SIGINT, quit_cb, &servers);
  g_timeout_add_seconds (1, watch_cb, &servers);
  g_main_loop_run (loop);

  g_unlink (argv[1]);
  return servers.status;
}
