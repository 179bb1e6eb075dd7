/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>

#include "gcert-test-dns-server.h"
#include "gcert-test-util.h"

/* BIND's named for the DNS server fixture; the shared parts are in
 * gcert-test-knot.c. */

static GStrv
bind_configure (GCertTestDnsServer  *server,
                guint16              port,
                const char          *zones_dir,
                const char * const  *zones,
                GError             **error)
{
  g_autoptr(GString) config = g_string_new (NULL);
  g_autoptr(GString) grants = g_string_new (NULL);
  g_autoptr(GStrvBuilder) argv = g_strv_builder_new ();
  g_autofree char *config_path = g_build_filename (server->tmpdir, "named.conf", NULL);
  g_autofree char *program = gcert_test_find_program ("named");
  g_autofree char *port_text = g_strdup_printf ("%u", port);

  /* controls { }: no rndc channel on 127.0.0.1:953, which parallel
   * instances would fight over; reuseport no: a second server on the same
   * port fails instead of sharing it */
  g_string_append_printf (config,
                          "options {\n"
                          "  directory \"%s\";\n"
                          "  pid-file \"%s/named.pid\";\n"
                          "  session-keyfile \"%s/session.key\";\n"
                          "  managed-keys-directory \"%s\";\n"
                          "  listen-on port %u { 127.0.0.1; };\n"
                          "  listen-on-v6 { none; };\n"
                          "  reuseport no;\n"
                          "  recursion no;\n"
                          "  dnssec-validation no;\n"
                          "  notify no;\n"
                          "  allow-query { any; };\n"
                          "};\n"
                          "controls { };\n"
                          "include \"%s\";\n",
                          server->tmpdir, server->tmpdir, server->tmpdir, server->tmpdir,
                          port, server->key_file);
  g_string_append_printf (grants, "    grant %s zonesub ANY;\n", server->key_name);
  for (guint i = 0; GCERT_TEST_DNS_ALGORITHMS[i] != NULL; i++)
    {
      g_autofree char *name = gcert_test_dns_server_key_name_for (GCERT_TEST_DNS_ALGORITHMS[i]);

      g_string_append_printf (config, "key \"%s\" { algorithm %s; secret \"%s\"; };\n",
                              name, GCERT_TEST_DNS_ALGORITHMS[i], server->key_secret);
      g_string_append_printf (grants, "    grant %s zonesub ANY;\n", name);
    }
  for (guint i = 0; zones[i] != NULL; i++)
    g_string_append_printf (config,
                            "zone \"%s\" {\n"
                            "  type primary;\n"
                            "  file \"%s/%s.zone\";\n"
                            "  update-policy {\n"
                            "%s"
                            "  };\n"
                            "};\n",
                            zones[i], zones_dir, zones[i], grants->str);

  if (!g_file_set_contents_full (config_path, config->str, -1,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0600, error))
    return NULL;

  /* -g: foreground, log to stderr; -n 2: a few threads are plenty */
  g_strv_builder_add_many (argv, program, "-g", "-n", "2", "-c", config_path,
                           "-p", port_text, NULL);
  return g_strv_builder_end (argv);
}

GCertTestDnsServer *
gcert_test_bind_start (const char * const  *zones,
                       const char * const  *records,
                       GError             **error)
{
  return gcert_test_dns_server_start_with ("bind", "running", bind_configure,
                                           zones, records, error);
}
