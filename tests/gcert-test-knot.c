/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <ldns/ldns.h>

#include "gcert-test-dns-server.h"
#include "gcert-test-pebble.h"
#include "gcert-test-util.h"

/* The parts the Knot and BIND fixtures share (keys, zone files, starting,
 * queries), then Knot's configuration. */

#define READY_TIMEOUT_S    20
#define SECRET_BYTES       32
#define QUERY_TIMEOUT_MS   1000

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ldns_resolver, ldns_resolver_deep_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ldns_pkt, ldns_pkt_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ldns_rdf, ldns_rdf_deep_free)

/* --- the process ------------------------------------------------------------ */

static char *
log_path (GCertTestDnsServer *server)
{
  g_autofree char *name = g_strconcat (server->kind, ".log", NULL);

  return g_build_filename (server->tmpdir, name, NULL);
}

/* --- keys and zones --------------------------------------------------------- */

char *
gcert_test_dns_server_key_name_for (const char *algorithm)
{
  g_return_val_if_fail (algorithm != NULL, NULL);

  return g_strdup_printf ("gcert-test-%s.", algorithm);
}

static gboolean
write_file (const char  *path,
            const char  *contents,
            GError     **error)
{
  return g_file_set_contents_full (path, contents, -1, G_FILE_SET_CONTENTS_CONSISTENT,
                                   0600, error);
}

static gboolean
make_key (GCertTestDnsServer  *server,
          GError             **error)
{
  guint8 secret[SECRET_BYTES];
  g_autofree char *secret_text = NULL;
  g_autofree char *key_text = NULL;
  int rc;

  rc = gnutls_rnd (GNUTLS_RND_KEY, secret, sizeof secret);
  if (rc < 0)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_FAILED, "random key: %s",
                   gnutls_strerror (rc));
      return FALSE;
    }
  server->key_name = g_strdup ("gcert-test-key.");
  server->key_algorithm = g_strdup ("hmac-sha256");
  server->key_secret = g_base64_encode (secret, sizeof secret);

  server->key_secret_file = g_build_filename (server->tmpdir, "tsig.secret", NULL);
  secret_text = g_strconcat (server->key_secret, "\n", NULL);
  if (!write_file (server->key_secret_file, secret_text, error))
    return FALSE;

  server->key_file = g_build_filename (server->tmpdir, "tsig.key", NULL);
  key_text = g_strdup_printf ("key \"%s\" {\n"
                              "\talgorithm %s;\n"
                              "\tsecret \"%s\";\n"
                              "};\n",
                              server->key_name, server->key_algorithm,
                              server->key_secret);
  return write_file (server->key_file, key_text, error);
}

/* The zone of @zones that @owner belongs to (longest match), or NULL. */
static const char *
zone_of (const char         *owner,
         const char * const *zones)
{
  g_autofree char *name = g_ascii_strdown (owner, -1);
  const char *best = NULL;
  gsize length = strlen (name);

  if (length > 0 && name[length - 1] == '.')
    name[--length] = '\0';

  for (guint i = 0; zones[i] != NULL; i++)
    {
      g_autofree char *zone = g_ascii_strdown (zones[i], -1);
      gsize zone_length = strlen (zone);
      gboolean inside;

      inside = g_str_equal (name, zone) ||
               (length > zone_length && g_str_has_suffix (name, zone) &&
                name[length - zone_length - 1] == '.');
      if (inside && (best == NULL || zone_length > strlen (best)))
        best = zones[i];
    }
  return best;
}

static void
string_free (gpointer data)
{
  g_string_free (data, TRUE);
}

static gboolean
write_zones (const char          *zones_dir,
             const char * const  *zones,
             const char * const  *records,
             GError             **error)
{
  g_autoptr(GHashTable) texts = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                                       string_free);

  for (guint i = 0; zones[i] != NULL; i++)
    {
      const char *zone = zones[i];
      GString *text = g_string_new (NULL);

      if (*zone == '\0' || g_str_has_suffix (zone, "."))
        {
          g_string_free (text, TRUE);
          g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                       "zone “%s” must be given without its trailing dot", zone);
          return FALSE;
        }
      g_string_append_printf (text,
                              "$ORIGIN %s.\n"
                              "$TTL 60\n"
                              "%s. 60 IN SOA ns.%s. hostmaster.%s. 1 3600 900 604800 60\n"
                              "%s. 60 IN NS ns.%s.\n"
                              "ns.%s. 60 IN A 127.0.0.1\n",
                              zone, zone, zone, zone, zone, zone, zone);
      g_hash_table_insert (texts, (char *) zone, text);
    }

  for (guint i = 0; records != NULL && records[i] != NULL; i++)
    {
      g_auto(GStrv) fields = g_strsplit_set (records[i], " \t", 2);
      const char *zone;

      if (fields[0] == NULL || !g_str_has_suffix (fields[0], "."))
        {
          g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                       "record “%s” needs an absolute owner name", records[i]);
          return FALSE;
        }
      zone = zone_of (fields[0], zones);
      if (zone == NULL)
        {
          g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                       "record “%s” is in none of the zones", records[i]);
          return FALSE;
        }
      g_string_append_printf (g_hash_table_lookup (texts, zone), "%s\n", records[i]);
    }

  for (guint i = 0; zones[i] != NULL; i++)
    {
      g_autofree char *name = g_strconcat (zones[i], ".zone", NULL);
      g_autofree char *path = g_build_filename (zones_dir, name, NULL);
      GString *text = g_hash_table_lookup (texts, zones[i]);

      if (!write_file (path, text->str, error))
        return FALSE;
    }
  return TRUE;
}

/* --- queries ---------------------------------------------------------------- */

static ldns_resolver *
new_resolver (GCertTestDnsServer  *server,
              gboolean             tcp,
              guint                timeout_ms,
              GError             **error)
{
  g_autoptr(ldns_resolver) resolver = ldns_resolver_new ();
  g_autoptr(ldns_rdf) address = NULL;
  const char *colon = strrchr (server->server, ':');
  g_autofree char *host = g_strndup (server->server, colon - server->server);
  struct timeval timeout = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };

  address = ldns_rdf_new_frm_str (LDNS_RDF_TYPE_A, host);
  if (resolver == NULL || address == NULL ||
      ldns_resolver_push_nameserver (resolver, address) != LDNS_STATUS_OK)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_FAILED, "cannot set up a query to %s",
                   server->server);
      return NULL;
    }
  ldns_resolver_set_port (resolver, (guint16) g_ascii_strtoull (colon + 1, NULL, 10));
  ldns_resolver_set_recursive (resolver, FALSE);
  ldns_resolver_set_timeout (resolver, timeout);
  ldns_resolver_set_retry (resolver, 1);
  ldns_resolver_set_retrans (resolver, 0);
  ldns_resolver_set_fallback (resolver, FALSE);
  ldns_resolver_set_defnames (resolver, FALSE);
  ldns_resolver_set_dnsrch (resolver, FALSE);
  ldns_resolver_set_usevc (resolver, tcp);
  return g_steal_pointer (&resolver);
}

/* One query, over UDP and again over TCP when the answer is truncated. */
static ldns_pkt *
query (GCertTestDnsServer  *server,
       const char          *name,
       ldns_rr_type         type,
       guint                timeout_ms,
       GError             **error)
{
  g_autoptr(ldns_rdf) qname = ldns_dname_new_frm_str (name);

  if (qname == NULL)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA, "invalid name “%s”", name);
      return NULL;
    }

  for (guint tcp = 0; tcp <= 1; tcp++)
    {
      g_autoptr(ldns_resolver) resolver = new_resolver (server, tcp, timeout_ms, error);
      g_autoptr(ldns_pkt) request = NULL;
      g_autoptr(ldns_pkt) reply = NULL;
      ldns_status status;

      if (resolver == NULL)
        return NULL;
      request = ldns_pkt_query_new (ldns_rdf_clone (qname), type, LDNS_RR_CLASS_IN, 0);
      ldns_pkt_set_random_id (request);
      status = ldns_send (&reply, resolver, request);
      if (status != LDNS_STATUS_OK || reply == NULL)
        {
          g_set_error (error, GCERT_ERROR, GCERT_ERROR_NETWORK, "query %s at %s: %s",
                       name, server->server, ldns_get_errorstr_by_id (status));
          return NULL;
        }
      if (ldns_pkt_id (reply) != ldns_pkt_id (request))
        {
          g_set_error (error, GCERT_ERROR, GCERT_ERROR_NETWORK,
                       "query %s at %s: answer with another id", name, server->server);
          return NULL;
        }
      if (!tcp && ldns_pkt_tc (reply))
        continue;
      return g_steal_pointer (&reply);
    }
  g_assert_not_reached ();
  return NULL;
}

static char *
txt_value (const ldns_rr *rr)
{
  GString *value = g_string_new (NULL);

  for (gsize i = 0; i < ldns_rr_rd_count (rr); i++)
    {
      const ldns_rdf *rdf = ldns_rr_rdf (rr, i);
      const guint8 *data = ldns_rdf_data (rdf);
      gsize size = ldns_rdf_size (rdf);

      /* a character-string: a length byte, then the bytes */
      if (size >= 1 && data[0] == size - 1)
        g_string_append_len (value, (const char *) data + 1, size - 1);
    }
  return g_string_free (value, FALSE);
}

GStrv
gcert_test_dns_server_query_txt (GCertTestDnsServer  *server,
                                 const char          *fqdn,
                                 GError             **error)
{
  g_autoptr(ldns_pkt) reply = NULL;
  g_autoptr(ldns_rdf) owner = NULL;
  g_autoptr(GStrvBuilder) values = g_strv_builder_new ();
  ldns_rr_list *answer;
  ldns_pkt_rcode rcode;

  g_return_val_if_fail (server != NULL, NULL);
  g_return_val_if_fail (fqdn != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  reply = query (server, fqdn, LDNS_RR_TYPE_TXT, QUERY_TIMEOUT_MS * 3, error);
  if (reply == NULL)
    return NULL;
  rcode = ldns_pkt_get_rcode (reply);
  if (rcode != LDNS_RCODE_NOERROR && rcode != LDNS_RCODE_NXDOMAIN)
    {
      g_autofree char *text = ldns_pkt_rcode2str (rcode);

      g_set_error (error, GCERT_ERROR, GCERT_ERROR_FAILED, "TXT %s at %s: %s", fqdn,
                   server->server, text);
      return NULL;
    }

  owner = ldns_dname_new_frm_str (fqdn);
  answer = ldns_pkt_answer (reply);
  for (gsize i = 0; answer != NULL && i < ldns_rr_list_rr_count (answer); i++)
    {
      ldns_rr *rr = ldns_rr_list_rr (answer, i);

      if (ldns_rr_get_type (rr) == LDNS_RR_TYPE_TXT &&
          ldns_dname_compare (ldns_rr_owner (rr), owner) == 0)
        {
          g_autofree char *value = txt_value (rr);

          g_strv_builder_add (values, value);
        }
    }
  return g_strv_builder_end (values);
}

/* The server serves the SOA of its first zone. */
static gboolean
answers_soa (GCertTestDnsServer *server,
             const char         *zone)
{
  g_autofree char *name = g_strconcat (zone, ".", NULL);
  g_autoptr(ldns_pkt) reply = query (server, name, LDNS_RR_TYPE_SOA, 200, NULL);
  ldns_rr_list *answer;

  if (reply == NULL || ldns_pkt_get_rcode (reply) != LDNS_RCODE_NOERROR)
    return FALSE;
  answer = ldns_pkt_answer (reply);
  for (gsize i = 0; answer != NULL && i < ldns_rr_list_rr_count (answer); i++)
    {
      if (ldns_rr_get_type (ldns_rr_list_rr (answer, i)) == LDNS_RR_TYPE_SOA)
        return TRUE;
    }
  return FALSE;
}

/* --- start and stop ----------------------------------------------------------- */

/* What each try at starting needs */
typedef struct {
  GCertTestDnsServer         *server;
  const char                 *ready_marker;
  GCertTestDnsConfigureFunc   configure;
  const char                 *zones_dir;
  const char * const         *zones;
  const char                 *log_path;
} Start;

/* The server logs that it started and serves the SOA of its first zone. */
static gboolean
server_answers (gpointer     user_data,
                const char **out_waiting_for)
{
  Start *start = user_data;

  *out_waiting_for = "an SOA answer";
  return gcert_test_log_contains (start->log_path, start->ready_marker) &&
         answers_soa (start->server, start->zones[0]);
}

static gboolean
start_once (gpointer   user_data,
            gboolean  *retry,
            GError   **error)
{
  Start *start = user_data;
  GCertTestDnsServer *server = start->server;
  GCertTestProcess process = { server->kind, &server->pid, start->log_path };
  g_auto(GStrv) argv = NULL;
  guint16 port;

  *retry = FALSE;
  port = gcert_test_find_free_port (TRUE);
  g_free (server->server);
  server->server = g_strdup_printf ("127.0.0.1:%u", port);

  argv = start->configure (server, port, start->zones_dir, start->zones, error);
  if (argv == NULL)
    return FALSE;
  if (!gcert_test_spawn_logged (server->tmpdir, (const char * const *) argv, NULL,
                                start->log_path, NULL, &server->pid, error))
    return FALSE;
  /* both servers keep running after a failed bind of one protocol, which
   * gcert_test_wait_ready() reads in the log */
  return gcert_test_wait_ready (&process, 1, READY_TIMEOUT_S, server_answers, start,
                                retry, error);
}

static void
terminate_server (gpointer user_data)
{
  Start *start = user_data;

  gcert_test_terminate (&start->server->pid);
}

GCertTestDnsServer *
gcert_test_dns_server_start_with (const char                 *kind,
                                  const char                 *ready_marker,
                                  GCertTestDnsConfigureFunc   configure,
                                  const char * const         *zones,
                                  const char * const         *records,
                                  GError                    **error)
{
  g_autoptr(GCertTestDnsServer) server = NULL;
  g_autofree char *prefix = NULL;
  g_autofree char *zones_dir = NULL;
  g_autofree char *path = NULL;
  Start start;

  g_return_val_if_fail (kind != NULL, NULL);
  g_return_val_if_fail (configure != NULL, NULL);
  g_return_val_if_fail (zones != NULL && zones[0] != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  server = g_new0 (GCertTestDnsServer, 1);
  server->kind = g_strdup (kind);
  prefix = g_strconcat ("gcert-", kind, NULL);
  server->tmpdir = gcert_test_mkdtemp (prefix);
  if (!make_key (server, error))
    return NULL;

  zones_dir = g_build_filename (server->tmpdir, "zones", NULL);
  if (g_mkdir (zones_dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "cannot create %s: %s", zones_dir, g_strerror (saved_errno));
      return NULL;
    }
  if (!write_zones (zones_dir, zones, records, error))
    return NULL;

  path = log_path (server);
  start = (Start) { server, ready_marker, configure, zones_dir, zones, path };
  if (!gcert_test_start_retrying (kind, start_once, terminate_server, &start, error))
    return NULL;
  return g_steal_pointer (&server);
}

void
gcert_test_dns_server_stop (GCertTestDnsServer *server)
{
  if (server == NULL)
    return;

  gcert_test_terminate (&server->pid);
  if (server->tmpdir != NULL)
    gcert_test_rm_rf (server->tmpdir);
  g_free (server->tmpdir);
  g_free (server->server);
  g_free (server->key_name);
  g_free (server->key_algorithm);
  g_free (server->key_secret);
  g_free (server->key_secret_file);
  g_free (server->key_file);
  g_free (server->kind);
  g_free (server);
}

gboolean
gcert_test_dns_server_check_alive (GCertTestDnsServer  *server,
                                   GError             **error)
{
  g_autofree char *path = NULL;

  g_return_val_if_fail (server != NULL, FALSE);

  path = log_path (server);
  return gcert_test_process_check_alive (&(GCertTestProcess) { server->kind, &server->pid,
                                                                path },
                                         error);
}

/* --- Knot ------------------------------------------------------------------- */

static GStrv
knot_configure (GCertTestDnsServer  *server,
                guint16              port,
                const char          *zones_dir,
                const char * const  *zones,
                GError             **error)
{
  g_autoptr(GString) config = g_string_new (NULL);
  g_autoptr(GStrvBuilder) argv = g_strv_builder_new ();
  g_autofree char *storage = g_build_filename (server->tmpdir, "db", NULL);
  g_autofree char *config_path = g_build_filename (server->tmpdir, "knot.conf", NULL);
  g_autofree char *program = gcert_test_find_program ("knotd");
  g_autoptr(GPtrArray) key_names = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *key_list = NULL;

  /* journal and timers: a new database for each attempt */
  gcert_test_rm_rf (storage);
  if (g_mkdir (storage, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "cannot create %s: %s", storage, g_strerror (saved_errno));
      return NULL;
    }

  g_string_append_printf (config,
                          "server:\n"
                          "  rundir: \"%s\"\n"
                          "  listen: 127.0.0.1@%u\n"
                          "  udp-workers: 2\n"
                          "  tcp-workers: 2\n"
                          "  background-workers: 1\n"
                          "database:\n"
                          "  storage: \"%s\"\n"
                          "log:\n"
                          "  - target: stderr\n"
                          "    any: info\n"
                          "key:\n"
                          "  - id: %s\n"
                          "    algorithm: %s\n"
                          "    secret: %s\n",
                          server->tmpdir, port, storage, server->key_name,
                          server->key_algorithm, server->key_secret);
  g_ptr_array_add (key_names, g_strdup (server->key_name));
  for (guint i = 0; GCERT_TEST_DNS_ALGORITHMS[i] != NULL; i++)
    {
      char *name = gcert_test_dns_server_key_name_for (GCERT_TEST_DNS_ALGORITHMS[i]);

      g_string_append_printf (config,
                              "  - id: %s\n"
                              "    algorithm: %s\n"
                              "    secret: %s\n",
                              name, GCERT_TEST_DNS_ALGORITHMS[i], server->key_secret);
      g_ptr_array_add (key_names, name);
    }
  g_ptr_array_add (key_names, NULL);
  key_list = g_strjoinv (", ", (char **) key_names->pdata);

  g_string_append_printf (config,
                          "acl:\n"
                          "  - id: gcert-update\n"
                          "    key: [%s]\n"
                          "    action: update\n"
                          "template:\n"
                          "  - id: default\n"
                          "    storage: \"%s\"\n"
                          "    file: \"%%s.zone\"\n"
                          "    zonefile-load: whole\n"
                          "    zonefile-sync: -1\n"
                          "    journal-content: changes\n"
                          "    acl: gcert-update\n"
                          "zone:\n",
                          key_list, zones_dir);
  for (guint i = 0; zones[i] != NULL; i++)
    g_string_append_printf (config, "  - domain: %s\n", zones[i]);

  if (!write_file (config_path, config->str, error))
    return NULL;

  g_strv_builder_add_many (argv, program, "-c", config_path, NULL);
  return g_strv_builder_end (argv);
}

GCertTestDnsServer *
gcert_test_knot_start (const char * const  *zones,
                       const char * const  *records,
                       GError             **error)
{
  return gcert_test_dns_server_start_with ("knot", "server started", knot_configure,
                                           zones, records, error);
}
