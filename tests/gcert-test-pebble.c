/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "gcert-test-pebble.h"
#include "gcert-test-util.h"

#define START_ATTEMPTS      5
#define READY_TIMEOUT_US    (30 * G_USEC_PER_SEC)
#define POLL_INTERVAL_US    (50 * 1000)
#define STOP_TIMEOUT_US     (5 * G_USEC_PER_SEC)
#define LOG_TAIL_CHARS      4000

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

static void
child_setup (gpointer user_data)
{
  /* servers must not outlive a test that aborts */
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static gboolean
spawn_logged (const char          *workdir,
              const char * const  *argv,
              char               **envp,
              const char          *log_path,
              GPid                *out_pid,
              GError             **error)
{
  int fd;
  gboolean ok;

  fd = g_open (log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "cannot create %s: %s", log_path, g_strerror (saved_errno));
      return FALSE;
    }
  ok = g_spawn_async_with_fds (workdir, (char **) argv, envp,
                               G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_SEARCH_PATH,
                               child_setup, NULL, out_pid, -1, fd, fd, error);
  close (fd);
  if (!ok)
    g_prefix_error (error, "starting %s: ", argv[0]);
  return ok;
}

/* TRUE once @pid has exited (and is reaped); @pid is then set to 0 */
static gboolean
reap_if_exited (GPid *pid)
{
  int status;
  pid_t rc;

  if (*pid <= 0)
    return TRUE;
  do
    rc = waitpid (*pid, &status, WNOHANG);
  while (rc < 0 && errno == EINTR);
  if (rc == 0)
    return FALSE;
  /* rc == pid, or ECHILD: somebody else reaped it */
  g_spawn_close_pid (*pid);
  *pid = 0;
  return TRUE;
}

static void
terminate_child (GPid *pid)
{
  gint64 deadline;

  if (*pid <= 0)
    return;
  kill (*pid, SIGTERM);
  deadline = g_get_monotonic_time () + STOP_TIMEOUT_US;
  while (!reap_if_exited (pid))
    {
      if (g_get_monotonic_time () > deadline)
        {
          int status;

          kill (*pid, SIGKILL);
          while (waitpid (*pid, &status, 0) < 0 && errno == EINTR)
            ;
          g_spawn_close_pid (*pid);
          *pid = 0;
          return;
        }
      g_usleep (10 * 1000);
    }
}

static char *
read_log_tail (const char *tmpdir,
               const char *name)
{
  g_autofree char *path = g_build_filename (tmpdir, name, NULL);
  g_autofree char *contents = NULL;
  gsize length = 0;

  if (!g_file_get_contents (path, &contents, &length, NULL))
    return g_strdup ("(no log)");
  if (length > LOG_TAIL_CHARS)
    return g_strdup (contents + length - LOG_TAIL_CHARS);
  return g_steal_pointer (&contents);
}

static gboolean
log_says_port_taken (const char *tmpdir,
                     const char *name)
{
  g_autofree char *tail = read_log_tail (tmpdir, name);

  return strstr (tail, "address already in use") != NULL;
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

static SoupSession *
fixture_session_new (const char  *ca_file,
                     GError     **error)
{
  g_autoptr(GTlsDatabase) database = NULL;

  database = g_tls_file_database_new (ca_file, error);
  if (database == NULL)
    return NULL;
  return soup_session_new_with_options ("tls-database", database,
                                        "proxy-resolver", NULL,
                                        "timeout", 10,
                                        "user-agent", "gcert-test-fixture",
                                        NULL);
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
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) body = NULL;
  guint status;

  session = fixture_session_new (pebble->ca_certificates, error);
  if (session == NULL)
    return NULL;
  msg = soup_message_new (method, url);
  if (msg == NULL)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                   "invalid URL %s", url);
      return NULL;
    }
  if (json_body != NULL)
    {
      g_autoptr(GBytes) request = g_bytes_new (json_body, strlen (json_body));

      soup_message_set_request_body_from_bytes (msg, "application/json", request);
    }
  body = soup_session_send_and_read (session, msg, NULL, error);
  if (body == NULL)
    {
      g_prefix_error (error, "%s %s: ", method, url);
      return NULL;
    }
  status = soup_message_get_status (msg);
  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_FAILED,
                   "%s %s: HTTP %u: %.*s", method, url, status,
                   (int) MIN (g_bytes_get_size (body), 500),
                   (const char *) g_bytes_get_data (body, NULL));
      return NULL;
    }
  return g_steal_pointer (&body);
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

/* challtestsrv keeps running when it cannot bind its DNS port: ask it */
static gboolean
probe_dns (const char *dns_server)
{
  static const guint8 query[] = {
    0x67, 0x63, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    5, 'p', 'r', 'o', 'b', 'e', 4, 't', 'e', 's', 't', 0,
    0x00, 0x01, 0x00, 0x01,
  };
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketConnectable) connectable = NULL;
  g_autoptr(GSocketAddressEnumerator) enumerator = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  guint8 answer[512];
  gssize received;

  connectable = g_network_address_parse (dns_server, 53, NULL);
  if (connectable == NULL)
    return FALSE;
  enumerator = g_socket_connectable_enumerate (connectable);
  address = g_socket_address_enumerator_next (enumerator, NULL, NULL);
  if (address == NULL)
    return FALSE;
  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                         G_SOCKET_PROTOCOL_UDP, NULL);
  if (socket == NULL)
    return FALSE;
  g_socket_set_timeout (socket, 1);
  if (g_socket_send_to (socket, address, (const char *) query, sizeof query,
                        NULL, NULL) != sizeof query)
    return FALSE;
  received = g_socket_receive (socket, (char *) answer, sizeof answer, NULL, NULL);
  return received >= 12 && answer[0] == query[0] && answer[1] == query[1];
}

static gboolean
child_died_error (GCertTestPebble  *pebble,
                  const char       *what,
                  const char       *log_name,
                  GError          **error)
{
  g_autofree char *tail = read_log_tail (pebble->tmpdir, log_name);

  g_set_error (error, GCERT_ERROR, GCERT_ERROR_FAILED,
               "%s exited during start; its log:\n%s", what, tail);
  return FALSE;
}

/* Returns FALSE with @retry set when a port was taken in between. */
static gboolean
wait_until_ready (GCertTestPebble  *pebble,
                  gboolean         *retry,
                  GError          **error)
{
  g_autoptr(SoupSession) session = NULL;
  g_autofree char *roots_url = NULL;
  gboolean challtestsrv_up = FALSE;
  gboolean pebble_up = FALSE;
  gint64 deadline;

  *retry = FALSE;
  session = fixture_session_new (pebble->ca_certificates, error);
  if (session == NULL)
    return FALSE;
  g_object_set (session, "timeout", 2, NULL);
  roots_url = g_strconcat (pebble->management_url, "/roots/0", NULL);
  deadline = g_get_monotonic_time () + READY_TIMEOUT_US;

  while (TRUE)
    {
      if (reap_if_exited (&pebble->challtestsrv_pid))
        {
          *retry = log_says_port_taken (pebble->tmpdir, "challtestsrv.log");
          return child_died_error (pebble, "pebble-challtestsrv",
                                   "challtestsrv.log", error);
        }
      if (reap_if_exited (&pebble->pebble_pid))
        {
          *retry = log_says_port_taken (pebble->tmpdir, "pebble.log");
          return child_died_error (pebble, "pebble", "pebble.log", error);
        }

      if (log_says_port_taken (pebble->tmpdir, "challtestsrv.log"))
        {
          g_autofree char *tail = read_log_tail (pebble->tmpdir, "challtestsrv.log");

          *retry = TRUE;
          g_set_error (error, GCERT_ERROR, GCERT_ERROR_FAILED,
                       "pebble-challtestsrv could not listen; its log:\n%s", tail);
          return FALSE;
        }

      if (!challtestsrv_up)
        challtestsrv_up = probe (session, pebble->challtestsrv_url, FALSE) &&
                          probe_dns (pebble->dns_server);
      if (!pebble_up)
        pebble_up = probe (session, pebble->directory_url, TRUE) &&
                    probe (session, roots_url, TRUE);
      if (challtestsrv_up && pebble_up)
        return TRUE;

      if (g_get_monotonic_time () > deadline)
        {
          g_autofree char *pebble_log = read_log_tail (pebble->tmpdir, "pebble.log");
          g_autofree char *challtestsrv_log = read_log_tail (pebble->tmpdir,
                                                             "challtestsrv.log");

          g_set_error (error, GCERT_ERROR, GCERT_ERROR_TIMED_OUT,
                       "servers did not answer within %d s (pebble %s, "
                       "challtestsrv %s)\npebble log:\n%s\nchalltestsrv log:\n%s",
                       (int) (READY_TIMEOUT_US / G_USEC_PER_SEC),
                       pebble_up ? "up" : "down",
                       challtestsrv_up ? "up" : "down",
                       pebble_log, challtestsrv_log);
          return FALSE;
        }
      g_usleep (POLL_INTERVAL_US);
    }
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

static gboolean
start_once (GCertTestPebble               *pebble,
            const GCertTestPebbleOptions  *options,
            const char                    *cert_file,
            const char                    *key_file,
            gboolean                      *retry,
            GError                       **error)
{
  g_auto(GStrv) envp = NULL;
  g_autofree char *config = NULL;
  g_autofree char *config_path = NULL;
  g_autofree char *listen = NULL;
  g_autofree char *management = NULL;
  g_autofree char *management_listen = NULL;
  g_autofree char *challtestsrv_log = NULL;
  g_autofree char *pebble_log = NULL;
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
  config = build_pebble_config (listen, management_listen, cert_file, key_file,
                                gcert_test_find_free_port (FALSE),
                                gcert_test_find_free_port (FALSE));
  config_path = g_build_filename (pebble->tmpdir, "pebble-config.json", NULL);
  if (!g_file_set_contents_full (config_path, config, -1,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0600, error))
    return FALSE;

  envp = pebble_environment (options);
  challtestsrv_log = g_build_filename (pebble->tmpdir, "challtestsrv.log", NULL);
  pebble_log = g_build_filename (pebble->tmpdir, "pebble.log", NULL);

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

    if (!spawn_logged (pebble->tmpdir, argv, envp, challtestsrv_log,
                       &pebble->challtestsrv_pid, error))
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

    if (!spawn_logged (pebble->tmpdir, argv, envp, pebble_log,
                       &pebble->pebble_pid, error))
      return FALSE;
  }

  return wait_until_ready (pebble, retry, error);
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

  for (guint attempt = 1; ; attempt++)
    {
      g_autoptr(GError) local_error = NULL;
      gboolean retry = FALSE;

      if (start_once (pebble, options, cert_file, key_file, &retry, &local_error))
        break;
      terminate_child (&pebble->pebble_pid);
      terminate_child (&pebble->challtestsrv_pid);
      if (!retry || attempt >= START_ATTEMPTS)
        {
          g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                      "starting Pebble: ");
          return NULL;
        }
    }

  return g_steal_pointer (&pebble);
}

void
gcert_test_pebble_stop (GCertTestPebble *pebble)
{
  if (pebble == NULL)
    return;

  terminate_child (&pebble->pebble_pid);
  terminate_child (&pebble->challtestsrv_pid);
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
  g_return_val_if_fail (pebble != NULL, FALSE);

  if (reap_if_exited (&pebble->pebble_pid))
    {
      g_autofree char *tail = read_log_tail (pebble->tmpdir, "pebble.log");

      g_set_error (error, GCERT_ERROR, GCERT_ERROR_FAILED,
                   "pebble is not running; its log:\n%s", tail);
      return FALSE;
    }
  if (reap_if_exited (&pebble->challtestsrv_pid))
    {
      g_autofree char *tail = read_log_tail (pebble->tmpdir, "challtestsrv.log");

      g_set_error (error, GCERT_ERROR, GCERT_ERROR_FAILED,
                   "pebble-challtestsrv is not running; its log:\n%s", tail);
      return FALSE;
    }
  return TRUE;
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
