/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>
#include <sys/stat.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "gcert.h"
#include "gcert-test-dns-server.h"
#include "gcert-test-pebble.h"
#include "gcert-test-util.h"

/* The rfc2136 DNS provider against real Knot and BIND servers, and
 * gcertctl issuing a wildcard certificate through it with Pebble's
 * validator asking Knot. */

static const char * const zones[] = { "example.test", "deep.example.test", NULL };

/* one server of each kind for the whole program; each test uses names of
 * its own */
static GCertTestDnsServer *knot;
static GCertTestDnsServer *bind9;

static GCertTestDnsServer *
server_for (gconstpointer backend)
{
  return g_str_equal (backend, "knot") ? knot : bind9;
}

typedef struct {
  char               *dir;
  char               *config_path;
  GCertTestDnsServer *server;
  /* every secret the test knows: none may appear in an error */
  GPtrArray          *secrets;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  backend)
{
  f->dir = gcert_test_mkdtemp ("gcert-rfc2136-test");
  f->config_path = g_build_filename (f->dir, "gcert.conf", NULL);
  f->server = backend != NULL ? server_for (backend) : knot;
  f->secrets = g_ptr_array_new_null_terminated (4, g_free, TRUE);
  g_ptr_array_add (f->secrets, g_strdup (f->server->key_secret));
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  backend)
{
  g_autoptr(GError) error = NULL;

  gcert_test_dns_server_check_alive (f->server, &error);
  g_assert_no_error (error);
  gcert_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->config_path);
  g_ptr_array_unref (f->secrets);
}

/* a valid secret the server does not know */
static char *
other_secret (Fixture *f)
{
  guint8 bytes[32];
  char *secret;

  for (guint i = 0; i < sizeof bytes; i++)
    bytes[i] = g_random_int_range (0, 256);
  secret = g_base64_encode (bytes, sizeof bytes);
  g_ptr_array_add (f->secrets, g_strdup (secret));
  return secret;
}

/* no secret in @text, not even its first 12 characters */
static void
assert_no_secret (Fixture    *f,
                  const char *text)
{
  gcert_test_assert_no_secrets (text, (const char * const *) f->secrets->pdata, 12);
}

/* A [dns test] group with @body, written to the fixture's config file;
 * returns the text. */
static char *
write_config (Fixture    *f,
              const char *body)
{
  char *text = g_strconcat ("[dns test]\nplugin = rfc2136\n", body, NULL);

  gcert_test_write_file (f->config_path, text, 0600);
  return text;
}

static GCertDnsProvider *
load_good_provider (Fixture    *f,
                    const char *body)
{
  g_autofree char *text = write_config (f, body);

  return gcert_test_load_dns_provider_ok (f->config_path, text, "test");
}

/* server, key-name and key-secret-file of the fixture's server, then @more */
static char *
standard_body (Fixture    *f,
               const char *more)
{
  return g_strdup_printf ("server = %s\n"
                          "key-name = %s\n"
                          "key-secret-file = %s\n"
                          "timeout = 5s\n"
                          "%s",
                          f->server->server, f->server->key_name,
                          f->server->key_secret_file, more != NULL ? more : "");
}

/* A config error naming "FILE:LINE: [dns test] KEY" (LINE counts the two
 * lines write_config() puts first) and containing @detail. */
static void
assert_bad_config (Fixture    *f,
                   const char *body,
                   guint       line,
                   const char *key,
                   gint        code,
                   const char *detail)
{
  g_autofree char *text = write_config (f, body);
  g_autoptr(GError) error = NULL;

  error = gcert_test_assert_bad_config (f->config_path, text, "dns test", code, line, key, detail);
  assert_no_secret (f, error->message);
}

static void
assert_txt_sorted (GCertTestDnsServer *server,
                   const char         *fqdn,
                   const char * const *expected)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) values = gcert_test_dns_server_query_txt (server, fqdn, &error);

  g_assert_no_error (error);
  g_assert_nonnull (values);
  gcert_test_sort_strv (values);
  if (expected == NULL)
    g_assert_cmpuint (g_strv_length (values), ==, 0);
  else
    g_assert_cmpstrv (values, expected);
}

/* --- records ---------------------------------------------------------------- */

/* apex and wildcard: two values at one name, created at the same time */
static void
test_two_values (Fixture       *f,
                 gconstpointer  backend)
{
  const char *fqdn = "_acme-challenge.values.example.test.";
  const char * const both[] = { "value-apex-0123456789", "value-wild-0123456789", NULL };
  const char * const wild[] = { "value-wild-0123456789", NULL };
  g_autofree char *body = standard_body (f, NULL);
  g_autoptr(GCertDnsProvider) provider = load_good_provider (f, body);
  g_autoptr(GAsyncResult) first = NULL;
  g_autoptr(GAsyncResult) second = NULL;
  g_autoptr(GError) error = NULL;

  assert_txt_sorted (f->server, fqdn, NULL);
  gcert_dns_provider_create_record_async (provider, fqdn, both[0], NULL,
                                          gcert_test_result_cb, &first);
  gcert_dns_provider_create_record_async (provider, fqdn, both[1], NULL,
                                          gcert_test_result_cb, &second);
  g_assert_true (gcert_dns_provider_create_record_finish (provider,
                                                          gcert_test_wait_for (&first),
                                                          &error));
  g_assert_no_error (error);
  g_assert_true (gcert_dns_provider_create_record_finish (provider,
                                                          gcert_test_wait_for (&second),
                                                          &error));
  g_assert_no_error (error);
  assert_txt_sorted (f->server, fqdn, both);

  /* adding a value that is there already changes nothing */
  g_assert_true (gcert_test_create_record (provider, fqdn, both[0], NULL, &error));
  g_assert_no_error (error);
  assert_txt_sorted (f->server, fqdn, both);

  /* one goes, the other stays */
  g_assert_true (gcert_test_remove_record (provider, fqdn, both[0], NULL, &error));
  g_assert_no_error (error);
  assert_txt_sorted (f->server, fqdn, wild);

  /* again: nothing to remove is success, and the other still stays */
  g_assert_true (gcert_test_remove_record (provider, fqdn, both[0], NULL, &error));
  g_assert_no_error (error);
  assert_txt_sorted (f->server, fqdn, wild);

  /* the name is given without its trailing dot, in capitals */
  g_assert_true (gcert_test_remove_record (provider, "_ACME-challenge.Values.example.test", both[1],
                                           NULL, &error));
  g_assert_no_error (error);
  assert_txt_sorted (f->server, fqdn, NULL);

  /* the zone's own records are untouched */
  {
    g_auto(GStrv) values = gcert_test_dns_server_query_txt (f->server, "example.test.", &error);

    g_assert_no_error (error);
    g_assert_cmpuint (g_strv_length (values), ==, 0);
  }
}

/* the zone is found by asking the server, also for a child zone it serves;
 * or given with `zone` */
static void
test_zone (Fixture       *f,
           gconstpointer  backend)
{
  const char * const value[] = { "zone-value", NULL };
  g_autoptr(GError) error = NULL;

  /* in a child zone: asking for the SOA finds deep.example.test, not the parent */
  {
    const char *fqdn = "_acme-challenge.www.deep.example.test.";
    g_autofree char *body = standard_body (f, NULL);
    g_autoptr(GCertDnsProvider) provider = load_good_provider (f, body);

    g_assert_true (gcert_test_create_record (provider, fqdn, value[0], NULL, &error));
    g_assert_no_error (error);
    assert_txt_sorted (f->server, fqdn, value);
    g_assert_true (gcert_test_remove_record (provider, fqdn, value[0], NULL, &error));
    g_assert_no_error (error);
    assert_txt_sorted (f->server, fqdn, NULL);
  }

  /* given, for a name several labels below the apex */
  {
    const char *fqdn = "_acme-challenge.a.b.c.example.test.";
    g_autofree char *body = standard_body (f, "zone = Example.Test\n");
    g_autoptr(GCertDnsProvider) provider = load_good_provider (f, body);

    g_assert_true (gcert_test_create_record (provider, fqdn, value[0], NULL, &error));
    g_assert_no_error (error);
    assert_txt_sorted (f->server, fqdn, value);
    g_assert_true (gcert_test_remove_record (provider, fqdn, value[0], NULL, &error));
    g_assert_no_error (error);
    assert_txt_sorted (f->server, fqdn, NULL);
  }

  /* a name outside the given zone: refused before anything is sent */
  {
    g_autofree char *body = standard_body (f, "zone = deep.example.test\n");
    g_autoptr(GCertDnsProvider) provider = load_good_provider (f, body);

    g_assert_false (gcert_test_create_record (provider, "_acme-challenge.other.example.test.", "v",
                                              NULL, &error));
    g_test_message ("%s", error->message);
    g_assert_error (error, GCERT_ERROR, GCERT_ERROR_NOT_FOUND);
    gcert_test_assert_contains (error->message, "not in zone deep.example.test");
  }
}

static void
test_key_file (Fixture       *f,
               gconstpointer  backend)
{
  const char *fqdn = "_acme-challenge.keyfile.example.test.";
  const char * const value[] = { "from-key-file", NULL };
  g_autofree char *body = g_strdup_printf ("server = %s\nkey-file = %s\n", f->server->server,
                                           f->server->key_file);
  g_autoptr(GCertDnsProvider) provider = load_good_provider (f, body);
  g_autoptr(GError) error = NULL;

  g_assert_true (gcert_test_create_record (provider, fqdn, value[0], NULL, &error));
  g_assert_no_error (error);
  assert_txt_sorted (f->server, fqdn, value);
  g_assert_true (gcert_test_remove_record (provider, fqdn, value[0], NULL, &error));
  g_assert_no_error (error);
  assert_txt_sorted (f->server, fqdn, NULL);

  /* a file with comments and two keys; key-name picks one */
  {
    g_autofree char *text = NULL;
    g_autofree char *path = NULL;
    g_autofree char *wrong = other_secret (f);
    g_autofree char *selecting = NULL;
    g_autoptr(GCertDnsProvider) chosen = NULL;

    text = g_strdup_printf ("# made by tsig-keygen\n"
                            "key \"someone-else.\" {\n"
                            "\talgorithm hmac-sha512;\n"
                            "\tsecret \"%s\";\n"
                            "};\n"
                            "/* the one\n"
                            "   for gcert */\n"
                            "key %s { // unquoted\n"
                            "  algorithm HMAC-SHA256; secret \"%s\"; };\n",
                            wrong, f->server->key_name, f->server->key_secret);
    path = gcert_test_write_file_in (f->dir, "two.key", text, 0400);
    selecting = g_strdup_printf ("server = %s\nkey-file = %s\nkey-name = %s\n",
                                 f->server->server, path, f->server->key_name);
    chosen = load_good_provider (f, selecting);
    g_assert_true (gcert_test_create_record (chosen, fqdn, value[0], NULL, &error));
    g_assert_no_error (error);
    assert_txt_sorted (f->server, fqdn, value);
    g_assert_true (gcert_test_remove_record (chosen, fqdn, value[0], NULL, &error));
    g_assert_no_error (error);
    assert_txt_sorted (f->server, fqdn, NULL);
  }
}

/* every algorithm, signed and verified both ways */
static void
test_algorithms (Fixture       *f,
                 gconstpointer  backend)
{
  for (guint i = 0; GCERT_TEST_DNS_ALGORITHMS[i] != NULL; i++)
    {
      const char *algorithm = GCERT_TEST_DNS_ALGORITHMS[i];
      g_autofree char *key_name = gcert_test_dns_server_key_name_for (algorithm);
      g_autofree char *fqdn = g_strdup_printf ("_acme-challenge.%s.example.test.", algorithm);
      g_autofree char *body = NULL;
      g_autoptr(GCertDnsProvider) provider = NULL;
      g_autoptr(GError) error = NULL;
      const char * const value[] = { algorithm, NULL };

      g_test_message ("%s", algorithm);
      body = g_strdup_printf ("server = %s\nkey-name = %s\nkey-algorithm = %s\n"
                              "key-secret-file = %s\n",
                              f->server->server, key_name, algorithm,
                              f->server->key_secret_file);
      provider = load_good_provider (f, body);
      g_assert_true (gcert_test_create_record (provider, fqdn, algorithm, NULL, &error));
      g_assert_no_error (error);
      assert_txt_sorted (f->server, fqdn, value);
      g_assert_true (gcert_test_remove_record (provider, fqdn, algorithm, NULL, &error));
      g_assert_no_error (error);
      assert_txt_sorted (f->server, fqdn, NULL);
    }
}

/* --- failures at the server ------------------------------------------------------ */

static void
assert_update_error (Fixture          *f,
                     GCertDnsProvider *provider,
                     const char       *fqdn,
                     gint              code,
                     const char       *detail,
                     const char       *other_detail)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) remove_error = NULL;

  g_assert_false (gcert_test_create_record (provider, fqdn, "never-seen", NULL, &error));
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  g_assert_error (error, GCERT_ERROR, code);
  gcert_test_assert_contains (error->message, fqdn);
  gcert_test_assert_contains (error->message, f->server->server);
  if (other_detail == NULL || strstr (error->message, detail) != NULL)
    gcert_test_assert_contains (error->message, detail);
  else
    gcert_test_assert_contains (error->message, other_detail);
  assert_no_secret (f, error->message);

  /* removing fails the same way */
  g_assert_false (gcert_test_remove_record (provider, fqdn, "never-seen", NULL, &remove_error));
  g_assert_error (remove_error, GCERT_ERROR, code);
  assert_no_secret (f, remove_error->message);
}

static void
test_wrong_secret (Fixture       *f,
                   gconstpointer  backend)
{
  const char *fqdn = "_acme-challenge.badsig.example.test.";
  g_autofree char *wrong = other_secret (f);
  g_autofree char *wrong_line = g_strconcat (wrong, "\n", NULL);
  g_autofree char *path = gcert_test_write_file_in (f->dir, "wrong.secret", wrong_line, 0600);
  g_autofree char *body = g_strdup_printf ("server = %s\nkey-name = %s\nkey-secret-file = %s\n",
                                           f->server->server, f->server->key_name, path);
  g_autoptr(GCertDnsProvider) provider = load_good_provider (f, body);

  assert_update_error (f, provider, fqdn, GCERT_ERROR_PERMISSION_DENIED, "BADSIG", NULL);
  assert_update_error (f, provider, fqdn, GCERT_ERROR_PERMISSION_DENIED,
                       "refused by the server: NOTAUTH, TSIG error BADSIG", NULL);
  assert_txt_sorted (f->server, fqdn, NULL);
}

static void
test_unknown_key (Fixture       *f,
                  gconstpointer  backend)
{
  const char *fqdn = "_acme-challenge.badkey.example.test.";
  g_autofree char *body = g_strdup_printf ("server = %s\nkey-name = nobody-knows.\n"
                                           "key-secret-file = %s\n",
                                           f->server->server, f->server->key_secret_file);
  g_autoptr(GCertDnsProvider) provider = load_good_provider (f, body);

  assert_update_error (f, provider, fqdn, GCERT_ERROR_PERMISSION_DENIED, "BADKEY", NULL);
  assert_update_error (f, provider, fqdn, GCERT_ERROR_PERMISSION_DENIED, "nobody-knows.", NULL);
  assert_txt_sorted (f->server, fqdn, NULL);

  /* the right name with another algorithm is another key */
  {
    g_autofree char *other = g_strdup_printf ("server = %s\nkey-name = %s\n"
                                              "key-algorithm = hmac-sha512\n"
                                              "key-secret-file = %s\n",
                                              f->server->server, f->server->key_name,
                                              f->server->key_secret_file);
    g_autoptr(GCertDnsProvider) mismatched = load_good_provider (f, other);

    assert_update_error (f, mismatched, fqdn, GCERT_ERROR_PERMISSION_DENIED, "BADKEY",
                         "BADSIG");
  }
}

static void
test_zone_not_served (Fixture       *f,
                      gconstpointer  backend)
{
  /* given: the server refuses the update */
  {
    g_autofree char *body = standard_body (f, "zone = other.test\n");
    g_autoptr(GCertDnsProvider) provider = load_good_provider (f, body);

    assert_update_error (f, provider, "_acme-challenge.www.other.test.",
                         GCERT_ERROR_PERMISSION_DENIED, "NOTAUTH", "REFUSED");
  }

  /* found: no SOA anywhere up to the root */
  {
    g_autofree char *body = standard_body (f, NULL);
    g_autoptr(GCertDnsProvider) provider = load_good_provider (f, body);

    assert_update_error (f, provider, "_acme-challenge.www.other.test.",
                         GCERT_ERROR_NOT_FOUND, "serves no zone that holds", NULL);
  }
}

/* a closed port fails at once, a server that never answers at the timeout */
static void
test_not_listening (Fixture       *f,
                    gconstpointer  backend)
{
  guint16 port = gcert_test_find_free_port (TRUE);
  g_autofree char *server = g_strdup_printf ("127.0.0.1:%u", port);
  g_autofree char *body = g_strdup_printf ("server = %s\nkey-name = %s\nkey-secret-file = %s\n"
                                           "zone = example.test\ntimeout = 2s\n",
                                           server, f->server->key_name,
                                           f->server->key_secret_file);
  g_autoptr(GCertDnsProvider) provider = load_good_provider (f, body);
  g_autoptr(GError) error = NULL;
  gint64 started = g_get_monotonic_time ();

  g_assert_false (gcert_test_create_record (provider, "_acme-challenge.x.example.test.", "v", NULL,
                                            &error));
  g_test_message ("%s", error->message);
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_NETWORK);
  gcert_test_assert_contains (error->message, server);
  gcert_test_assert_contains (error->message, "_acme-challenge.x.example.test.");
  gcert_test_assert_contains (error->message, "refused");
  g_assert_cmpint (g_get_monotonic_time () - started, <, 2 * G_USEC_PER_SEC);
  g_clear_error (&error);

  /* a socket that takes the datagrams and never answers */
  {
    g_autoptr(GSocket) silent = gcert_test_listen_loopback (G_SOCKET_TYPE_DATAGRAM, port, NULL);
    gint64 elapsed;

    started = g_get_monotonic_time ();
    g_assert_false (gcert_test_create_record (provider, "_acme-challenge.x.example.test.", "v",
                                              NULL, &error));
    elapsed = g_get_monotonic_time () - started;
    g_test_message ("%s after %" G_GINT64_FORMAT " ms", error->message, elapsed / 1000);
    g_assert_error (error, GCERT_ERROR, GCERT_ERROR_NETWORK);
    gcert_test_assert_contains (error->message, server);
    gcert_test_assert_contains (error->message, "no answer within 2 s");
    g_assert_cmpint (elapsed, >=, 2 * G_USEC_PER_SEC - G_USEC_PER_SEC / 10);
    g_assert_cmpint (elapsed, <, 3 * G_USEC_PER_SEC);
  }
}

static void
test_cancel (Fixture       *f,
             gconstpointer  backend)
{
  const char *fqdn = "_acme-challenge.cancel.example.test.";
  g_autofree char *body = standard_body (f, NULL);
  g_autoptr(GCertDnsProvider) provider = load_good_provider (f, body);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;

  /* cancelled before: nothing is sent */
  g_cancellable_cancel (cancellable);
  g_assert_false (gcert_test_create_record (provider, fqdn, "cancelled", cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  assert_txt_sorted (f->server, fqdn, NULL);

  /* cancelled while waiting for a server that does not answer: returns at
   * once, not at the timeout */
  {
    guint16 port;
    g_autoptr(GSocket) silent = gcert_test_listen_loopback (G_SOCKET_TYPE_DATAGRAM, 0, &port);
    g_autoptr(GCancellable) later = g_cancellable_new ();
    g_autoptr(GCertDnsProvider) waiting = NULL;
    g_autofree char *silent_body = NULL;
    gint64 started;
    silent_body = g_strdup_printf ("server = 127.0.0.1:%u\nkey-name = %s\n"
                                   "key-secret-file = %s\ntimeout = 60s\n",
                                   port, f->server->key_name, f->server->key_secret_file);
    waiting = load_good_provider (f, silent_body);

    started = g_get_monotonic_time ();
    gcert_test_cancel_after (later, 200);
    g_assert_false (gcert_test_create_record (waiting, fqdn, "cancelled", later, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_assert_cmpint (g_get_monotonic_time () - started, <, 2 * G_USEC_PER_SEC);
  }

  /* the provider still works afterwards */
  g_clear_error (&error);
  g_assert_true (gcert_test_create_record (provider, fqdn, "after", NULL, &error));
  g_assert_no_error (error);
  assert_txt_sorted (f->server, fqdn, (const char * const []) { "after", NULL });
  g_assert_true (gcert_test_remove_record (provider, fqdn, "after", NULL, &error));
  g_assert_no_error (error);
  assert_txt_sorted (f->server, fqdn, NULL);
}

/* --- answers that must not be believed, and TCP ------------------------------------ */

typedef enum {
  FAKE_UNSIGNED,    /* NOERROR without a TSIG */
  FAKE_ECHO,        /* the request itself as the answer: the request's TSIG */
  FAKE_TRUNCATE,    /* TC over UDP; over TCP, the real server's answer */
} FakeMode;

/* A DNS server on loopback, in a thread, that answers every UDP query
 * according to its mode and forwards TCP queries to a real server. */
typedef struct {
  FakeMode            mode;
  GCertTestDnsServer *upstream;
  GSocket            *udp;
  GSocket            *tcp;
  char               *address;
  GThread            *thread;
  gint                stop;
  gint                udp_queries;
  gint                tcp_queries;
} Fake;

static gboolean
fake_forward_tcp (Fake    *fake,
                  GSocket *client)
{
  g_autoptr(GSocketClient) socket_client = g_socket_client_new ();
  g_autoptr(GSocketConnectable) upstream = NULL;
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GSocketConnection) accepted = g_socket_connection_factory_create_connection (client);
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *message = NULL;
  guint8 prefix[2];
  gsize length, done;
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (accepted));
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (accepted));
  GOutputStream *upstream_out;
  GInputStream *upstream_in;

  g_socket_set_blocking (client, TRUE);
  if (!g_input_stream_read_all (in, prefix, 2, &done, NULL, &error) || done != 2)
    return FALSE;
  length = (prefix[0] << 8) | prefix[1];
  message = g_malloc (length);
  if (!g_input_stream_read_all (in, message, length, &done, NULL, &error) || done != length)
    return FALSE;

  upstream = g_network_address_parse (fake->upstream->server, 53, &error);
  g_assert_no_error (error);
  g_socket_client_set_enable_proxy (socket_client, FALSE);
  connection = g_socket_client_connect (socket_client, upstream, NULL, &error);
  g_assert_no_error (error);
  upstream_out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  upstream_in = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  g_assert_true (g_output_stream_write_all (upstream_out, prefix, 2, NULL, NULL, &error));
  g_assert_true (g_output_stream_write_all (upstream_out, message, length, NULL, NULL, &error));
  g_clear_pointer (&message, g_free);
  g_assert_true (g_input_stream_read_all (upstream_in, prefix, 2, &done, NULL, &error));
  length = (prefix[0] << 8) | prefix[1];
  message = g_malloc (length);
  g_assert_true (g_input_stream_read_all (upstream_in, message, length, &done, NULL, &error));
  g_assert_no_error (error);

  /* counted before the client can see the answer */
  g_atomic_int_inc (&fake->tcp_queries);
  g_output_stream_write_all (out, prefix, 2, NULL, NULL, NULL);
  g_output_stream_write_all (out, message, length, NULL, NULL, NULL);
  return TRUE;
}

static gpointer
fake_thread (gpointer data)
{
  Fake *fake = data;

  while (!g_atomic_int_get (&fake->stop))
    {
      guint8 buffer[4096];
      gssize received;

      if (g_socket_condition_timed_wait (fake->udp, G_IO_IN, 20 * 1000, NULL, NULL))
        {
          g_autoptr(GSocketAddress) from = NULL;

          received = g_socket_receive_from (fake->udp, &from, (char *) buffer, sizeof buffer,
                                            NULL, NULL);
          if (received >= 12)
            {
              gsize length = received;

              buffer[2] |= 0x80;
              buffer[3] &= 0xf0;
              if (fake->mode == FAKE_UNSIGNED || fake->mode == FAKE_TRUNCATE)
                {
                  /* the header alone, without records */
                  memset (buffer + 4, 0, 8);
                  length = 12;
                }
              if (fake->mode == FAKE_TRUNCATE)
                buffer[2] |= 0x02;
              g_atomic_int_inc (&fake->udp_queries);
              g_socket_send_to (fake->udp, from, (const char *) buffer, length, NULL, NULL);
            }
        }
      if (g_socket_condition_timed_wait (fake->tcp, G_IO_IN, 20 * 1000, NULL, NULL))
        {
          g_autoptr(GSocket) client = g_socket_accept (fake->tcp, NULL, NULL);

          if (client != NULL)
            fake_forward_tcp (fake, client);
        }
    }
  return NULL;
}

static Fake *
fake_start (FakeMode            mode,
            GCertTestDnsServer *upstream)
{
  Fake *fake = g_new0 (Fake, 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  guint16 port = gcert_test_find_free_port (TRUE);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, port);

  fake->mode = mode;
  fake->upstream = upstream;
  fake->address = g_strdup_printf ("127.0.0.1:%u", port);
  fake->udp = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                            G_SOCKET_PROTOCOL_UDP, &error);
  g_assert_no_error (error);
  g_assert_true (g_socket_bind (fake->udp, address, FALSE, &error));
  g_assert_no_error (error);
  fake->tcp = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                            G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_assert_true (g_socket_bind (fake->tcp, address, TRUE, &error));
  g_assert_no_error (error);
  g_assert_true (g_socket_listen (fake->tcp, &error));
  g_assert_no_error (error);
  g_socket_set_blocking (fake->tcp, FALSE);
  fake->thread = g_thread_new ("fake-dns", fake_thread, fake);
  return fake;
}

static void
fake_stop (Fake *fake)
{
  g_atomic_int_set (&fake->stop, 1);
  g_thread_join (fake->thread);
  g_object_unref (fake->udp);
  g_object_unref (fake->tcp);
  g_free (fake->address);
  g_free (fake);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Fake, fake_stop)

static char *
fake_body (Fake    *fake,
           Fixture *f)
{
  return g_strdup_printf ("server = %s\nkey-name = %s\nkey-secret-file = %s\ntimeout = 5s\n",
                          fake->address, f->server->key_name, f->server->key_secret_file);
}

/* NOERROR without a signature, or with the request's own, is not success */
static void
test_answer_not_signed (Fixture       *f,
                        gconstpointer  backend)
{
  const char *fqdn = "_acme-challenge.forged.example.test.";
  g_autoptr(GError) error = NULL;

  {
    g_autoptr(Fake) fake = fake_start (FAKE_UNSIGNED, f->server);
    g_autofree char *body = fake_body (fake, f);
    g_autofree char *with_zone = g_strconcat (body, "zone = example.test\n", NULL);
    g_autoptr(GCertDnsProvider) provider = load_good_provider (f, with_zone);

    g_assert_false (gcert_test_create_record (provider, fqdn, "v", NULL, &error));
    g_test_message ("%s", error->message);
    g_assert_error (error, GCERT_ERROR, GCERT_ERROR_PERMISSION_DENIED);
    gcert_test_assert_contains (error->message, "not signed");
    gcert_test_assert_contains (error->message, fake->address);
    g_clear_error (&error);
  }
  {
    g_autoptr(Fake) fake = fake_start (FAKE_ECHO, f->server);
    g_autofree char *body = fake_body (fake, f);
    g_autofree char *with_zone = g_strconcat (body, "zone = example.test\n", NULL);
    g_autoptr(GCertDnsProvider) provider = load_good_provider (f, with_zone);

    g_assert_false (gcert_test_remove_record (provider, fqdn, "v", NULL, &error));
    g_test_message ("%s", error->message);
    g_assert_error (error, GCERT_ERROR, GCERT_ERROR_PERMISSION_DENIED);
    gcert_test_assert_contains (error->message, "does not verify");
    g_clear_error (&error);
  }
}

/* a truncated answer over UDP: the query and the update go again over TCP */
static void
test_tcp_fallback (Fixture       *f,
                   gconstpointer  backend)
{
  const char *fqdn = "_acme-challenge.tcp.example.test.";
  const char * const value[] = { "over-tcp", NULL };
  g_autoptr(Fake) fake = fake_start (FAKE_TRUNCATE, f->server);
  g_autofree char *body = fake_body (fake, f);
  g_autoptr(GCertDnsProvider) provider = load_good_provider (f, body);
  g_autoptr(GError) error = NULL;

  g_assert_true (gcert_test_create_record (provider, fqdn, value[0], NULL, &error));
  g_assert_no_error (error);
  assert_txt_sorted (f->server, fqdn, value);
  /* the SOA query and the update, each first over UDP */
  g_assert_cmpint (g_atomic_int_get (&fake->udp_queries), ==, 2);
  g_assert_cmpint (g_atomic_int_get (&fake->tcp_queries), ==, 2);

  g_assert_true (gcert_test_remove_record (provider, fqdn, value[0], NULL, &error));
  g_assert_no_error (error);
  assert_txt_sorted (f->server, fqdn, NULL);
  g_assert_cmpint (g_atomic_int_get (&fake->tcp_queries), ==, 4);
}

/* --- configuration -------------------------------------------------------------- */

static void
test_config_secret_files (Fixture       *f,
                          gconstpointer  backend)
{
  g_autofree char *open_path = gcert_test_write_file_in (f->dir, "open.secret",
                                                         f->server->key_secret, 0644);
  g_autofree char *missing = g_build_filename (f->dir, "missing.secret", NULL);
  g_autofree char *not_base64 = gcert_test_write_file_in (f->dir, "bind-format.secret",
                                                          "key \"x.\" { algorithm hmac-sha256; "
                                                          "secret \"abc\"; };",
                                                          0600);
  g_autofree char *body = NULL;

  /* readable by others: refused, and the message says so */
  body = g_strdup_printf ("server = 127.0.0.1\nkey-name = k.\nkey-secret-file = %s\n",
                          open_path);
  assert_bad_config (f, body, 5, "key-secret-file", GCERT_ERROR_PERMISSION_DENIED,
                     "accessible by group or others");
  assert_bad_config (f, body, 5, "key-secret-file", GCERT_ERROR_PERMISSION_DENIED, open_path);
  g_free (body);

  body = g_strdup_printf ("server = 127.0.0.1\nkey-name = k.\nkey-secret-file = %s\n", missing);
  assert_bad_config (f, body, 5, "key-secret-file", GCERT_ERROR_NOT_FOUND, missing);
  g_free (body);

  /* a key in BIND's format where the secret alone belongs */
  body = g_strdup_printf ("server = 127.0.0.1\nkey-name = k.\nkey-secret-file = %s\n",
                          not_base64);
  assert_bad_config (f, body, 5, "key-secret-file", GCERT_ERROR_CONFIG, "key-file");
  g_free (body);

  /* the same for key-file */
  body = g_strdup_printf ("server = 127.0.0.1\nkey-file = %s\n", open_path);
  assert_bad_config (f, body, 4, "key-file", GCERT_ERROR_PERMISSION_DENIED,
                     "accessible by group or others");
  g_free (body);
  body = g_strdup_printf ("server = 127.0.0.1\nkey-file = %s\n", missing);
  assert_bad_config (f, body, 4, "key-file", GCERT_ERROR_NOT_FOUND, missing);
}

static void
test_config_key_file (Fixture       *f,
                      gconstpointer  backend)
{
  g_autofree char *secret_only = NULL;
  g_autofree char *bad_algorithm = NULL;
  g_autofree char *two = NULL;
  g_autofree char *no_secret = NULL;
  g_autofree char *unclosed = NULL;
  g_autofree char *text = NULL;
  g_autofree char *body = NULL;

  /* the secret alone where a key statement belongs: not quoted back */
  secret_only = gcert_test_write_file_in (f->dir, "secret-only.key", f->server->key_secret, 0600);
  body = g_strdup_printf ("server = 127.0.0.1\nkey-file = %s\n", secret_only);
  assert_bad_config (f, body, 4, "key-file", GCERT_ERROR_CONFIG, "key-secret-file");
  assert_bad_config (f, body, 4, "key-file", GCERT_ERROR_CONFIG, "line 1");
  g_free (body);

  text = g_strdup_printf ("key \"k.\" {\n  algorithm hmac-md5;\n  secret \"%s\";\n};\n",
                          f->server->key_secret);
  bad_algorithm = gcert_test_write_file_in (f->dir, "md5.key", text, 0600);
  body = g_strdup_printf ("server = 127.0.0.1\nkey-file = %s\n", bad_algorithm);
  assert_bad_config (f, body, 4, "key-file", GCERT_ERROR_CONFIG,
                     "line 2: unsupported TSIG algorithm “hmac-md5”");
  g_free (body);
  g_free (text);

  text = g_strdup_printf ("key a. { algorithm hmac-sha256; secret \"%s\"; };\n"
                          "key b. { algorithm hmac-sha256; secret \"%s\"; };\n",
                          f->server->key_secret, f->server->key_secret);
  two = gcert_test_write_file_in (f->dir, "two.key", text, 0600);
  body = g_strdup_printf ("server = 127.0.0.1\nkey-file = %s\n", two);
  assert_bad_config (f, body, 4, "key-file", GCERT_ERROR_CONFIG, "holds 2 keys");
  g_free (body);
  body = g_strdup_printf ("server = 127.0.0.1\nkey-file = %s\nkey-name = c\n", two);
  assert_bad_config (f, body, 5, "key-name", GCERT_ERROR_CONFIG, "no key “c.”");
  g_free (body);
  /* the algorithm comes from the file */
  body = g_strdup_printf ("server = 127.0.0.1\nkey-file = %s\nkey-name = a\n"
                          "key-algorithm = hmac-sha256\n", two);
  assert_bad_config (f, body, 6, "key-algorithm", GCERT_ERROR_CONFIG, "comes from key-file");
  g_free (body);
  g_free (text);

  no_secret = gcert_test_write_file_in (f->dir, "no-secret.key",
                                        "key k. {\n  algorithm hmac-sha256;\n};\n", 0600);
  body = g_strdup_printf ("server = 127.0.0.1\nkey-file = %s\n", no_secret);
  assert_bad_config (f, body, 4, "key-file", GCERT_ERROR_CONFIG,
                     "line 1: the key “k.” has no secret");
  g_free (body);

  text = g_strdup_printf ("key k. {\n  algorithm hmac-sha256;\n  secret \"%s\";\n",
                          f->server->key_secret);
  unclosed = gcert_test_write_file_in (f->dir, "unclosed.key", text, 0600);
  body = g_strdup_printf ("server = 127.0.0.1\nkey-file = %s\n", unclosed);
  assert_bad_config (f, body, 4, "key-file", GCERT_ERROR_CONFIG, "not closed");
}

static void
test_config_keys (Fixture       *f,
                  gconstpointer  backend)
{
  g_autofree char *body = NULL;
  const char *secret_file = f->server->key_secret_file;

  /* an algorithm nobody should use */
  body = g_strdup_printf ("server = 127.0.0.1\nkey-name = k.\nkey-algorithm = hmac-md5\n"
                          "key-secret-file = %s\n", secret_file);
  assert_bad_config (f, body, 5, "key-algorithm", GCERT_ERROR_CONFIG,
                     "unsupported TSIG algorithm “hmac-md5”: use one of hmac-sha256");
  g_free (body);
  body = g_strdup_printf ("server = 127.0.0.1\nkey-name = k.\nkey-algorithm = sha256\n"
                          "key-secret-file = %s\n", secret_file);
  assert_bad_config (f, body, 5, "key-algorithm", GCERT_ERROR_CONFIG, "sha256");
  g_free (body);

  /* no key at all, or both forms */
  assert_bad_config (f, "server = 127.0.0.1\n", 1, NULL, GCERT_ERROR_CONFIG,
                     "set key-secret-file (with key-name) or key-file");
  body = g_strdup_printf ("server = 127.0.0.1\nkey-name = k.\nkey-secret-file = %s\n"
                          "key-file = %s\n", secret_file, f->server->key_file);
  assert_bad_config (f, body, 6, "key-file", GCERT_ERROR_CONFIG, "not both");
  g_free (body);

  /* key-secret-file needs key-name */
  body = g_strdup_printf ("server = 127.0.0.1\nkey-secret-file = %s\n", secret_file);
  assert_bad_config (f, body, 1, "key-name", GCERT_ERROR_CONFIG, NULL);
  g_free (body);
  body = g_strdup_printf ("server = 127.0.0.1\nkey-name = not a name\nkey-secret-file = %s\n",
                          secret_file);
  assert_bad_config (f, body, 4, "key-name", GCERT_ERROR_CONFIG, "not a valid key name");
  g_free (body);

  /* server, zone, timeout, ttl, unknown keys */
  body = g_strdup_printf ("key-name = k.\nkey-secret-file = %s\n", secret_file);
  assert_bad_config (f, body, 1, "server", GCERT_ERROR_CONFIG, NULL);
  g_free (body);
  body = g_strdup_printf ("server = 127.0.0.1:99999\nkey-name = k.\nkey-secret-file = %s\n",
                          secret_file);
  assert_bad_config (f, body, 3, "server", GCERT_ERROR_CONFIG, "HOST:PORT");
  g_free (body);
  body = g_strdup_printf ("server = 127.0.0.1\nkey-name = k.\nkey-secret-file = %s\n"
                          "zone = bad zone\n", secret_file);
  assert_bad_config (f, body, 6, "zone", GCERT_ERROR_CONFIG, "not a valid zone name");
  g_free (body);
  body = g_strdup_printf ("server = 127.0.0.1\nkey-name = k.\nkey-secret-file = %s\n"
                          "timeout = 0s\n", secret_file);
  assert_bad_config (f, body, 6, "timeout", GCERT_ERROR_CONFIG, "between");
  g_free (body);
  body = g_strdup_printf ("server = 127.0.0.1\nkey-name = k.\nkey-secret-file = %s\n"
                          "ttl = soon\n", secret_file);
  assert_bad_config (f, body, 6, "ttl", GCERT_ERROR_CONFIG, NULL);
  g_free (body);
  body = g_strdup_printf ("server = 127.0.0.1\nkey-name = k.\nkey-secret-file = %s\n"
                          "secret = inline\n", secret_file);
  assert_bad_config (f, body, 6, "secret", GCERT_ERROR_CONFIG, NULL);
}

/* --- the fixtures themselves --------------------------------------------------------- */

static GCertTestDnsServer *
start_backend (const char          *backend,
               const char * const  *server_zones,
               const char * const  *records,
               GError             **error)
{
  if (g_str_equal (backend, "knot"))
    return gcert_test_knot_start (server_zones, records, error);
  return gcert_test_bind_start (server_zones, records, error);
}

/* records go into the zone of their owner, longest match */
static void
test_fixture_records (Fixture       *f,
                      gconstpointer  backend)
{
  const char * const record_zones[] = { "example.test", "sub.example.test", "alias.test", NULL };
  const char * const records[] = {
    "_acme-challenge.www.example.test. 60 IN CNAME _acme-challenge.target.alias.test.",
    "_acme-challenge.target.alias.test. 60 IN TXT \"in-alias\"",
    "_acme-challenge.x.sub.example.test. 60 IN TXT \"in-sub\"",
    "_acme-challenge.x.sub.example.test. 60 IN TXT \"two words\"",
    NULL
  };
  const char * const in_sub[] = { "in-sub", "two words", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GCertTestDnsServer) server = start_backend (backend, record_zones, records, &error);

  g_assert_no_error (error);
  g_assert_nonnull (server);
  g_assert_true (g_str_has_prefix (server->server, "127.0.0.1:"));
  assert_txt_sorted (server, "_acme-challenge.target.alias.test.",
                     (const char * const []) { "in-alias", NULL });
  assert_txt_sorted (server, "_acme-challenge.x.sub.example.test.", in_sub);
  /* a CNAME is not a TXT of its owner */
  assert_txt_sorted (server, "_acme-challenge.www.example.test.", NULL);
  assert_txt_sorted (server, "nothing.alias.test.", NULL);

  /* the key files are private */
  {
    GStatBuf st;

    g_assert_cmpint (g_stat (server->key_secret_file, &st), ==, 0);
    g_assert_cmpint (st.st_mode & 0777, ==, 0600);
    g_assert_cmpint (g_stat (server->key_file, &st), ==, 0);
    g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  }

  /* an owner in none of the zones */
  {
    const char * const stray[] = { "x.elsewhere.test. 60 IN TXT \"x\"", NULL };
    g_autoptr(GCertTestDnsServer) none = start_backend (backend, record_zones, stray, &error);

    g_assert_null (none);
    g_assert_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA);
    gcert_test_assert_contains (error->message, "x.elsewhere.test.");
    g_clear_error (&error);
  }
}

/* a server that cannot start: its log is in the error */
static void
test_fixture_bad_start (Fixture       *f,
                        gconstpointer  backend)
{
  const char * const bad_zones[] = { "bad..name", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GCertTestDnsServer) server = start_backend (backend, bad_zones, NULL, &error);

  g_assert_null (server);
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  gcert_test_assert_contains (error->message, backend);
  gcert_test_assert_contains (error->message, "its log:");
  gcert_test_assert_contains (error->message, "bad..name");
}

/* --- gcertctl end to end ------------------------------------------------------------ */


/* Pebble whose validator asks Knot, and a config with [dns knot] */
typedef struct {
  GCertTestPebble *pebble;
  char            *root;
} EndToEnd;

static void
end_to_end_free (EndToEnd *e)
{
  g_clear_pointer (&e->pebble, gcert_test_pebble_stop);
  g_free (e->root);
  g_free (e);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EndToEnd, end_to_end_free)

static EndToEnd *
end_to_end_start (Fixture     *f,
                  const char  *secret_file,
                  char       **out_state,
                  char       **out_config)
{
  g_autoptr(EndToEnd) e = g_new0 (EndToEnd, 1);
  g_autofree char *extra = NULL;
  g_autofree char *text = NULL;

  e->pebble = gcert_test_start_pebble (f->server->server, &e->root);

  *out_state = g_build_filename (f->dir, "state", NULL);
  extra = g_strdup_printf ("[dns knot]\n"
                           "plugin = rfc2136\n"
                           "server = %s\n"
                           "key-name = %s\n"
                           "key-secret-file = %s\n",
                           f->server->server, f->server->key_name, secret_file);
  text = gcert_test_pebble_config (e->pebble, *out_state, extra);
  *out_config = gcert_test_write_file_in (f->dir, "gcertctl.conf", text, 0600);
  return g_steal_pointer (&e);
}

static void
test_gcertctl_wildcard (Fixture       *f,
                        gconstpointer  backend)
{
  static const char * const names[] = { "example.test", "*.example.test", NULL };
  g_autofree char *state = NULL;
  g_autofree char *config = NULL;
  g_autoptr(EndToEnd) e = end_to_end_start (f, f->server->key_secret_file, &state, &config);
  g_autoptr(GCertTestRun) run = NULL;
  g_autoptr(GCertCertificate) chain = NULL;

  run = gcert_test_run_ctl (config, "issue", "-d", "example.test", "-d", "*.example.test",
                            "--dns", "knot", "--name", "web");
  g_assert_cmpint (run->status, ==, 0);
  assert_no_secret (f, run->out);
  assert_no_secret (f, run->err);

  chain = gcert_test_check_live (state, "web", names, e->root);
  g_assert_nonnull (chain);

  /* both challenge values are gone from Knot */
  assert_txt_sorted (f->server, "_acme-challenge.example.test.", NULL);
}

static void
test_gcertctl_wrong_secret (Fixture       *f,
                            gconstpointer  backend)
{
  g_autofree char *wrong = other_secret (f);
  g_autofree char *path = gcert_test_write_file_in (f->dir, "wrong.secret", wrong, 0600);
  g_autofree char *state = NULL;
  g_autofree char *config = NULL;
  g_autoptr(EndToEnd) e = end_to_end_start (f, path, &state, &config);
  g_autoptr(GCertTestRun) run = NULL;
  g_autofree char *live = g_build_filename (state, "live", "bad", NULL);

  run = gcert_test_run_ctl (config, "issue", "-d", "bad.example.test", "-d", "*.bad.example.test",
                            "--dns", "knot", "--name", "bad");
  g_assert_cmpint (run->status, !=, 0);
  g_assert_cmpint (run->status, !=, 2);
  gcert_test_assert_contains (run->err, "BADSIG");
  gcert_test_assert_contains (run->err, "_acme-challenge.bad.example.test.");
  gcert_test_assert_contains (run->err, f->server->server);
  assert_no_secret (f, run->out);
  assert_no_secret (f, run->err);

  g_assert_false (g_file_test (live, G_FILE_TEST_EXISTS | G_FILE_TEST_IS_SYMLINK));
  assert_txt_sorted (f->server, "_acme-challenge.bad.example.test.", NULL);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  const char * const backends[] = { "knot", "bind", NULL };
  int status;

  g_test_init (&argc, &argv, NULL);

  knot = gcert_test_knot_start (zones, NULL, &error);
  g_assert_no_error (error);
  bind9 = gcert_test_bind_start (zones, NULL, &error);
  g_assert_no_error (error);

  for (guint i = 0; backends[i] != NULL; i++)
    {
#define ADD(name, func) \
      G_STMT_START { \
        g_autofree char *path = g_strdup_printf ("/gcert/rfc2136/%s/%s", backends[i], name); \
        g_test_add (path, Fixture, backends[i], fixture_setup, func, fixture_teardown); \
      } G_STMT_END

      ADD ("two-values", test_two_values);
      ADD ("zone", test_zone);
      ADD ("key-file", test_key_file);
      ADD ("algorithms", test_algorithms);
      ADD ("cancel", test_cancel);
      ADD ("wrong-secret", test_wrong_secret);
      ADD ("unknown-key", test_unknown_key);
      ADD ("zone-not-served", test_zone_not_served);
      ADD ("fixture/records", test_fixture_records);
      ADD ("fixture/bad-start", test_fixture_bad_start);

#undef ADD
    }

  g_test_add ("/gcert/rfc2136/not-listening", Fixture, NULL, fixture_setup,
              test_not_listening, fixture_teardown);
  g_test_add ("/gcert/rfc2136/answer-not-signed", Fixture, NULL, fixture_setup,
              test_answer_not_signed, fixture_teardown);
  g_test_add ("/gcert/rfc2136/tcp-fallback", Fixture, NULL, fixture_setup,
              test_tcp_fallback, fixture_teardown);
  g_test_add ("/gcert/rfc2136/config/secret-files", Fixture, NULL, fixture_setup,
              test_config_secret_files, fixture_teardown);
  g_test_add ("/gcert/rfc2136/config/key-file", Fixture, NULL, fixture_setup,
              test_config_key_file, fixture_teardown);
  g_test_add ("/gcert/rfc2136/config/keys", Fixture, NULL, fixture_setup,
              test_config_keys, fixture_teardown);
  g_test_add ("/gcert/rfc2136/gcertctl/wildcard", Fixture, "knot", fixture_setup,
              test_gcertctl_wildcard, fixture_teardown);
  g_test_add ("/gcert/rfc2136/gcertctl/wrong-secret", Fixture, "knot", fixture_setup,
              test_gcertctl_wrong_secret, fixture_teardown);

  status = g_test_run ();

  g_clear_pointer (&knot, gcert_test_dns_server_stop);
  g_clear_pointer (&bind9, gcert_test_dns_server_stop);
  return status;
}
