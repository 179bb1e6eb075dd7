/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "gcert-test-pebble.h"
#include "gcert-test-util.h"

#define READY_TIMEOUT_S     30
#define CHALLTESTSRV_LOG    "challtestsrv.log"
#define PEBBLE_LOG          "pebble.log"

guint16
gcert_test_find_free_port (gboolean udp_too)
{
  for (guint attempt = 0; attempt < 100; attempt++)
    {
      g_autoptr(GSocket) tcp = NULL;
      g_autoptr(GSocket) udp = NULL;
      g_autoptr(GInetAddress) loopback = NULL;
      g_autoptr(GSocketAddress) any_port = NULL;
      g_autoptr(GSocketAddress) bound = NULL;
      g_autoptr(GError) error = NULL;
      guint16 port;

      loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
      any_port = g_inet_socket_address_new (loopback, 0);
      tcp = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                          G_SOCKET_PROTOCOL_TCP, &error);
      g_assert_no_error (error);
      if (!g_socket_bind (tcp, any_port, FALSE, NULL))
        continue;
      bound = g_socket_get_local_address (tcp, &error);
      g_assert_no_error (error);
      port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));

      if (udp_too)
        {
          g_autoptr(GSocketAddress) same_port = NULL;

          udp = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                              G_SOCKET_PROTOCOL_UDP, &error);
          g_assert_no_error (error);
          same_port = g_inet_socket_address_new (loopback, port);
          if (!g_socket_bind (udp, same_port, FALSE, NULL))
            continue;
        }
      return port;
    }

  g_error ("no free loopback port found");
  return 0;
}

static char *
build_pebble_config (const char *listen,
                     const char *management,
                     const char *cert_file,
                     const char *key_file,
                     guint16     http_port,
                     guint16     tls_port)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "pebble");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "listenAddress");
  json_builder_add_string_value (builder, listen);
  json_builder_set_member_name (builder, "managementListenAddress");
  json_builder_add_string_value (builder, management);
  json_builder_set_member_name (builder, "certificate");
  json_builder_add_string_value (builder, cert_file);
  json_builder_set_member_name (builder, "privateKey");
  json_builder_add_string_value (builder, key_file);
  /* where the validator would connect for HTTP-01 and TLS-ALPN-01: unused */
  json_builder_set_member_name (builder, "httpPort");
  json_builder_add_int_value (builder, http_port);
  json_builder_set_member_name (builder, "tlsPort");
  json_builder_add_int_value (builder, tls_port);
  json_builder_set_member_name (builder, "ocspResponderURL");
  json_builder_add_string_value (builder, "");
  json_builder_set_member_name (builder, "externalAccountBindingRequired");
  json_builder_add_boolean_value (builder, FALSE);
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  return json_generator_to_data (generator, NULL);
}

/* A synchronous request to one of the fixture's own servers. Returns the
 * body of a 2xx answer. */
static GBytes *
fixture_request (GCertTestPebble  *pebble,
                 const char       *method,
                 const char       *url,
                 const char       *json_body,
                 GError          **error)
{
  g_autoptr(SoupSession) session = NULL;

  session = gcert_test_session_new (pebble->ca_certificates, error);
  if (session == NULL)
    return NULL;
  return gcert_test_http_request (session, method, url, NULL, NULL, json_body, NULL, error);
}

/* any HTTP answer at all means the server is up */
static gboolean
probe (SoupSession *session,
       const char  *url,
       gboolean     need_ok)
{
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr(GBytes) body = NULL;

  body = soup_session_send_and_read (session, msg, NULL, NULL);
  if (body == NULL)
    return FALSE;
  return !need_ok || soup_message_get_status (msg) == SOUP_STATUS_OK;
}

/* Pebble's two children, as the helpers of gcert-test-util.h watch them */
typedef struct {
  char             *logs[2];
  GCertTestProcess  processes[2];
} Children;

static void
children_init (Children        *children,
               GCertTestPebble *pebble)
{
  children->logs[0] = g_build_filename (pebble->tmpdir, CHALLTESTSRV_LOG, NULL);
  children->logs[1] = g_build_filename (pebble->tmpdir, PEBBLE_LOG, NULL);
  children->processes[0] = (GCertTestProcess) { "pebble-challtestsrv",
                                                &pebble->challtestsrv_pid,
                                                children->logs[0] };
  children->processes[1] = (GCertTestProcess) { "pebble", &pebble->pebble_pid,
                                                children->logs[1] };
}

static void
children_clear (Children *children)
{
  g_free (children->logs[0]);
  g_free (children->logs[1]);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Children, children_clear)

typedef struct {
  GCertTestPebble *pebble;
  SoupSession     *session;
  char            *roots_url;
  gboolean         challtestsrv_up;
  gboolean         pebble_up;
} ReadyProbe;

static gboolean
servers_answer (gpointer     user_data,
                const char **out_waiting_for)
{
  ReadyProbe *ready = user_data;
  GCertTestPebble *pebble = ready->pebble;

  /* challtestsrv keeps running when it cannot bind its DNS port: ask it */
  if (!ready->challtestsrv_up)
    ready->challtestsrv_up = probe (ready->session, pebble->challtestsrv_url, FALSE) &&
                             gcert_test_dns_probe (pebble->dns_server, "probe.test.",
                                                   1 /* A */, NULL, NULL);
  if (!ready->pebble_up)
    ready->pebble_up = probe (ready->session, pebble->directory_url, TRUE) &&
                       probe (ready->session, ready->roots_url, TRUE);
  if (ready->challtestsrv_up && ready->pebble_up)
    return TRUE;
  if (!ready->challtestsrv_up && !ready->pebble_up)
    *out_waiting_for = "pebble and pebble-challtestsrv";
  else
    *out_waiting_for = ready->pebble_up ? "pebble-challtestsrv" : "pebble";
  return FALSE;
}

/* Returns FALSE with @retry set when a port was taken in between. */
static gboolean
wait_until_ready (GCertTestPebble  *pebble,
                  Children         *children,
                  gboolean         *retry,
                  GError          **error)
{
  g_autoptr(SoupSession) session = NULL;
  g_autofree char *roots_url = NULL;
  ReadyProbe ready = { pebble, NULL, NULL, FALSE, FALSE };

  *retry = FALSE;
  session = gcert_test_session_new (pebble->ca_certificates, error);
  if (session == NULL)
    return FALSE;
  g_object_set (session, "timeout", 2, NULL);
  roots_url = g_strconcat (pebble->management_url, "/roots/0", NULL);
  ready.session = session;
  ready.roots_url = roots_url;

  return gcert_test_wait_ready (children->processes, G_N_ELEMENTS (children->processes),
                                READY_TIMEOUT_S, servers_answer, &ready, retry, error);
}

static char **
pebble_environment (const GCertTestPebbleOptions *options)
{
  char **envp = g_get_environ ();

  envp = g_environ_setenv (envp, "PEBBLE_VA_NOSLEEP", "1", TRUE);
  if (options->nonce_reject >= 0)
    {
      g_autofree char *value = g_strdup_printf ("%d", options->nonce_reject);

      envp = g_environ_setenv (envp, "PEBBLE_WFE_NONCEREJECT", value, TRUE);
    }
  else
    {
      envp = g_environ_unsetenv (envp, "PEBBLE_WFE_NONCEREJECT");
    }
  if (options->authz_reuse >= 0)
    {
      g_autofree char *value = g_strdup_printf ("%d", options->authz_reuse);

      envp = g_environ_setenv (envp, "PEBBLE_AUTHZREUSE", value, TRUE);
    }
  else
    {
      envp = g_environ_unsetenv (envp, "PEBBLE_AUTHZREUSE");
    }
  return envp;
}

static void
clear_urls (GCertTestPebble *pebble)
{
  g_clear_pointer (&pebble->directory_url, g_free);
  g_clear_pointer (&pebble->management_url, g_free);
  g_clear_pointer (&pebble->challtestsrv_url, g_free);
  g_clear_pointer (&pebble->dns_server, g_free);
  g_clear_pointer (&pebble->validation_dns, g_free);
}

/* What each try at starting needs */
typedef struct {
  GCertTestPebble               *pebble;
  const GCertTestPebbleOptions  *options;
  const char                    *cert_file;
  const char                    *key_file;
} Start;

static gboolean
start_once (gpointer   user_data,
            gboolean  *retry,
            GError   **error)
{
  Start *start = user_data;
  GCertTestPebble *pebble = start->pebble;
  const GCertTestPebbleOptions *options = start->options;
  g_auto(Children) children = { 0 };
  g_auto(GStrv) envp = NULL;
  g_autofree char *config = NULL;
  g_autofree char *config_path = NULL;
  g_autofree char *listen = NULL;
  g_autofree char *management = NULL;
  g_autofree char *management_listen = NULL;
  guint16 dns_port, challtestsrv_port, pebble_port, management_port;

  *retry = FALSE;
  dns_port = gcert_test_find_free_port (TRUE);
  challtestsrv_port = gcert_test_find_free_port (FALSE);
  pebble_port = gcert_test_find_free_port (FALSE);
  management_port = gcert_test_find_free_port (FALSE);

  clear_urls (pebble);
  pebble->dns_server = g_strdup_printf ("127.0.0.1:%u", dns_port);
  pebble->validation_dns = g_strdup (options->dns_server != NULL ? options->dns_server
                                                                  : pebble->dns_server);
  pebble->challtestsrv_url = g_strdup_printf ("http://127.0.0.1:%u", challtestsrv_port);
  pebble->directory_url = g_strdup_printf ("https://127.0.0.1:%u/dir", pebble_port);
  pebble->management_url = g_strdup_printf ("https://127.0.0.1:%u", management_port);

  listen = g_strdup_printf ("127.0.0.1:%u", pebble_port);
  management_listen = g_strdup_printf ("127.0.0.1:%u", management_port);
  config = build_pebble_config (listen, management_listen, start->cert_file, start->key_file,
                                gcert_test_find_free_port (FALSE),
                                gcert_test_find_free_port (FALSE));
  config_path = g_build_filename (pebble->tmpdir, "pebble-config.json", NULL);
  if (!g_file_set_contents_full (config_path, config, -1,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0600, error))
    return FALSE;

  envp = pebble_environment (options);
  children_init (&children, pebble);

  management = g_strdup_printf ("127.0.0.1:%u", challtestsrv_port);
  {
    const char *argv[] = {
      "pebble-challtestsrv",
      "-dns01", pebble->dns_server,
      "-management", management,
      "-http01", "",
      "-https01", "",
      "-tlsalpn01", "",
      NULL
    };

    if (!gcert_test_spawn_logged (pebble->tmpdir, argv, (const char * const *) envp,
                                  children.logs[0], NULL, &pebble->challtestsrv_pid, error))
      return FALSE;
  }
  {
    const char *argv[] = {
      "pebble",
      "-config", config_path,
      "-dnsserver", pebble->validation_dns,
      options->strict ? "-strict" : NULL,
      NULL
    };

    if (!gcert_test_spawn_logged (pebble->tmpdir, argv, (const char * const *) envp,
                                  children.logs[1], NULL, &pebble->pebble_pid, error))
      return FALSE;
  }

  return wait_until_ready (pebble, &children, retry, error);
}

static void
terminate_children (gpointer user_data)
{
  Start *start = user_data;

  gcert_test_terminate (&start->pebble->pebble_pid);
  gcert_test_terminate (&start->pebble->challtestsrv_pid);
}

GCertTestPebble *
gcert_test_pebble_start (const GCertTestPebbleOptions  *options,
                         GError                       **error)
{
  static const GCertTestPebbleOptions defaults = GCERT_TEST_PEBBLE_OPTIONS_INIT;
  static const char * const tls_names[] = { "127.0.0.1", "localhost", NULL };
  g_autoptr(GCertTestPebble) pebble = NULL;
  g_autofree char *tls_dir = NULL;
  g_autofree char *cert_file = NULL;
  g_autofree char *key_file = NULL;
  Start start;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (options == NULL)
    options = &defaults;

  pebble = g_new0 (GCertTestPebble, 1);
  pebble->tmpdir = gcert_test_mkdtemp ("gcert-pebble");
  tls_dir = g_build_filename (pebble->tmpdir, "tls", NULL);
  if (g_mkdir (tls_dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "cannot create %s: %s", tls_dir, g_strerror (saved_errno));
      return NULL;
    }
  if (!gcert_test_make_tls_pair (tls_dir, tls_names, &pebble->ca_certificates,
                                 &cert_file, &key_file, error))
    {
      g_prefix_error (error, "making Pebble's TLS certificate: ");
      return NULL;
    }

  start = (Start) { pebble, options, cert_file, key_file };
  if (!gcert_test_start_retrying ("Pebble", start_once, terminate_children, &start, error))
    return NULL;
  return g_steal_pointer (&pebble);
}

void
gcert_test_pebble_stop (GCertTestPebble *pebble)
{
  if (pebble == NULL)
    return;

  gcert_test_terminate (&pebble->pebble_pid);
  gcert_test_terminate (&pebble->challtestsrv_pid);
  if (pebble->tmpdir != NULL)
    gcert_test_rm_rf (pebble->tmpdir);
  clear_urls (pebble);
  g_free (pebble->ca_certificates);
  g_free (pebble->tmpdir);
  g_free (pebble);
}

gboolean
gcert_test_pebble_check_alive (GCertTestPebble  *pebble,
                               GError          **error)
{
  g_auto(Children) children = { 0 };

  g_return_val_if_fail (pebble != NULL, FALSE);

  children_init (&children, pebble);
  return gcert_test_process_check_alive (&children.processes[1], error) &&
         gcert_test_process_check_alive (&children.processes[0], error);
}

char *
gcert_test_pebble_get_root (GCertTestPebble  *pebble,
                            GError          **error)
{
  g_autofree char *url = NULL;
  g_autoptr(GBytes) body = NULL;
  const char *data;
  gsize length;

  g_return_val_if_fail (pebble != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  url = g_strconcat (pebble->management_url, "/roots/0", NULL);
  body = fixture_request (pebble, "GET", url, NULL, error);
  if (body == NULL)
    return NULL;
  data = g_bytes_get_data (body, &length);
  if (length == 0 || !g_str_has_prefix (data, "-----BEGIN CERTIFICATE-----"))
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                   "%s did not return a PEM certificate", url);
      return NULL;
    }
  return g_strndup (data, length);
}

static gboolean
check_host (const char  *host,
            GError     **error)
{
  gsize length = strlen (host);

  if (length < 2 || host[length - 1] != '.')
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                   "host name '%s' must be fully qualified (end with a dot)", host);
      return FALSE;
    }
  return TRUE;
}

static char *
txt_request_json (const char *host,
                  const char *value)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "host");
  json_builder_add_string_value (builder, host);
  if (value != NULL)
    {
      json_builder_set_member_name (builder, "value");
      json_builder_add_string_value (builder, value);
    }
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

gboolean
gcert_test_pebble_set_txt (GCertTestPebble  *pebble,
                           const char       *host,
                           const char       *value,
                           GError          **error)
{
  g_autofree char *url = NULL;
  g_autofree char *json = NULL;
  g_autoptr(GBytes) body = NULL;

  g_return_val_if_fail (pebble != NULL, FALSE);
  g_return_val_if_fail (host != NULL, FALSE);
  g_return_val_if_fail (value != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_host (host, error))
    return FALSE;
  url = g_strconcat (pebble->challtestsrv_url, "/set-txt", NULL);
  json = txt_request_json (host, value);
  body = fixture_request (pebble, "POST", url, json, error);
  return body != NULL;
}

gboolean
gcert_test_pebble_clear_txt (GCertTestPebble  *pebble,
                             const char       *host,
                             GError          **error)
{
  g_autofree char *url = NULL;
  g_autofree char *json = NULL;
  g_autoptr(GBytes) body = NULL;

  g_return_val_if_fail (pebble != NULL, FALSE);
  g_return_val_if_fail (host != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_host (host, error))
    return FALSE;
  url = g_strconcat (pebble->challtestsrv_url, "/clear-txt", NULL);
  json = txt_request_json (host, NULL);
  body = fixture_request (pebble, "POST", url, json, error);
  return body != NULL;
}

char *
gcert_test_pebble_config (GCertTestPebble *pebble,
                          const char      *state_dir,
                          const char      *extra)
{
  GString *text;

  g_return_val_if_fail (pebble != NULL, NULL);
  g_return_val_if_fail (state_dir != NULL, NULL);

  text = g_string_new (NULL);
  g_string_append_printf (text,
                          "[gcert]\n"
                          "ca = %s\n"
                          "ca-certificates = %s\n"
                          "state-dir = %s\n"
                          "resolvers = %s\n"
                          "propagation-timeout = 20s\n"
                          "\n"
                          "[dns test]\n"
                          "plugin = challtestsrv\n"
                          "url = %s\n",
                          pebble->directory_url, pebble->ca_certificates,
                          state_dir, pebble->validation_dns,
                          pebble->challtestsrv_url);
  if (extra != NULL && *extra != '\0')
    {
      g_string_append_c (text, '\n');
      g_string_append (text, extra);
    }
  return g_string_free (text, FALSE);
}

GTlsCertificate *
gcert_test_pebble_get_tls_certificate (GCertTestPebble  *pebble,
                                       GError          **error)
{
  g_autofree char *cert_file = NULL;
  g_autofree char *key_file = NULL;

  g_return_val_if_fail (pebble != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  cert_file = g_build_filename (pebble->tmpdir, "tls", "cert.pem", NULL);
  key_file = g_build_filename (pebble->tmpdir, "tls", "key.pem", NULL);
  return g_tls_certificate_new_from_files (cert_file, key_file, error);
}
