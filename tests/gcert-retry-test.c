/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <libsoup/soup.h>

#include "gcert-retry.h"
#include "gcert.h"

/* --- backoff ------------------------------------------------------------ */

/* base doubled (attempt - 1) times, capped, computed independently */
static guint64
nominal_delay (const GCertRetryPolicy *policy,
               guint                   attempt)
{
  guint64 delay = policy->base_delay_ms;

  for (guint i = 1; i < attempt && delay < policy->max_delay_ms; i++)
    delay *= 2;
  return MIN (delay, (guint64) policy->max_delay_ms);
}

static void
check_backoff_samples (const GCertRetryPolicy *policy,
                       guint                   attempt,
                       guint64                 expected,
                       GRand                  *rand)
{
  guint64 lowest = G_MAXUINT64;
  guint64 highest = 0;
  const guint samples = 2000;

  for (guint i = 0; i < samples; i++)
    {
      guint64 delay = gcert_retry_backoff_ms (policy, attempt, rand);

      /* never longer than the nominal delay, at most 25 % shorter */
      g_assert_cmpuint (delay, <=, expected);
      g_assert_cmpuint (delay * 4, >=, expected * 3);
      lowest = MIN (lowest, delay);
      highest = MAX (highest, delay);
    }

  /* the jitter is real: the samples spread over most of the allowed range */
  if (expected >= 100)
    {
      g_assert_cmpuint (lowest * 10, <, expected * 8);
      g_assert_cmpuint (highest * 20, >, expected * 19);
    }
}

static void
test_backoff_default (void)
{
  const GCertRetryPolicy policy = GCERT_RETRY_POLICY_DEFAULT;
  static const guint64 expected[] = { 250, 500, 1000, 2000, 4000, 8000, 8000, 8000, 8000 };
  g_autoptr(GRand) rand = g_rand_new_with_seed (20240601);

  g_assert_cmpuint (policy.base_delay_ms, ==, 250);
  g_assert_cmpuint (policy.max_delay_ms, ==, 8000);
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_assert_cmpuint (nominal_delay (&policy, i + 1), ==, expected[i]);
      check_backoff_samples (&policy, i + 1, expected[i], rand);
    }
  /* far beyond the cap: still the cap, no overflow */
  check_backoff_samples (&policy, 64, 8000, rand);
  check_backoff_samples (&policy, 1000, 8000, rand);
  check_backoff_samples (&policy, G_MAXUINT, 8000, rand);
}

static void
test_backoff_custom (void)
{
  const GCertRetryPolicy policies[] = {
    { 50, 8, 5, 100, 1000, 600 },     /* the cap is not a power of two of the base */
    { 50, 8, 5, 7, 7, 600 },          /* base == max: constant */
    { 50, 8, 5, 1000, G_MAXUINT, 600 },
    { 50, 8, 5, 3, 100, 600 },        /* small delays */
  };
  g_autoptr(GRand) rand = g_rand_new_with_seed (42);

  for (guint p = 0; p < G_N_ELEMENTS (policies); p++)
    {
      for (guint attempt = 1; attempt <= 40; attempt++)
        {
          guint64 expected = nominal_delay (&policies[p], attempt);

          check_backoff_samples (&policies[p], attempt, expected, rand);
          /* each step doubles until the cap */
          if (attempt > 1)
            {
              guint64 previous = nominal_delay (&policies[p], attempt - 1);

              g_assert_cmpuint (expected, ==, MIN (previous * 2, (guint64) policies[p].max_delay_ms));
            }
        }
    }
  /* 1000 · 2^39 exceeds a guint: capped, not wrapped around */
  check_backoff_samples (&policies[2], 40, G_MAXUINT, rand);
  check_backoff_samples (&policies[2], 33, G_MAXUINT, rand);
  check_backoff_samples (&policies[2], 22, 1000ULL << 21, rand);
}

static void
test_backoff_seeded (void)
{
  const GCertRetryPolicy policy = GCERT_RETRY_POLICY_DEFAULT;
  g_autoptr(GRand) a = g_rand_new_with_seed (7);
  g_autoptr(GRand) b = g_rand_new_with_seed (7);
  g_autoptr(GRand) c = g_rand_new_with_seed (8);
  guint differences = 0;

  /* the same seed gives the same delays; another seed other delays */
  for (guint i = 0; i < 200; i++)
    {
      guint attempt = 1 + i % 8;
      guint da = gcert_retry_backoff_ms (&policy, attempt, a);
      guint db = gcert_retry_backoff_ms (&policy, attempt, b);
      guint dc = gcert_retry_backoff_ms (&policy, attempt, c);

      g_assert_cmpuint (da, ==, db);
      if (da != dc)
        differences++;
    }
  g_assert_cmpuint (differences, >, 100);
}

/* --- Retry-After -------------------------------------------------------- */

static GDateTime *
fixed_now (void)
{
  return g_date_time_new_utc (2025, 3, 14, 12, 0, 0);
}

static void
test_retry_after_seconds (void)
{
  g_autoptr(GDateTime) now = fixed_now ();

  g_assert_cmpint (gcert_retry_parse_retry_after ("0", now), ==, 0);
  g_assert_cmpint (gcert_retry_parse_retry_after ("1", now), ==, 1);
  g_assert_cmpint (gcert_retry_parse_retry_after ("120", now), ==, 120);
  g_assert_cmpint (gcert_retry_parse_retry_after ("3600", now), ==, 3600);
  g_assert_cmpint (gcert_retry_parse_retry_after ("007", now), ==, 7);
  /* not clamped: the caller decides what is too long */
  g_assert_cmpint (gcert_retry_parse_retry_after ("86400000", now), ==, 86400000);
}

static void
test_retry_after_date_future (void)
{
  g_autoptr(GDateTime) now = fixed_now ();
  g_autoptr(GDateTime) in_90s = g_date_time_add_seconds (now, 90);
  g_autoptr(GDateTime) in_2h = g_date_time_add_hours (now, 2);
  g_autoptr(GDateTime) now_fraction = NULL;
  g_autofree char *text_90s = soup_date_time_to_string (in_90s, SOUP_DATE_HTTP);
  g_autofree char *text_2h = soup_date_time_to_string (in_2h, SOUP_DATE_HTTP);
  gint64 seconds;

  g_assert_cmpstr (text_90s, ==, "Fri, 14 Mar 2025 12:01:30 GMT");
  g_assert_cmpint (gcert_retry_parse_retry_after (text_90s, now), ==, 90);
  g_assert_cmpint (gcert_retry_parse_retry_after (text_2h, now), ==, 2 * 3600);

  /* the obsolete formats every HTTP recipient must accept (RFC 9110 §5.6.7) */
  g_assert_cmpint (gcert_retry_parse_retry_after ("Friday, 14-Mar-25 12:01:00 GMT", now), ==, 60);
  g_assert_cmpint (gcert_retry_parse_retry_after ("Fri Mar 14 12:01:00 2025", now), ==, 60);

  /* "now" between two seconds: the wait is never cut short by more than that */
  now_fraction = g_date_time_new_utc (2025, 3, 14, 12, 0, 0.5);
  seconds = gcert_retry_parse_retry_after (text_90s, now_fraction);
  g_assert_cmpint (seconds, >=, 89);
  g_assert_cmpint (seconds, <=, 90);
}

static void
test_retry_after_date_past (void)
{
  g_autoptr(GDateTime) now = fixed_now ();
  g_autoptr(GDateTime) minute_ago = g_date_time_add_seconds (now, -60);
  g_autoptr(GDateTime) year_ago = g_date_time_add_years (now, -1);
  g_autofree char *text_minute = soup_date_time_to_string (minute_ago, SOUP_DATE_HTTP);
  g_autofree char *text_year = soup_date_time_to_string (year_ago, SOUP_DATE_HTTP);
  g_autofree char *text_now = soup_date_time_to_string (now, SOUP_DATE_HTTP);

  g_assert_cmpint (gcert_retry_parse_retry_after (text_minute, now), ==, 0);
  g_assert_cmpint (gcert_retry_parse_retry_after (text_year, now), ==, 0);
  g_assert_cmpint (gcert_retry_parse_retry_after (text_now, now), ==, 0);
  g_assert_cmpint (gcert_retry_parse_retry_after ("Sun, 06 Nov 1994 08:49:37 GMT", now), ==, 0);
}

static void
test_retry_after_garbage (void)
{
  g_autoptr(GDateTime) now = fixed_now ();
  static const char * const bad[] = {
    "",
    "   ",
    "soon",
    "tomorrow",
    "12abc",
    "12 34",
    "1.5",
    "0x10",
    "-5",
    "-0",
    "+5",
    "99999999999999999999999999",
    "184467440737095516160",
    "Fri, 32 Mar 2025 25:00:00 GMT",
    "Fri, 14 Foo 2025 12:00:00 GMT",
    "GMT",
  };

  g_assert_cmpint (gcert_retry_parse_retry_after (NULL, now), ==, -1);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_test_message ("Retry-After: “%s”", bad[i]);
      g_assert_cmpint (gcert_retry_parse_retry_after (bad[i], now), ==, -1);
    }
}

/* --- sleep -------------------------------------------------------------- */

typedef struct {
  GAsyncResult *result;
  GMainContext *context;   /* the callback must run here */
} SleepWait;

static void
sleep_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  SleepWait *wait = user_data;

  g_assert_null (source);
  g_assert_null (wait->result);
  g_assert_true (g_main_context_is_owner (wait->context));
  wait->result = g_object_ref (result);
}

static void
sleep_wait_run (SleepWait *wait)
{
  while (wait->result == NULL)
    g_main_context_iteration (wait->context, TRUE);
}

static void
sleep_wait_clear (SleepWait *wait)
{
  g_clear_object (&wait->result);
}

static gint64
run_sleep (guint          delay_ms,
           GCancellable  *cancellable,
           GError       **error,
           gboolean      *out_ok)
{
  SleepWait wait = { NULL, g_main_context_default () };
  gint64 start = g_get_monotonic_time ();
  gint64 elapsed;

  gcert_retry_sleep_async (delay_ms, cancellable, sleep_done_cb, &wait);
  sleep_wait_run (&wait);
  elapsed = g_get_monotonic_time () - start;
  *out_ok = gcert_retry_sleep_finish (wait.result, error);
  sleep_wait_clear (&wait);
  return elapsed;
}

static void
test_sleep_delay (void)
{
  g_autoptr(GError) error = NULL;
  gboolean ok;
  gint64 elapsed;

  elapsed = run_sleep (300, NULL, &error, &ok);
  g_assert_no_error (error);
  g_assert_true (ok);
  g_assert_cmpint (elapsed, >=, 300 * 1000);
  g_assert_cmpint (elapsed, <, 10 * G_USEC_PER_SEC);

  elapsed = run_sleep (0, NULL, &error, &ok);
  g_assert_no_error (error);
  g_assert_true (ok);
  g_assert_cmpint (elapsed, <, 5 * G_USEC_PER_SEC);
}

static void
test_sleep_cancellable_unused (void)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  gboolean ok;
  gint64 elapsed;

  elapsed = run_sleep (150, cancellable, &error, &ok);
  g_assert_no_error (error);
  g_assert_true (ok);
  g_assert_cmpint (elapsed, >=, 150 * 1000);

  /* cancelling after completion changes nothing and calls back nobody */
  g_cancellable_cancel (cancellable);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static gboolean
cancel_cb (gpointer user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
  return G_SOURCE_REMOVE;
}

static void
test_sleep_cancel (void)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  gboolean ok;
  gint64 elapsed;

  g_timeout_add (50, cancel_cb, cancellable);
  elapsed = run_sleep (60 * 1000, cancellable, &error, &ok);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (ok);
  g_assert_cmpint (elapsed, >=, 50 * 1000);
  g_assert_cmpint (elapsed, <, 5 * G_USEC_PER_SEC);
  /* nothing is left behind to fire later */
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static void
test_sleep_already_cancelled (void)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  gboolean ok;
  gint64 elapsed;

  g_cancellable_cancel (cancellable);
  elapsed = run_sleep (60 * 1000, cancellable, &error, &ok);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (ok);
  g_assert_cmpint (elapsed, <, 5 * G_USEC_PER_SEC);
}

static gpointer
cancel_thread (gpointer user_data)
{
  g_usleep (50 * 1000);
  g_cancellable_cancel (G_CANCELLABLE (user_data));
  return NULL;
}

static void
test_sleep_cancel_from_thread (void)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  GThread *thread;
  gboolean ok;
  gint64 elapsed;

  thread = g_thread_new ("cancel", cancel_thread, cancellable);
  elapsed = run_sleep (60 * 1000, cancellable, &error, &ok);
  g_thread_join (thread);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (ok);
  g_assert_cmpint (elapsed, <, 5 * G_USEC_PER_SEC);
}

static void
test_sleep_thread_default_context (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  SleepWait short_wait = { NULL, context };
  SleepWait long_wait = { NULL, context };
  gint64 start;

  g_main_context_push_thread_default (context);
  start = g_get_monotonic_time ();
  gcert_retry_sleep_async (100, NULL, sleep_done_cb, &short_wait);
  gcert_retry_sleep_async (60 * 1000, cancellable, sleep_done_cb, &long_wait);

  /* the timers are on @context: the global default context never sees them */
  g_assert_false (g_main_context_pending (g_main_context_default ()));
  sleep_wait_run (&short_wait);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 100 * 1000);
  g_assert_true (gcert_retry_sleep_finish (short_wait.result, &error));
  g_assert_no_error (error);
  g_assert_null (long_wait.result);

  g_cancellable_cancel (cancellable);
  sleep_wait_run (&long_wait);
  g_assert_false (gcert_retry_sleep_finish (long_wait.result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 10 * G_USEC_PER_SEC);
  g_main_context_pop_thread_default (context);

  sleep_wait_clear (&short_wait);
  sleep_wait_clear (&long_wait);
  while (g_main_context_iteration (context, FALSE))
    ;
}

typedef struct {
  guint   order[3];
  guint   done;
} Order;

typedef struct {
  Order *order;
  guint  index;
} OrderEntry;

static void
order_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  OrderEntry *entry = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (gcert_retry_sleep_finish (result, &error));
  g_assert_no_error (error);
  entry->order->order[entry->order->done++] = entry->index;
}

static void
test_sleep_parallel (void)
{
  static const guint delays[] = { 400, 50, 200 };
  Order order = { { 0 }, 0 };
  OrderEntry entries[3];

  /* independent sleeps end in the order of their delays */
  for (guint i = 0; i < G_N_ELEMENTS (delays); i++)
    {
      entries[i].order = &order;
      entries[i].index = i;
      gcert_retry_sleep_async (delays[i], NULL, order_cb, &entries[i]);
    }
  while (order.done < G_N_ELEMENTS (delays))
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (order.order[0], ==, 1);
  g_assert_cmpuint (order.order[1], ==, 2);
  g_assert_cmpuint (order.order[2], ==, 0);
}

/* --- error classification ----------------------------------------------- */

static void
test_transient (void)
{
  static const struct {
    const char *what;
    GQuark      (*domain) (void);
    int         code;
    gboolean    transient;
  } cases[] = {
    { "timeout", g_io_error_quark, G_IO_ERROR_TIMED_OUT, TRUE },
    { "refused", g_io_error_quark, G_IO_ERROR_CONNECTION_REFUSED, TRUE },
    { "closed", g_io_error_quark, G_IO_ERROR_CONNECTION_CLOSED, TRUE },
    { "broken pipe", g_io_error_quark, G_IO_ERROR_BROKEN_PIPE, TRUE },
    { "truncated", g_io_error_quark, G_IO_ERROR_PARTIAL_INPUT, TRUE },
    { "host unreachable", g_io_error_quark, G_IO_ERROR_HOST_UNREACHABLE, TRUE },
    { "network unreachable", g_io_error_quark, G_IO_ERROR_NETWORK_UNREACHABLE, TRUE },
    { "tls eof", g_tls_error_quark, G_TLS_ERROR_EOF, TRUE },
    { "resolver temporary", g_resolver_error_quark, G_RESOLVER_ERROR_TEMPORARY_FAILURE, TRUE },
    { "soup parsing", soup_session_error_quark, SOUP_SESSION_ERROR_PARSING, TRUE },
    { "soup encoding", soup_session_error_quark, SOUP_SESSION_ERROR_ENCODING, TRUE },

    { "cancelled", g_io_error_quark, G_IO_ERROR_CANCELLED, FALSE },
    { "not found", g_io_error_quark, G_IO_ERROR_NOT_FOUND, FALSE },
    { "permission", g_io_error_quark, G_IO_ERROR_PERMISSION_DENIED, FALSE },
    { "invalid argument", g_io_error_quark, G_IO_ERROR_INVALID_ARGUMENT, FALSE },
    { "bad certificate", g_tls_error_quark, G_TLS_ERROR_BAD_CERTIFICATE, FALSE },
    { "not tls", g_tls_error_quark, G_TLS_ERROR_NOT_TLS, FALSE },
    { "certificate required", g_tls_error_quark, G_TLS_ERROR_CERTIFICATE_REQUIRED, FALSE },
    { "resolver not found", g_resolver_error_quark, G_RESOLVER_ERROR_NOT_FOUND, FALSE },
    { "too many redirects", soup_session_error_quark, SOUP_SESSION_ERROR_TOO_MANY_REDIRECTS, FALSE },
    { "gcert config", gcert_error_quark, GCERT_ERROR_CONFIG, FALSE },
    { "gcert invalid data", gcert_error_quark, GCERT_ERROR_INVALID_DATA, FALSE },
    { "acme malformed", gcert_acme_error_quark, GCERT_ACME_ERROR_MALFORMED, FALSE },
    { "key file", g_key_file_error_quark, G_KEY_FILE_ERROR_PARSE, FALSE },
  };
  static const struct {
    int      errsv;
    gboolean transient;
  } errnos[] = {
    { ECONNRESET, TRUE },
    { ECONNREFUSED, TRUE },
    { ETIMEDOUT, TRUE },
    { EPIPE, TRUE },
    { ENOENT, FALSE },
    { EACCES, FALSE },
  };

  g_assert_false (gcert_retry_is_transient_error (NULL));
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = g_error_new_literal (cases[i].domain (), cases[i].code,
                                                     cases[i].what);

      g_test_message ("%s", cases[i].what);
      g_assert_cmpint (gcert_retry_is_transient_error (error), ==, cases[i].transient);
    }
  /* what GSocket reports for the system's errors */
  for (guint i = 0; i < G_N_ELEMENTS (errnos); i++)
    {
      g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR,
                                                     g_io_error_from_errno (errnos[i].errsv),
                                                     g_strerror (errnos[i].errsv));

      g_test_message ("%s", g_strerror (errnos[i].errsv));
      g_assert_cmpint (gcert_retry_is_transient_error (error), ==, errnos[i].transient);
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/gcert/retry/backoff/default", test_backoff_default);
  g_test_add_func ("/gcert/retry/backoff/custom", test_backoff_custom);
  g_test_add_func ("/gcert/retry/backoff/seeded", test_backoff_seeded);
  g_test_add_func ("/gcert/retry/retry-after/seconds", test_retry_after_seconds);
  g_test_add_func ("/gcert/retry/retry-after/date-future", test_retry_after_date_future);
  g_test_add_func ("/gcert/retry/retry-after/date-past", test_retry_after_date_past);
  g_test_add_func ("/gcert/retry/retry-after/garbage", test_retry_after_garbage);
  g_test_add_func ("/gcert/retry/sleep/delay", test_sleep_delay);
  g_test_add_func ("/gcert/retry/sleep/cancellable-unused", test_sleep_cancellable_unused);
  g_test_add_func ("/gcert/retry/sleep/cancel", test_sleep_cancel);
  g_test_add_func ("/gcert/retry/sleep/already-cancelled", test_sleep_already_cancelled);
  g_test_add_func ("/gcert/retry/sleep/cancel-from-thread", test_sleep_cancel_from_thread);
  g_test_add_func ("/gcert/retry/sleep/thread-default-context", test_sleep_thread_default_context);
  g_test_add_func ("/gcert/retry/sleep/parallel", test_sleep_parallel);
  g_test_add_func ("/gcert/retry/transient", test_transient);

  return g_test_run ();
}
