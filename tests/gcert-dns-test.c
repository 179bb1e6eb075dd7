/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <signal.h>
#include <string.h>

#include "gcert.h"
#include "gcert-test-pebble.h"
#include "gcert-test-util.h"

/* GCertDns against a real DNS server: pebble-challtestsrv. */

typedef struct {
  GCertTestPebble *pebble;
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  GCertTestPebbleOptions options = GCERT_TEST_PEBBLE_OPTIONS_INIT;

  fixture->pebble = gcert_test_pebble_start (&options, &error);
  g_assert_no_error (error);
  g_assert_nonnull (fixture->pebble);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  user_data)
{
  g_clear_pointer (&fixture->pebble, gcert_test_pebble_stop);
}

static void
set_txt (Fixture    *fixture,
         const char *host,
         const char *value)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (gcert_test_pebble_set_txt (fixture->pebble, host, value, &error));
  g_assert_no_error (error);
}

/* A UDP and TCP port on loopback that nobody answers on. */
static char *
dead_server (void)
{
  return g_strdup_printf ("127.0.0.1:%u", gcert_test_find_free_port (TRUE));
}

static void
test_query_present (Fixture       *fixture,
                    gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) values = NULL;

  set_txt (fixture, "_acme-challenge.one.example.", "value-one");

  values = gcert_test_query_txt (fixture->pebble->dns_server, "_acme-challenge.one.example.",
                                 &error);
  g_assert_no_error (error);
  g_assert_nonnull (values);
  g_assert_cmpuint (g_strv_length (values), ==, 1);
  g_assert_cmpstr (values[0], ==, "value-one");

  /* without the trailing dot it is the same name */
  g_clear_pointer (&values, g_strfreev);
  values = gcert_test_query_txt (fixture->pebble->dns_server, "_acme-challenge.one.example",
                                 &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (values), ==, 1);
  g_assert_cmpstr (values[0], ==, "value-one");
}

static void
test_query_none (Fixture       *fixture,
                 gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) values = NULL;

  set_txt (fixture, "_acme-challenge.other.example.", "elsewhere");

  values = gcert_test_query_txt (fixture->pebble->dns_server, "_acme-challenge.none.example.",
                                 &error);
  g_assert_no_error (error);
  g_assert_nonnull (values);
  g_assert_cmpuint (g_strv_length (values), ==, 0);
}

static void
test_query_two_values (Fixture       *fixture,
                       gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) values = NULL;

  /* an apex and a wildcard challenge share one name */
  set_txt (fixture, "_acme-challenge.two.example.", "apex-value");
  set_txt (fixture, "_acme-challenge.two.example.", "wildcard-value");

  values = gcert_test_query_txt (fixture->pebble->dns_server, "_acme-challenge.two.example.",
                                 &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (values), ==, 2);
  g_assert_true (g_strv_contains ((const char * const *) values, "apex-value"));
  g_assert_true (g_strv_contains ((const char * const *) values, "wildcard-value"));
}

static void
test_query_large (Fixture       *fixture,
                  gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) values = NULL;
  const guint n = 40;

  /* about 3.5 KiB of answer in one datagram */
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *value = g_strdup_printf ("value-%02u-%s", i,
                                                "abcdefghijklmnopqrstuvwxyz0123456789");

      set_txt (fixture, "_acme-challenge.many.example.", value);
    }

  values = gcert_test_query_txt (fixture->pebble->dns_server, "_acme-challenge.many.example.",
                                 &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (values), ==, n);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *value = g_strdup_printf ("value-%02u-%s", i,
                                                "abcdefghijklmnopqrstuvwxyz0123456789");

      g_assert_true (g_strv_contains ((const char * const *) values, value));
    }
}

/* A minimal DNS server for what challtestsrv cannot do: TXT records of
 * several character-strings, truncation over UDP, error rcodes, a wrong
 * message id. It answers every question with the configured records. */
typedef struct {
  GSocket         *udp;
  GSource         *udp_source;
  GSocketService  *tcp;
  char            *address;       /* "127.0.0.1:PORT" */
  guint            rcode;
  gboolean         truncate_udp;
  gboolean         wrong_id;
  GPtrArray       *records;       /* GStrv: the strings of one TXT record */
  gint             udp_queries;   /* atomic */
  gint             tcp_queries;   /* atomic */
} FakeDns;

static GByteArray *
fake_dns_reply (FakeDns      *fake,
                const guint8 *query,
                gsize         length,
                gboolean      tcp)
{
  GByteArray *reply;
  gsize end = 12;
  guint16 flags;
  guint16 id;
  gboolean truncated = !tcp && fake->truncate_udp;
  guint answers = truncated || fake->rcode != 0 ? 0 : fake->records->len;

  if (length < 12)
    return NULL;
  /* skip the question name, then QTYPE and QCLASS */
  while (end < length && query[end] != 0)
    end += query[end] + 1;
  end += 1 + 4;
  if (end > length)
    return NULL;

  id = (guint16) ((query[0] << 8 | query[1]) + (fake->wrong_id ? 1 : 0));
  flags = 0x8000 | 0x0400 | (query[2] & 0x78) << 8 | (truncated ? 0x0200 : 0) |
          (fake->rcode & 0xf);

  reply = g_byte_array_new ();
  g_byte_array_append (reply, (const guint8 []) {
                         id >> 8, id & 0xff, flags >> 8, flags & 0xff,
                         0, 1, answers >> 8, answers & 0xff, 0, 0, 0, 0 }, 12);
  g_byte_array_append (reply, query + 12, end - 12);
  for (guint i = 0; i < answers; i++)
    {
      GStrv strings = g_ptr_array_index (fake->records, i);
      gsize rdlength = 0;

      for (guint j = 0; strings[j] != NULL; j++)
        rdlength += 1 + strlen (strings[j]);
      g_byte_array_append (reply, (const guint8 []) {
                             0xc0, 12, 0, 16, 0, 1, 0, 0, 0, 0,
                             rdlength >> 8, rdlength & 0xff }, 12);
      for (guint j = 0; strings[j] != NULL; j++)
        {
          guint8 len = (guint8) strlen (strings[j]);

          g_byte_array_append (reply, &len, 1);
          g_byte_array_append (reply, (const guint8 *) strings[j], len);
        }
    }
  return reply;
}

static gboolean
fake_dns_udp_cb (GSocket      *socket,
                 GIOCondition  condition,
                 gpointer      user_data)
{
  FakeDns *fake = user_data;
  g_autoptr(GSocketAddress) from = NULL;
  g_autoptr(GByteArray) reply = NULL;
  guint8 buffer[4096];
  gssize n;

  n = g_socket_receive_from (socket, &from, (char *) buffer, sizeof buffer, NULL, NULL);
  if (n <= 0)
    return G_SOURCE_CONTINUE;
  g_atomic_int_inc (&fake->udp_queries);
  reply = fake_dns_reply (fake, buffer, (gsize) n, FALSE);
  if (reply != NULL)
    g_socket_send_to (socket, from, (const char *) reply->data, reply->len, NULL, NULL);
  return G_SOURCE_CONTINUE;
}

/* runs in a thread of its own: blocking I/O is fine */
static gboolean
fake_dns_tcp_cb (GThreadedSocketService *service,
                 GSocketConnection      *connection,
                 GObject                *source_object,
                 gpointer                user_data)
{
  FakeDns *fake = user_data;
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  g_autoptr(GByteArray) reply = NULL;
  guint8 prefix[2];
  guint8 buffer[4096];
  gsize got = 0;
  gsize length;

  g_socket_set_timeout (g_socket_connection_get_socket (connection), 5);
  if (!g_input_stream_read_all (in, prefix, 2, &got, NULL, NULL) || got != 2)
    return TRUE;
  length = (gsize) (prefix[0] << 8 | prefix[1]);
  if (length > sizeof buffer ||
      !g_input_stream_read_all (in, buffer, length, &got, NULL, NULL) || got != length)
    return TRUE;
  g_atomic_int_inc (&fake->tcp_queries);
  reply = fake_dns_reply (fake, buffer, length, TRUE);
  if (reply == NULL)
    return TRUE;
  prefix[0] = reply->len >> 8;
  prefix[1] = reply->len & 0xff;
  g_output_stream_write_all (out, prefix, 2, NULL, NULL, NULL);
  g_output_stream_write_all (out, reply->data, reply->len, NULL, NULL, NULL);
  return TRUE;
}

static FakeDns *
fake_dns_new (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = NULL;
  FakeDns *fake = g_new0 (FakeDns, 1);
  guint16 port = gcert_test_find_free_port (TRUE);

  fake->records = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  address = g_inet_socket_address_new (loopback, port);

  fake->udp = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                            G_SOCKET_PROTOCOL_UDP, &error);
  g_assert_no_error (error);
  g_assert_true (g_socket_bind (fake->udp, address, FALSE, &error));
  g_assert_no_error (error);
  g_socket_set_blocking (fake->udp, FALSE);
  fake->udp_source = g_socket_create_source (fake->udp, G_IO_IN, NULL);
  g_source_set_callback (fake->udp_source, G_SOURCE_FUNC (fake_dns_udp_cb), fake, NULL);
  g_source_attach (fake->udp_source, NULL);

  fake->tcp = g_threaded_socket_service_new (2);
  g_assert_true (g_socket_listener_add_address (G_SOCKET_LISTENER (fake->tcp), address,
                                                G_SOCKET_TYPE_STREAM,
                                                G_SOCKET_PROTOCOL_TCP,
                                                NULL, NULL, &error));
  g_assert_no_error (error);
  g_signal_connect (fake->tcp, "run", G_CALLBACK (fake_dns_tcp_cb), fake);
  g_socket_service_start (fake->tcp);

  fake->address = g_strdup_printf ("127.0.0.1:%u", port);
  return fake;
}

static void
fake_dns_free (FakeDns *fake)
{
  g_socket_service_stop (fake->tcp);
  g_socket_listener_close (G_SOCKET_LISTENER (fake->tcp));
  g_clear_object (&fake->tcp);
  g_source_destroy (fake->udp_source);
  g_source_unref (fake->udp_source);
  g_socket_close (fake->udp, NULL);
  g_clear_object (&fake->udp);
  g_ptr_array_unref (fake->records);
  g_free (fake->address);
  g_free (fake);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FakeDns, fake_dns_free)

static void
fake_dns_add (FakeDns    *fake,
              const char *first,
              ...)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  va_list args;

  va_start (args, first);
  for (const char *s = first; s != NULL; s = va_arg (args, const char *))
    g_strv_builder_add (builder, s);
  va_end (args);
  g_ptr_array_add (fake->records, g_strv_builder_end (builder));
}

static void
test_query_multi_string (void)
{
  g_autoptr(FakeDns) fake = fake_dns_new ();
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) values = NULL;

  fake_dns_add (fake, "first-half-", "second-half", NULL);
  fake_dns_add (fake, "single", NULL);
  fake_dns_add (fake, "", NULL);

  values = gcert_test_query_txt (fake->address, "_acme-challenge.example.", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (values), ==, 3);
  g_assert_cmpstr (values[0], ==, "first-half-second-half");
  g_assert_cmpstr (values[1], ==, "single");
  g_assert_cmpstr (values[2], ==, "");
  g_assert_cmpint (g_atomic_int_get (&fake->udp_queries), ==, 1);
  g_assert_cmpint (g_atomic_int_get (&fake->tcp_queries), ==, 0);
}

static void
test_query_truncated (void)
{
  g_autoptr(FakeDns) fake = fake_dns_new ();
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) values = NULL;

  fake->truncate_udp = TRUE;
  fake_dns_add (fake, "over-tcp", NULL);

  values = gcert_test_query_txt (fake->address, "_acme-challenge.example.", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (values), ==, 1);
  g_assert_cmpstr (values[0], ==, "over-tcp");
  g_assert_cmpint (g_atomic_int_get (&fake->udp_queries), ==, 1);
  g_assert_cmpint (g_atomic_int_get (&fake->tcp_queries), ==, 1);
}

static void
test_query_rcodes (void)
{
  g_autoptr(FakeDns) fake = fake_dns_new ();
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) values = NULL;

  fake_dns_add (fake, "unused", NULL);

  /* NXDOMAIN is an answer: no record */
  fake->rcode = 3;
  values = gcert_test_query_txt (fake->address, "_acme-challenge.example.", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (values), ==, 0);
  g_clear_pointer (&values, g_strfreev);

  /* SERVFAIL and REFUSED are the server failing */
  fake->rcode = 2;
  values = gcert_test_query_txt (fake->address, "_acme-challenge.example.", &error);
  g_test_message ("%s", error->message);
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "SERVFAIL"));
  g_assert_nonnull (strstr (error->message, fake->address));
  g_assert_nonnull (strstr (error->message, "_acme-challenge.example."));
  g_assert_null (values);
  g_clear_error (&error);

  fake->rcode = 5;
  values = gcert_test_query_txt (fake->address, "_acme-challenge.example.", &error);
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "REFUSED"));
  g_assert_null (values);
}

static void
test_query_wrong_id (void)
{
  g_autoptr(FakeDns) fake = fake_dns_new ();
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) values = NULL;
  gint64 started = g_get_monotonic_time ();

  /* an answer to some other question is no answer */
  fake->wrong_id = TRUE;
  fake_dns_add (fake, "forged", NULL);

  values = gcert_test_query_txt (fake->address, "_acme-challenge.example.", &error);
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_NETWORK);
  g_assert_nonnull (strstr (error->message, fake->address));
  g_assert_null (values);
  g_assert_cmpint (g_get_monotonic_time () - started, <, 8 * G_USEC_PER_SEC);
}

static void
test_query_bad_input (void)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) values = NULL;
  g_autofree char *long_label = g_strnfill (64, 'a');
  g_autofree char *bad_name = g_strconcat (long_label, ".example.", NULL);

  values = gcert_test_query_txt ("127.0.0.1:notaport", "_acme-challenge.example.", &error);
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "127.0.0.1:notaport"));
  g_assert_null (values);
  g_clear_error (&error);

  values = gcert_test_query_txt ("127.0.0.1:0", "_acme-challenge.example.", &error);
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA);
  g_assert_null (values);
  g_clear_error (&error);

  /* a name ldns refuses: no query is sent, the port need not answer */
  values = gcert_test_query_txt ("127.0.0.1:9", bad_name, &error);
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, bad_name));
  g_assert_null (values);
}

static void
test_query_no_answer (void)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) values = NULL;
  g_autofree char *server = dead_server ();
  gint64 started = g_get_monotonic_time ();
  gint64 elapsed;

  values = gcert_test_query_txt (server, "_acme-challenge.example.", &error);
  elapsed = g_get_monotonic_time () - started;
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_NETWORK);
  g_assert_nonnull (strstr (error->message, server));
  g_assert_null (values);
  /* two tries of two seconds */
  g_assert_cmpint (elapsed, <, 8 * G_USEC_PER_SEC);
}

typedef struct {
  Fixture  *fixture;
  guint     progress_calls;
  char     *last_progress;
} WaitState;

static void
progress_cb (const char *message,
             gpointer    user_data)
{
  WaitState *state = user_data;

  state->progress_calls++;
  g_free (state->last_progress);
  state->last_progress = g_strdup (message);
}

static gboolean
set_later_cb (gpointer user_data)
{
  WaitState *state = user_data;

  set_txt (state->fixture, "_acme-challenge.later.example.", "the-value");
  return G_SOURCE_REMOVE;
}

static void
test_wait_success (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  const char *servers[] = { fixture->pebble->dns_server, NULL };
  WaitState state = { fixture, 0, NULL };
  gint64 started = g_get_monotonic_time ();
  gint64 elapsed;

  set_txt (fixture, "_acme-challenge.later.example.", "another-value");
  g_timeout_add (700, set_later_cb, &state);

  gcert_dns_wait_for_txt_async ("_acme-challenge.later.example.", "the-value", servers, 30,
                                progress_cb, &state, NULL, gcert_test_result_cb, &result);
  g_assert_true (gcert_dns_wait_for_txt_finish (gcert_test_wait_for (&result), &error));
  g_assert_no_error (error);
  elapsed = g_get_monotonic_time () - started;

  /* it polled while the value was missing and noticed it soon after */
  g_assert_cmpint (elapsed, >=, 700 * 1000);
  g_assert_cmpint (elapsed, <, 3 * G_USEC_PER_SEC);
  g_assert_cmpuint (state.progress_calls, >=, 1);
  g_test_message ("%s", state.last_progress);
  g_assert_nonnull (strstr (state.last_progress, "_acme-challenge.later.example."));
  g_assert_nonnull (strstr (state.last_progress, fixture->pebble->dns_server));
  g_free (state.last_progress);
}

static void
test_wait_already_there (Fixture       *fixture,
                         gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  const char *servers[] = { fixture->pebble->dns_server, fixture->pebble->dns_server, NULL };
  WaitState state = { fixture, 0, NULL };
  gint64 started = g_get_monotonic_time ();

  set_txt (fixture, "_acme-challenge.now.example.", "apex");
  set_txt (fixture, "_acme-challenge.now.example.", "wildcard");

  gcert_dns_wait_for_txt_async ("_acme-challenge.now.example.", "wildcard", servers, 30,
                                progress_cb, &state, NULL, gcert_test_result_cb, &result);
  g_assert_true (gcert_dns_wait_for_txt_finish (gcert_test_wait_for (&result), &error));
  g_assert_no_error (error);
  g_assert_cmpuint (state.progress_calls, ==, 0);
  g_assert_cmpint (g_get_monotonic_time () - started, <, G_USEC_PER_SEC);
}

static void
test_wait_timeout (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  const char *servers[] = { fixture->pebble->dns_server, NULL };
  WaitState state = { fixture, 0, NULL };
  gint64 started = g_get_monotonic_time ();
  gint64 elapsed;

  /* a stale value is not the one we wait for */
  set_txt (fixture, "_acme-challenge.never.example.", "stale");

  gcert_dns_wait_for_txt_async ("_acme-challenge.never.example.", "fresh", servers, 2,
                                progress_cb, &state, NULL, gcert_test_result_cb, &result);
  g_assert_false (gcert_dns_wait_for_txt_finish (gcert_test_wait_for (&result), &error));
  elapsed = g_get_monotonic_time () - started;

  g_test_message ("%s", error->message);
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_TIMED_OUT);
  g_assert_nonnull (strstr (error->message, "_acme-challenge.never.example."));
  g_assert_nonnull (strstr (error->message, fixture->pebble->dns_server));
  g_assert_cmpint (elapsed, >=, 2 * G_USEC_PER_SEC);
  g_assert_cmpint (elapsed, <, 4 * G_USEC_PER_SEC);
  /* 0.25 s growing: several rounds in two seconds */
  g_assert_cmpuint (state.progress_calls, >=, 3);
  g_free (state.last_progress);
}

static void
test_wait_cancel (Fixture       *fixture,
                  gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autofree char *dead = dead_server ();
  const char *servers[] = { fixture->pebble->dns_server, dead, NULL };
  gint64 started = g_get_monotonic_time ();
  gint64 elapsed;

  /* cancelled both while sleeping and while a query hangs */
  gcert_test_cancel_after (cancellable, 600);
  gcert_dns_wait_for_txt_async ("_acme-challenge.cancel.example.", "v", servers, 60,
                                NULL, NULL, cancellable, gcert_test_result_cb, &result);
  g_assert_false (gcert_dns_wait_for_txt_finish (gcert_test_wait_for (&result), &error));
  elapsed = g_get_monotonic_time () - started;
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (elapsed, <, 1500 * 1000);

  /* already cancelled */
  g_clear_error (&error);
  g_clear_object (&result);
  gcert_dns_wait_for_txt_async ("_acme-challenge.cancel.example.", "v", servers, 60,
                                NULL, NULL, cancellable, gcert_test_result_cb, &result);
  g_assert_false (gcert_dns_wait_for_txt_finish (gcert_test_wait_for (&result), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
test_wait_cancel_sleeping (Fixture       *fixture,
                           gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  const char *servers[] = { fixture->pebble->dns_server, NULL };
  gint64 started;
  gint64 elapsed;

  /* let the interval grow to seconds, then cancel during a sleep */
  gcert_test_cancel_after (cancellable, 4000);
  started = g_get_monotonic_time ();
  gcert_dns_wait_for_txt_async ("_acme-challenge.sleep.example.", "v", servers, 60,
                                NULL, NULL, cancellable, gcert_test_result_cb, &result);
  g_assert_false (gcert_dns_wait_for_txt_finish (gcert_test_wait_for (&result), &error));
  elapsed = g_get_monotonic_time () - started;
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (elapsed, <, 4500 * 1000);
}

static void
test_wait_no_answer (Fixture       *fixture,
                     gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *dead = dead_server ();
  const char *servers[] = { fixture->pebble->dns_server, dead, NULL };
  gint64 started = g_get_monotonic_time ();
  gint64 elapsed;

  set_txt (fixture, "_acme-challenge.half.example.", "v");

  gcert_dns_wait_for_txt_async ("_acme-challenge.half.example.", "v", servers, 1,
                                NULL, NULL, NULL, gcert_test_result_cb, &result);
  g_assert_false (gcert_dns_wait_for_txt_finish (gcert_test_wait_for (&result), &error));
  elapsed = g_get_monotonic_time () - started;

  /* only the server that does not answer is named as lacking */
  g_test_message ("%s", error->message);
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_TIMED_OUT);
  g_assert_nonnull (strstr (error->message, "_acme-challenge.half.example."));
  g_assert_nonnull (strstr (error->message, dead));
  g_assert_null (strstr (error->message, fixture->pebble->dns_server));
  g_assert_nonnull (strstr (error->message, "1 of 2"));
  /* the bound plus one round of queries to a silent server */
  g_assert_cmpint (elapsed, <, 7 * G_USEC_PER_SEC);
}

static void
test_wait_bad_input (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  const char *no_servers[] = { NULL };
  const char *bad_servers[] = { "[::1", NULL };

  gcert_dns_wait_for_txt_async ("_acme-challenge.example.", "v", no_servers, 5,
                                NULL, NULL, NULL, gcert_test_result_cb, &result);
  g_assert_false (gcert_dns_wait_for_txt_finish (gcert_test_wait_for (&result), &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA);

  /* a typo fails at once instead of after the timeout */
  g_clear_error (&error);
  g_clear_object (&result);
  gcert_dns_wait_for_txt_async ("_acme-challenge.example.", "v", bad_servers, 60,
                                NULL, NULL, NULL, gcert_test_result_cb, &result);
  g_assert_false (gcert_dns_wait_for_txt_finish (gcert_test_wait_for (&result), &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "[::1"));
}

/* Knot DNS, authoritative for two zones, as the "system resolver" of
 * gcert_dns_find_authoritative: main() points GCERT_DNS_RESOLVER at this
 * port before any thread exists (setenv is not thread-safe). */
static guint16 knot_port;

typedef struct {
  char        *dir;
  char        *address;   /* "127.0.0.1:PORT" */
  GSubprocess *process;
} Knot;

static const char knot_example_zone[] =
  "$ORIGIN example.test.\n"
  "$TTL 60\n"
  "@ SOA ns1.example.test. hostmaster.example.test. 1 3600 600 86400 60\n"
  "@ NS ns1.example.test.\n"
  "@ NS ns2.example.test.\n"
  "ns1 A 127.0.0.1\n"
  "ns2 A 127.0.0.2\n"
  "ns2 AAAA ::1\n"
  "_acme-challenge.www TXT \"ready\"\n"
  "_acme-challenge.alias CNAME _acme-challenge.x.other.test.\n";

static const char knot_other_zone[] =
  "$ORIGIN other.test.\n"
  "$TTL 60\n"
  "@ SOA ns.other.test. hostmaster.other.test. 1 3600 600 86400 60\n"
  "@ NS ns.other.test.\n"
  "ns AAAA ::1\n";

static const char knot_direct_zone[] =
  "$ORIGIN direct.test.\n"
  "$TTL 60\n"
  "@ SOA ns.direct.test. hostmaster.direct.test. 1 3600 600 86400 60\n"
  "@ NS ns.direct.test.\n"
  "ns A 127.0.0.1\n"
  "_acme-challenge TXT \"direct\"\n";

static void
knot_stop (Knot *knot)
{
  if (knot->process != NULL)
    {
      g_subprocess_send_signal (knot->process, SIGTERM);
      g_subprocess_wait (knot->process, NULL, NULL);
      g_clear_object (&knot->process);
    }
  gcert_test_rm_rf (knot->dir);
  g_free (knot->dir);
  g_free (knot->address);
  g_free (knot);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Knot, knot_stop)

static Knot *
knot_start (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autofree char *config = NULL;
  g_autofree char *config_path = NULL;
  g_autofree char *log_path = NULL;
  Knot *knot = g_new0 (Knot, 1);
  guint16 port = knot_port;
  const struct {
    const char *name;
    const char *text;
  } zone_files[] = {
    { "example.test.zone", knot_example_zone },
    { "other.test.zone", knot_other_zone },
    { "direct.test.zone", knot_direct_zone },
  };

  knot->dir = gcert_test_mkdtemp ("gcert-dns-knot");
  knot->address = g_strdup_printf ("127.0.0.1:%u", port);
  config = g_strdup_printf ("server:\n"
                            "  rundir: \"%s\"\n"
                            "  listen: 127.0.0.1@%u\n"
                            "  udp-workers: 1\n"
                            "  tcp-workers: 1\n"
                            "  background-workers: 1\n"
                            "database:\n"
                            "  storage: \"%s\"\n"
                            "log:\n"
                            "  - target: stderr\n"
                            "    any: warning\n"
                            "template:\n"
                            "  - id: default\n"
                            "    storage: \"%s\"\n"
                            "    file: \"%%s.zone\"\n"
                            "    zonefile-sync: -1\n"
                            "    journal-content: none\n"
                            "zone:\n"
                            "  - domain: example.test\n"
                            "  - domain: other.test\n"
                            "  - domain: direct.test\n",
                            knot->dir, port, knot->dir, knot->dir);
  config_path = gcert_test_write_file_in (knot->dir, "knot.conf", config, 0644);
  for (guint i = 0; i < G_N_ELEMENTS (zone_files); i++)
    g_free (gcert_test_write_file_in (knot->dir, zone_files[i].name, zone_files[i].text, 0644));

  log_path = g_build_filename (knot->dir, "knot.log", NULL);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_subprocess_launcher_set_stderr_file_path (launcher, log_path);
  knot->process = g_subprocess_launcher_spawn (launcher, &error, "/usr/sbin/knotd",
                                               "-c", config_path, NULL);
  g_assert_no_error (error);

  /* ready once it serves the zone */
  for (guint i = 0; i < 100; i++)
    {
      g_auto(GStrv) values = gcert_test_query_txt (knot->address,
                                                   "_acme-challenge.www.example.test.", NULL);

      if (values != NULL && g_strv_contains ((const char * const *) values, "ready"))
        return knot;
      g_usleep (100 * 1000);
    }
  {
    g_autofree char *log = NULL;

    g_file_get_contents (log_path, &log, NULL, NULL);
    g_error ("knotd did not start: %s", log != NULL ? log : "");
  }
  return NULL;
}

static GStrv
find_authoritative (const char  *fqdn,
                    GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  GStrv servers;

  gcert_dns_find_authoritative_async (fqdn, NULL, gcert_test_result_cb, &result);
  servers = gcert_dns_find_authoritative_finish (gcert_test_wait_for (&result), error);
  if (servers != NULL)
    gcert_test_sort_strv (servers);
  return servers;
}

static void
test_authoritative (void)
{
  g_autoptr(Knot) knot = knot_start ();
  const char *example[] = { "127.0.0.1:53", "127.0.0.2:53", NULL };
  const char *other[] = { "[::1]:53", NULL };
  const char *names[] = {
    "example.test.",
    "_acme-challenge.www.example.test.",
    /* NXDOMAIN, two labels below the zone */
    "_acme-challenge.deep.missing.example.test",
    /* a CNAME lives in the zone of its owner */
    "_acme-challenge.alias.example.test.",
  };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr(GError) error = NULL;
      g_auto(GStrv) servers = find_authoritative (names[i], &error);

      g_assert_no_error (error);
      g_assert_cmpstrv (servers, example);
    }

  /* a nameserver with IPv6 only */
  {
    g_autoptr(GError) error = NULL;
    g_auto(GStrv) servers = find_authoritative ("_acme-challenge.www.other.test.", &error);

    g_assert_no_error (error);
    g_assert_cmpstrv (servers, other);
  }

  /* a zone the server does not serve */
  {
    g_autoptr(GError) error = NULL;
    g_auto(GStrv) servers = find_authoritative ("www.nowhere.invalid.", &error);

    g_test_message ("%s", error != NULL ? error->message : "");
    g_assert_error (error, GCERT_ERROR, GCERT_ERROR_FAILED);
    g_assert_nonnull (strstr (error->message, "REFUSED"));
    g_assert_null (servers);
  }
}

static void
test_authoritative_no_answer (void)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) servers = NULL;
  g_autofree char *resolver = g_strdup_printf ("127.0.0.1:%u", knot_port);
  gint64 started = g_get_monotonic_time ();

  /* Knot is not running now: the resolver does not answer */
  servers = find_authoritative ("_acme-challenge.example.test.", &error);
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_NETWORK);
  g_assert_nonnull (strstr (error->message, resolver));
  g_assert_null (servers);
  g_assert_cmpint (g_get_monotonic_time () - started, <, 8 * G_USEC_PER_SEC);
}

static void
collect_progress_cb (const char *message,
                     gpointer    user_data)
{
  g_string_append_printf (user_data, "%s\n", message);
}

/* The authoritative servers are asked on GCERT_DNS_AUTHORITATIVE_PORT:
 * @port, or a port nobody answers on (as behind a firewall that drops
 * outbound port 53). */
static void
set_authoritative_port (guint16 port)
{
  g_autofree char *text = NULL;

  text = g_strdup_printf ("%u", port != 0 ? port : gcert_test_find_free_port (TRUE));
  g_setenv ("GCERT_DNS_AUTHORITATIVE_PORT", text, TRUE);
}

static void
test_wait_follows_cname (void)
{
  g_autoptr(Knot) knot = knot_start ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GString) progress = g_string_new (NULL);

  /* no servers given: the zone of the CNAME's target is asked; its server
   * does not answer, so the system resolver is asked instead, which does
   * not serve the value: one round and a named failure */
  set_authoritative_port (0);
  gcert_dns_wait_for_txt_async ("_acme-challenge.alias.example.test.", "v", NULL, 0,
                                collect_progress_cb, progress, NULL, gcert_test_result_cb,
                                &result);
  g_assert_false (gcert_dns_wait_for_txt_finish (gcert_test_wait_for (&result), &error));
  g_test_message ("%s", error->message);
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_TIMED_OUT);
  g_assert_nonnull (strstr (error->message, "_acme-challenge.alias.example.test."));
  g_assert_nonnull (strstr (error->message, "alias of _acme-challenge.x.other.test."));
  g_assert_nonnull (strstr (error->message, "the system resolver"));
  g_assert_nonnull (strstr (progress->str, "do not answer"));
  g_unsetenv ("GCERT_DNS_AUTHORITATIVE_PORT");
}

/* The zone's own server is asked directly and is enough. */
static void
test_wait_authoritative_direct (void)
{
  g_autoptr(Knot) knot = knot_start ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GString) progress = g_string_new (NULL);

  set_authoritative_port (knot_port);
  gcert_dns_wait_for_txt_async ("_acme-challenge.direct.test.", "direct", NULL, 10,
                                collect_progress_cb, progress, NULL, gcert_test_result_cb,
                                &result);
  g_assert_true (gcert_dns_wait_for_txt_finish (gcert_test_wait_for (&result), &error));
  g_assert_no_error (error);
  g_assert_null (strstr (progress->str, "system resolver"));

  /* a value that is not there: the failure names the server asked */
  g_clear_object (&result);
  gcert_dns_wait_for_txt_async ("_acme-challenge.direct.test.", "other", NULL, 1,
                                NULL, NULL, NULL, gcert_test_result_cb, &result);
  g_assert_false (gcert_dns_wait_for_txt_finish (gcert_test_wait_for (&result), &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_TIMED_OUT);
  g_assert_nonnull (strstr (error->message, knot->address));
  g_unsetenv ("GCERT_DNS_AUTHORITATIVE_PORT");
}

/* Port 53 blocked: the system resolver serves the value, and that is
 * good enough, said aloud. */
static void
test_wait_falls_back (void)
{
  g_autoptr(Knot) knot = knot_start ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GString) progress = g_string_new (NULL);

  set_authoritative_port (0);
  gcert_dns_wait_for_txt_async ("_acme-challenge.direct.test.", "direct", NULL, 20,
                                collect_progress_cb, progress, NULL, gcert_test_result_cb,
                                &result);
  g_assert_true (gcert_dns_wait_for_txt_finish (gcert_test_wait_for (&result), &error));
  g_assert_no_error (error);
  g_test_message ("%s", progress->str);
  g_assert_nonnull (strstr (progress->str, "checking through the system resolver"));
  g_unsetenv ("GCERT_DNS_AUTHORITATIVE_PORT");
}

/* CNAME chains through the system resolver (Knot here) */
static void
test_resolve_cname (void)
{
  g_autoptr(Knot) knot = knot_start ();
  const struct {
    const char *fqdn;
    const char *chain;   /* joined by spaces */
  } cases[] = {
    { "_acme-challenge.alias.example.test.", "_acme-challenge.x.other.test." },
    { "_acme-challenge.www.example.test.", "" },
    { "_acme-challenge.nothing.example.test.", "" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GAsyncResult) result = NULL;
      g_auto(GStrv) chain = NULL;
      g_autofree char *joined = NULL;

      gcert_dns_resolve_cname_async (cases[i].fqdn, NULL, NULL, gcert_test_result_cb, &result);
      chain = gcert_dns_resolve_cname_finish (gcert_test_wait_for (&result), &error);
      g_assert_no_error (error);
      joined = g_strjoinv (" ", chain);
      g_assert_cmpstr (joined, ==, cases[i].chain);
    }

  /* asked of a given server directly: the same */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GAsyncResult) result = NULL;
    g_auto(GStrv) chain = NULL;

    gcert_dns_resolve_cname_async ("_acme-challenge.ALIAS.example.test.", knot->address, NULL,
                                   gcert_test_result_cb, &result);
    chain = gcert_dns_resolve_cname_finish (gcert_test_wait_for (&result), &error);
    g_assert_no_error (error);
    g_assert_cmpuint (g_strv_length (chain), ==, 1);
    g_assert_cmpstr (chain[0], ==, "_acme-challenge.x.other.test.");
  }
}

static void
test_authoritative_bad_name (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_auto(GStrv) servers = NULL;
  g_autofree char *long_label = g_strnfill (70, 'b');
  g_autofree char *name = g_strconcat (long_label, ".example.", NULL);

  gcert_dns_find_authoritative_async (name, NULL, gcert_test_result_cb, &result);
  servers = gcert_dns_find_authoritative_finish (gcert_test_wait_for (&result), &error);
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA);
  g_assert_null (servers);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  knot_port = gcert_test_find_free_port (TRUE);
  {
    g_autofree char *resolver = g_strdup_printf ("127.0.0.1:%u", knot_port);

    g_setenv ("GCERT_DNS_RESOLVER", resolver, TRUE);
  }

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("/gcert/dns/query-txt/present", test_query_present);
  ADD ("/gcert/dns/query-txt/none", test_query_none);
  ADD ("/gcert/dns/query-txt/two-values", test_query_two_values);
  ADD ("/gcert/dns/query-txt/large", test_query_large);
  g_test_add_func ("/gcert/dns/query-txt/multi-string", test_query_multi_string);
  g_test_add_func ("/gcert/dns/query-txt/truncated", test_query_truncated);
  g_test_add_func ("/gcert/dns/query-txt/rcodes", test_query_rcodes);
  g_test_add_func ("/gcert/dns/query-txt/wrong-id", test_query_wrong_id);
  g_test_add_func ("/gcert/dns/query-txt/bad-input", test_query_bad_input);
  g_test_add_func ("/gcert/dns/query-txt/no-answer", test_query_no_answer);
  ADD ("/gcert/dns/wait/success", test_wait_success);
  ADD ("/gcert/dns/wait/already-there", test_wait_already_there);
  ADD ("/gcert/dns/wait/timeout", test_wait_timeout);
  ADD ("/gcert/dns/wait/cancel", test_wait_cancel);
  ADD ("/gcert/dns/wait/cancel-sleeping", test_wait_cancel_sleeping);
  ADD ("/gcert/dns/wait/no-answer", test_wait_no_answer);
  g_test_add_func ("/gcert/dns/wait/bad-input", test_wait_bad_input);
  g_test_add_func ("/gcert/dns/authoritative/zones", test_authoritative);
  g_test_add_func ("/gcert/dns/authoritative/no-answer", test_authoritative_no_answer);
  g_test_add_func ("/gcert/dns/authoritative/bad-name", test_authoritative_bad_name);
  g_test_add_func ("/gcert/dns/wait/follows-cname", test_wait_follows_cname);
  g_test_add_func ("/gcert/dns/wait/authoritative-direct", test_wait_authoritative_direct);
  g_test_add_func ("/gcert/dns/wait/falls-back", test_wait_falls_back);
  g_test_add_func ("/gcert/dns/resolve-cname", test_resolve_cname);

#undef ADD

  return g_test_run ();
}
