/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "gcert-test-pdns.h"
#include "gcert-test-pebble.h"
#include "gcert-test-util.h"

#define READY_TIMEOUT_S    20
#define API_BASE           "/api/v1/servers/localhost"
/* PowerDNS takes unsigned updates for a zone without TSIG-ALLOW-DNSUPDATE:
 * every zone starts with this key, whose secret nobody knows */
#define LOCK_KEY_NAME      "gcert-fixture-no-update"

static const char * const schema_paths[] = {
  "/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql",
  "/usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql",
  NULL
};

/* --- the process ---------------------------------------------------------- */

static char *
log_path (GCertTestPdns *pdns)
{
  return g_build_filename (pdns->tmpdir, "pdns.log", NULL);
}

/* pdns_server as gcert_test_wait_ready() watches it; @path is its log */
static GCertTestProcess
server_process (GCertTestPdns *pdns,
                const char    *path)
{
  return (GCertTestProcess) { "pdns_server", &pdns->pid, path };
}

static gboolean
create_database (GCertTestPdns  *pdns,
                 const char     *database,
                 GError        **error)
{
  const char *schema = NULL;
  g_autofree char *read_command = NULL;
  g_autofree char *err = NULL;
  int wait_status = 0;

  for (guint i = 0; schema_paths[i] != NULL && schema == NULL; i++)
    {
      if (g_file_test (schema_paths[i], G_FILE_TEST_IS_REGULAR))
        schema = schema_paths[i];
    }
  if (schema == NULL)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_NOT_FOUND,
                   "the gsqlite3 schema is missing (is pdns-backend-sqlite3 installed?)");
      return FALSE;
    }

  read_command = g_strdup_printf (".read %s", schema);
  {
    const char *argv[] = { "sqlite3", database, read_command, NULL };

    if (!g_spawn_sync (pdns->tmpdir, (char **) argv, NULL,
                       G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                       NULL, NULL, NULL, &err, &wait_status, error))
      {
        g_prefix_error (error, "creating the database: ");
        return FALSE;
      }
  }
  if (!g_spawn_check_wait_status (wait_status, error))
    {
      g_prefix_error (error, "sqlite3 %s: %s: ", read_command, err != NULL ? err : "");
      return FALSE;
    }
  return TRUE;
}

static gboolean
write_config (GCertTestPdns  *pdns,
              guint16         dns_port,
              guint16         api_port,
              GError        **error)
{
  g_autofree char *path = g_build_filename (pdns->tmpdir, "pdns.conf", NULL);
  g_autofree char *text = NULL;

  text = g_strdup_printf ("launch=gsqlite3\n"
                          "gsqlite3-database=%s/pdns.sqlite3\n"
                          "local-address=127.0.0.1\n"
                          "local-port=%u\n"
                          "socket-dir=%s\n"
                          "daemon=no\n"
                          "guardian=no\n"
                          "disable-syslog=yes\n"
                          "security-poll-suffix=\n"
                          "api=yes\n"
                          "api-key=%s\n"
                          "webserver=yes\n"
                          "webserver-address=127.0.0.1\n"
                          "webserver-port=%u\n"
                          "webserver-allow-from=127.0.0.0/8\n"
                          "dnsupdate=yes\n"
                          "allow-dnsupdate-from=127.0.0.0/8\n"
                          /* every change is served at once */
                          "cache-ttl=0\n"
                          "negquery-cache-ttl=0\n"
                          "query-cache-ttl=0\n"
                          "zone-cache-refresh-interval=0\n"
                          "domain-metadata-cache-ttl=0\n"
                          "receiver-threads=1\n"
                          "distributor-threads=1\n",
                          pdns->tmpdir, dns_port, pdns->tmpdir, pdns->api_key, api_port);
  return g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

static gboolean
spawn_server (GCertTestPdns  *pdns,
              GError        **error)
{
  g_autofree char *program = gcert_test_find_program ("pdns_server");
  g_autofree char *config_dir = g_strdup_printf ("--config-dir=%s", pdns->tmpdir);
  g_autofree char *path = log_path (pdns);
  const char *argv[] = { program, config_dir, NULL };

  return gcert_test_spawn_logged (pdns->tmpdir, argv, NULL, path, NULL, &pdns->pid, error);
}

/* --- DNS ------------------------------------------------------------------ */

typedef struct {
  GAsyncResult *result;
} QueryWait;

static void
query_done_cb (GObject      *source_object,
               GAsyncResult *result,
               gpointer      user_data)
{
  QueryWait *wait = user_data;

  wait->result = g_object_ref (result);
}

GStrv
gcert_test_pdns_query_txt (GCertTestPdns  *pdns,
                           const char     *fqdn,
                           GError        **error)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  QueryWait wait = { NULL };
  GStrv values;

  g_return_val_if_fail (pdns != NULL, NULL);
  g_return_val_if_fail (fqdn != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* a private context: callers need not run a main loop */
  g_main_context_push_thread_default (context);
  gcert_dns_query_txt_async (pdns->server, fqdn, NULL, query_done_cb, &wait);
  while (wait.result == NULL)
    g_main_context_iteration (context, TRUE);
  values = gcert_dns_query_txt_finish (wait.result, error);
  g_object_unref (wait.result);
  g_main_context_pop_thread_default (context);
  return values;
}

/* --- the API -------------------------------------------------------------- */

static GBytes *
api_request (GCertTestPdns  *pdns,
             SoupSession    *session,
             const char     *method,
             const char     *path,
             const char     *json_body,
             guint          *out_status,
             GError        **error)
{
  g_autofree char *url = g_strconcat (pdns->api_url, API_BASE, path, NULL);

  return gcert_test_http_request (session, method, url, "X-API-Key", pdns->api_key, json_body,
                                  out_status, error);
}

GBytes *
gcert_test_pdns_api (GCertTestPdns  *pdns,
                     const char     *method,
                     const char     *path,
                     const char     *json_body,
                     guint          *out_status,
                     GError        **error)
{
  g_autoptr(SoupSession) session = NULL;

  g_return_val_if_fail (pdns != NULL, NULL);
  g_return_val_if_fail (method != NULL, NULL);
  g_return_val_if_fail (path != NULL && path[0] == '/', NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  session = gcert_test_session_new (NULL, NULL);
  return api_request (pdns, session, method, path, json_body, out_status, error);
}

static char *
builder_to_string (JsonBuilder *builder)
{
  g_autoptr(JsonNode) root = json_builder_get_root (builder);

  return json_to_string (root, FALSE);
}

static char *
absolute_name (const char *name)
{
  g_autofree char *lower = g_ascii_strdown (name, -1);

  if (g_str_has_suffix (lower, "."))
    return g_steal_pointer (&lower);
  return g_strconcat (lower, ".", NULL);
}

/* the longest of the fixture's zones that @owner (absolute) is in */
static const char *
zone_of (GCertTestPdns *pdns,
         const char    *owner)
{
  const char *best = NULL;

  for (guint i = 0; pdns->zones != NULL && pdns->zones[i] != NULL; i++)
    {
      const char *zone = pdns->zones[i];
      gsize owner_len = strlen (owner);
      gsize zone_len = strlen (zone);
      gboolean inside;

      inside = g_ascii_strcasecmp (owner, zone) == 0 ||
               (owner_len > zone_len && owner[owner_len - zone_len - 1] == '.' &&
                g_ascii_strcasecmp (owner + owner_len - zone_len, zone) == 0);
      if (inside && (best == NULL || zone_len > strlen (best)))
        best = zone;
    }
  return best;
}

/* One RRset on its way into a zone. */
typedef struct {
  char      *name;
  char      *type;
  gint64     ttl;
  GPtrArray *contents;
} RRset;

static void
rrset_free (RRset *rrset)
{
  g_free (rrset->name);
  g_free (rrset->type);
  g_ptr_array_unref (rrset->contents);
  g_free (rrset);
}

static void
add_record (GPtrArray  *rrsets,
            const char *name,
            const char *type,
            gint64      ttl,
            const char *content)
{
  RRset *rrset = NULL;

  for (guint i = 0; i < rrsets->len && rrset == NULL; i++)
    {
      RRset *candidate = g_ptr_array_index (rrsets, i);

      if (g_str_equal (candidate->name, name) && g_str_equal (candidate->type, type))
        rrset = candidate;
    }
  if (rrset == NULL)
    {
      rrset = g_new0 (RRset, 1);
      rrset->name = g_strdup (name);
      rrset->type = g_strdup (type);
      rrset->ttl = ttl;
      rrset->contents = g_ptr_array_new_with_free_func (g_free);
      g_ptr_array_add (rrsets, rrset);
    }
  g_ptr_array_add (rrset->contents, g_strdup (content));
}

static void
build_rrset (JsonBuilder *builder,
             const RRset *rrset,
             const char  *changetype)
{
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, rrset->name);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, rrset->type);
  json_builder_set_member_name (builder, "ttl");
  json_builder_add_int_value (builder, rrset->ttl);
  json_builder_set_member_name (builder, "changetype");
  json_builder_add_string_value (builder, changetype);
  json_builder_set_member_name (builder, "records");
  json_builder_begin_array (builder);
  for (guint i = 0; i < rrset->contents->len; i++)
    {
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "content");
      json_builder_add_string_value (builder, g_ptr_array_index (rrset->contents, i));
      json_builder_set_member_name (builder, "disabled");
      json_builder_add_boolean_value (builder, FALSE);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
}

/* Parses "OWNER. TTL IN TYPE RDATA" into the RRsets of the zone it is in. */
static gboolean
parse_record (GCertTestPdns  *pdns,
              const char     *line,
              GHashTable     *by_zone,
              GError        **error)
{
  g_autofree char *copy = g_strstrip (g_strdup (line));
  g_autofree char *owner = NULL;
  g_autofree char *type = NULL;
  char *fields[4];
  char *rest = copy;
  const char *zone;
  guint64 ttl;
  GPtrArray *rrsets;

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      rest += strspn (rest, " \t");
      fields[i] = rest;
      rest += strcspn (rest, " \t");
      if (*rest == '\0')
        {
          g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                       "record “%s” is not “OWNER. TTL IN TYPE RDATA”", line);
          return FALSE;
        }
      *rest++ = '\0';
    }
  rest += strspn (rest, " \t");
  if (!g_str_has_suffix (fields[0], ".") ||
      !g_ascii_string_to_unsigned (fields[1], 10, 0, G_MAXINT32, &ttl, NULL) ||
      g_ascii_strcasecmp (fields[2], "IN") != 0 || *rest == '\0')
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                   "record “%s” is not “OWNER. TTL IN TYPE RDATA”", line);
      return FALSE;
    }

  owner = g_ascii_strdown (fields[0], -1);
  type = g_ascii_strup (fields[3], -1);
  zone = zone_of (pdns, owner);
  if (zone == NULL)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                   "record “%s” is in none of the zones", line);
      return FALSE;
    }
  rrsets = g_hash_table_lookup (by_zone, zone);
  add_record (rrsets, owner, type, ttl, rest);
  return TRUE;
}

static char *
zone_json (const char *zone,
           GPtrArray  *rrsets)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, zone);
  json_builder_set_member_name (builder, "kind");
  json_builder_add_string_value (builder, "Native");
  json_builder_set_member_name (builder, "nameservers");
  json_builder_begin_array (builder);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "rrsets");
  json_builder_begin_array (builder);
  for (guint i = 0; i < rrsets->len; i++)
    build_rrset (builder, g_ptr_array_index (rrsets, i), "REPLACE");
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  return builder_to_string (builder);
}

static char *
zone_path (const char *zone,
           const char *suffix)
{
  g_autofree char *escaped = g_uri_escape_string (zone, NULL, FALSE);

  return g_strconcat ("/zones/", escaped, suffix, NULL);
}

static char *
tsig_key_json (const char *name,
               const char *algorithm,
               const char *secret_base64)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, name);
  json_builder_set_member_name (builder, "algorithm");
  json_builder_add_string_value (builder, algorithm);
  json_builder_set_member_name (builder, "key");
  json_builder_add_string_value (builder, secret_base64);
  json_builder_end_object (builder);
  return builder_to_string (builder);
}

static gboolean
put_metadata (GCertTestPdns       *pdns,
              const char          *zone,
              const char          *kind,
              const char * const  *values,
              GError             **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GBytes) body = NULL;
  g_autofree char *suffix = g_strconcat ("/metadata/", kind, NULL);
  g_autofree char *path = zone_path (zone, suffix);
  g_autofree char *json = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "metadata");
  json_builder_begin_array (builder);
  for (guint i = 0; values[i] != NULL; i++)
    json_builder_add_string_value (builder, values[i]);
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  json = builder_to_string (builder);

  body = gcert_test_pdns_api (pdns, "PUT", path, json, NULL, error);
  if (body == NULL)
    {
      g_prefix_error (error, "setting %s of %s: ", kind, zone);
      return FALSE;
    }
  return TRUE;
}

static gboolean
create_zones (GCertTestPdns       *pdns,
              const char * const  *records,
              GError             **error)
{
  g_autoptr(GHashTable) by_zone = NULL;
  g_autoptr(SoupSession) session = gcert_test_session_new (NULL, NULL);

  by_zone = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                   (GDestroyNotify) g_ptr_array_unref);
  for (guint i = 0; pdns->zones[i] != NULL; i++)
    {
      const char *zone = pdns->zones[i];
      GPtrArray *rrsets = g_ptr_array_new_with_free_func ((GDestroyNotify) rrset_free);
      g_autofree char *ns = g_strconcat ("ns.", zone, NULL);
      g_autofree char *soa = g_strdup_printf ("%s hostmaster.%s 1 10800 3600 604800 60", ns, zone);

      add_record (rrsets, zone, "SOA", 60, soa);
      add_record (rrsets, zone, "NS", 60, ns);
      add_record (rrsets, ns, "A", 60, "127.0.0.1");
      g_hash_table_insert (by_zone, (char *) zone, rrsets);
    }
  for (guint i = 0; records != NULL && records[i] != NULL; i++)
    {
      if (!parse_record (pdns, records[i], by_zone, error))
        return FALSE;
    }

  {
    guint8 random[32];
    g_autofree char *secret = NULL;
    g_autofree char *json = NULL;
    g_autoptr(GBytes) body = NULL;

    for (guint i = 0; i < sizeof random; i++)
      random[i] = g_random_int_range (0, 256);
    secret = g_base64_encode (random, sizeof random);
    json = tsig_key_json (LOCK_KEY_NAME, "hmac-sha256", secret);
    body = api_request (pdns, session, "POST", "/tsigkeys", json, NULL, error);
    if (body == NULL)
      {
        g_prefix_error (error, "adding TSIG key %s: ", LOCK_KEY_NAME);
        return FALSE;
      }
  }

  for (guint i = 0; pdns->zones[i] != NULL; i++)
    {
      const char *zone = pdns->zones[i];
      g_autofree char *json = zone_json (zone, g_hash_table_lookup (by_zone, zone));
      g_autoptr(GBytes) body = NULL;
      guint rcode = 0, answers = 0;

      body = api_request (pdns, session, "POST", "/zones", json, NULL, error);
      if (body == NULL)
        {
          g_prefix_error (error, "creating zone %s: ", zone);
          return FALSE;
        }
      if (!put_metadata (pdns, zone, "TSIG-ALLOW-DNSUPDATE",
                         (const char * const []) { LOCK_KEY_NAME, NULL }, error))
        return FALSE;
      /* served at once: the caches are off */
      if (!gcert_test_dns_probe (pdns->server, zone, 6 /* SOA */, &rcode, &answers) ||
          rcode != 0 || answers == 0)
        {
          g_set_error (error, GCERT_ERROR, GCERT_ERROR_FAILED,
                       "zone %s was created but its SOA is not served (rcode %u)",
                       zone, rcode);
          return FALSE;
        }
    }
  return TRUE;
}

/* --- start and stop ------------------------------------------------------- */

typedef struct {
  GCertTestPdns *pdns;
  SoupSession   *session;
  gboolean       dns_up;
  gboolean       api_up;
} ReadyProbe;

static gboolean
server_answers (gpointer     user_data,
                const char **out_waiting_for)
{
  ReadyProbe *ready = user_data;

  if (!ready->dns_up)
    ready->dns_up = gcert_test_dns_probe (ready->pdns->server, "probe.invalid.", 6 /* SOA */,
                                          NULL, NULL);
  if (!ready->api_up)
    {
      g_autoptr(GBytes) body = NULL;

      body = api_request (ready->pdns, ready->session, "GET", "", NULL, NULL, NULL);
      ready->api_up = body != NULL;
    }
  if (ready->dns_up && ready->api_up)
    return TRUE;
  if (!ready->dns_up && !ready->api_up)
    *out_waiting_for = "DNS and the API";
  else
    *out_waiting_for = ready->dns_up ? "the API" : "DNS";
  return FALSE;
}

/* Returns FALSE with @retry set when a port was taken in between:
 * pdns_server exits when it cannot bind the DNS port, but keeps running
 * without its webserver when that port is taken, which it logs. */
static gboolean
wait_until_ready (GCertTestPdns  *pdns,
                  gboolean       *retry,
                  GError        **error)
{
  g_autoptr(SoupSession) session = gcert_test_session_new (NULL, NULL);
  g_autofree char *path = log_path (pdns);
  GCertTestProcess process = server_process (pdns, path);
  ReadyProbe ready = { pdns, session, FALSE, FALSE };

  g_object_set (session, "timeout", 2, NULL);
  return gcert_test_wait_ready (&process, 1, READY_TIMEOUT_S, server_answers, &ready, retry,
                                error);
}

static gboolean
start_once (gpointer   user_data,
            gboolean  *retry,
            GError   **error)
{
  GCertTestPdns *pdns = user_data;
  g_autofree char *database = g_build_filename (pdns->tmpdir, "pdns.sqlite3", NULL);
  guint16 dns_port = gcert_test_find_free_port (TRUE);
  guint16 api_port = gcert_test_find_free_port (FALSE);

  *retry = FALSE;
  g_clear_pointer (&pdns->server, g_free);
  g_clear_pointer (&pdns->api_url, g_free);
  pdns->server = g_strdup_printf ("127.0.0.1:%u", dns_port);
  pdns->api_url = g_strdup_printf ("http://127.0.0.1:%u", api_port);

  /* a fresh database each time: nothing of a failed attempt remains */
  if (g_unlink (database) != 0 && errno != ENOENT)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "cannot remove %s: %s", database, g_strerror (saved_errno));
      return FALSE;
    }
  if (!create_database (pdns, database, error) ||
      !write_config (pdns, dns_port, api_port, error) ||
      !spawn_server (pdns, error))
    return FALSE;
  return wait_until_ready (pdns, retry, error);
}

static void
terminate_server (gpointer user_data)
{
  GCertTestPdns *pdns = user_data;

  gcert_test_terminate (&pdns->pid);
}

static char *
random_key (void)
{
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  GString *key = g_string_new ("pdns-");

  for (guint i = 0; i < 32; i++)
    g_string_append_c (key, alphabet[g_random_int_range (0, sizeof alphabet - 1)]);
  return g_string_free (key, FALSE);
}

GCertTestPdns *
gcert_test_pdns_start (const char * const  *zones,
                       const char * const  *records,
                       GError             **error)
{
  g_autoptr(GCertTestPdns) pdns = NULL;
  g_autoptr(GStrvBuilder) zone_names = g_strv_builder_new ();

  g_return_val_if_fail (zones != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  pdns = g_new0 (GCertTestPdns, 1);
  pdns->tmpdir = gcert_test_mkdtemp ("gcert-pdns");
  for (guint i = 0; zones[i] != NULL; i++)
    {
      g_autofree char *name = absolute_name (zones[i]);

      g_strv_builder_add (zone_names, name);
    }
  pdns->zones = g_strv_builder_end (zone_names);

  pdns->api_key = random_key ();
  pdns->api_key_file = g_build_filename (pdns->tmpdir, "api-key", NULL);
  if (!g_file_set_contents_full (pdns->api_key_file, pdns->api_key, -1,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0600, error))
    return NULL;

  if (!gcert_test_start_retrying ("PowerDNS", start_once, terminate_server, pdns, error))
    return NULL;

  {
    g_autoptr(GError) local_error = NULL;

    if (!create_zones (pdns, records, &local_error))
      {
        g_autofree char *path = log_path (pdns);

        gcert_test_error_with_log (error, GCERT_ERROR_FAILED, path, "setting up PowerDNS: %s",
                                   local_error->message);
        return NULL;
      }
  }
  return g_steal_pointer (&pdns);
}

void
gcert_test_pdns_stop (GCertTestPdns *pdns)
{
  if (pdns == NULL)
    return;

  gcert_test_terminate (&pdns->pid);
  if (pdns->tmpdir != NULL)
    gcert_test_rm_rf (pdns->tmpdir);
  g_free (pdns->tmpdir);
  g_free (pdns->server);
  g_free (pdns->api_url);
  g_free (pdns->api_key);
  g_free (pdns->api_key_file);
  g_strfreev (pdns->zones);
  g_free (pdns);
}

gboolean
gcert_test_pdns_check_alive (GCertTestPdns  *pdns,
                             GError        **error)
{
  g_autofree char *path = NULL;
  GCertTestProcess process;

  g_return_val_if_fail (pdns != NULL, FALSE);

  path = log_path (pdns);
  process = server_process (pdns, path);
  return gcert_test_process_check_alive (&process, error);
}

/* --- helpers for tests ---------------------------------------------------- */

static char *
strip_dot (const char *name)
{
  g_autofree char *lower = g_ascii_strdown (name, -1);
  gsize length = strlen (lower);

  if (length > 0 && lower[length - 1] == '.')
    lower[length - 1] = '\0';
  return g_steal_pointer (&lower);
}

/* the metadata values of @kind at @zone (empty when none) */
static GStrv
get_metadata (GCertTestPdns  *pdns,
              const char     *zone,
              const char     *kind,
              GError        **error)
{
  g_autofree char *suffix = g_strconcat ("/metadata/", kind, NULL);
  g_autofree char *path = zone_path (zone, suffix);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GStrvBuilder) values = g_strv_builder_new ();
  guint status = 0;
  g_autoptr(GError) local_error = NULL;
  JsonNode *root;

  body = gcert_test_pdns_api (pdns, "GET", path, NULL, &status, &local_error);
  if (body == NULL)
    {
      if (status == 404)
        return g_strv_builder_end (values);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  if (!json_parser_load_from_data (parser, g_bytes_get_data (body, NULL),
                                   g_bytes_get_size (body), error))
    return NULL;
  root = json_parser_get_root (parser);
  if (root != NULL && JSON_NODE_HOLDS_OBJECT (root))
    {
      JsonObject *object = json_node_get_object (root);
      JsonNode *member = json_object_get_member (object, "metadata");

      if (member != NULL && JSON_NODE_HOLDS_ARRAY (member))
        {
          JsonArray *array = json_node_get_array (member);

          for (guint i = 0; i < json_array_get_length (array); i++)
            {
              const char *value = json_array_get_string_element (array, i);

              if (value != NULL)
                g_strv_builder_add (values, value);
            }
        }
    }
  return g_strv_builder_end (values);
}

gboolean
gcert_test_pdns_allow_update (GCertTestPdns  *pdns,
                              const char     *zone,
                              const char     *key_name,
                              const char     *algorithm,
                              const char     *secret_base64,
                              GError        **error)
{
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *name = NULL;
  g_autofree char *algo = NULL;
  g_autofree char *absolute_zone = NULL;
  g_autofree char *json = NULL;
  g_auto(GStrv) allowed = NULL;
  guint status = 0;

  g_return_val_if_fail (pdns != NULL, FALSE);
  g_return_val_if_fail (zone != NULL, FALSE);
  g_return_val_if_fail (key_name != NULL, FALSE);
  g_return_val_if_fail (algorithm != NULL, FALSE);
  g_return_val_if_fail (secret_base64 != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  name = strip_dot (key_name);
  algo = strip_dot (algorithm);
  absolute_zone = absolute_name (zone);
  json = tsig_key_json (name, algo, secret_base64);

  body = gcert_test_pdns_api (pdns, "POST", "/tsigkeys", json, &status, &local_error);
  if (body == NULL && status == 409)
    {
      /* the key exists (another zone allowed it first): make it this one */
      g_autofree char *id = g_strconcat (name, ".", NULL);
      g_autofree char *escaped = g_uri_escape_string (id, NULL, FALSE);
      g_autofree char *path = g_strconcat ("/tsigkeys/", escaped, NULL);

      g_clear_error (&local_error);
      body = gcert_test_pdns_api (pdns, "PUT", path, json, NULL, &local_error);
    }
  if (body == NULL)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                  "adding TSIG key %s: ", name);
      return FALSE;
    }

  allowed = get_metadata (pdns, absolute_zone, "TSIG-ALLOW-DNSUPDATE", error);
  if (allowed == NULL)
    {
      g_prefix_error (error, "reading the TSIG-ALLOW-DNSUPDATE metadata of %s: ", absolute_zone);
      return FALSE;
    }
  /* the keys allowed before, without the one nobody knows */
  for (guint i = 0; allowed[i] != NULL; i++)
    {
      g_autofree char *other = strip_dot (allowed[i]);

      if (!g_str_equal (other, name) && !g_str_equal (other, LOCK_KEY_NAME))
        g_ptr_array_add (keys, g_strdup (allowed[i]));
    }
  g_ptr_array_add (keys, g_strdup (name));
  g_ptr_array_add (keys, NULL);
  return put_metadata (pdns, absolute_zone, "TSIG-ALLOW-DNSUPDATE",
                       (const char * const *) keys->pdata, error);
}

static char *
quote_txt (const char *value)
{
  GString *quoted = g_string_new ("\"");

  for (const char *p = value; *p != '\0'; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_c (quoted, '\\');
      g_string_append_c (quoted, *p);
    }
  g_string_append_c (quoted, '"');
  return g_string_free (quoted, FALSE);
}

gboolean
gcert_test_pdns_set_txt (GCertTestPdns       *pdns,
                         const char          *fqdn,
                         const char * const  *values,
                         GError             **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GBytes) body = NULL;
  g_autofree char *owner = NULL;
  g_autofree char *json = NULL;
  g_autofree char *path = NULL;
  RRset rrset = { NULL, (char *) "TXT", 60, NULL };
  const char *zone;
  gboolean delete;

  g_return_val_if_fail (pdns != NULL, FALSE);
  g_return_val_if_fail (fqdn != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  owner = absolute_name (fqdn);
  zone = zone_of (pdns, owner);
  if (zone == NULL)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_NOT_FOUND,
                   "%s is in none of the fixture's zones", owner);
      return FALSE;
    }

  rrset.name = owner;
  rrset.contents = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; values != NULL && values[i] != NULL; i++)
    g_ptr_array_add (rrset.contents, quote_txt (values[i]));
  delete = rrset.contents->len == 0;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "rrsets");
  json_builder_begin_array (builder);
  build_rrset (builder, &rrset, delete ? "DELETE" : "REPLACE");
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  g_ptr_array_unref (rrset.contents);
  json = builder_to_string (builder);

  path = zone_path (zone, "");
  body = gcert_test_pdns_api (pdns, "PATCH", path, json, NULL, error);
  if (body == NULL)
    {
      g_prefix_error (error, "setting TXT at %s: ", owner);
      return FALSE;
    }
  return TRUE;
}
