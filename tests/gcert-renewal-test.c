/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "gcert-test-util.h"

#define HOUR (60 * 60)
#define DAY (24 * HOUR)

/* a fixed notBefore keeps the expected times readable */
static GDateTime *
base_time (void)
{
  return g_date_time_new_utc (2024, 3, 1, 12, 0, 0);
}

static gint64
due_offset (gint64 lifetime,
            gint64 renew_before,
            gint64 renew_every)
{
  g_autoptr(GDateTime) nb = base_time ();
  g_autoptr(GDateTime) na = g_date_time_add_seconds (nb, lifetime);
  g_autoptr(GDateTime) due = gcert_renewal_due_time_for (nb, na, renew_before, renew_every);

  g_assert_nonnull (due);
  return g_date_time_to_unix (due) - g_date_time_to_unix (nb);
}

static void
test_default_lifetimes (void)
{
  /* a third of the lifetime before the end */
  g_assert_cmpint (due_offset (90 * DAY, 0, 0), ==, 60 * DAY);
  g_assert_cmpint (due_offset (64 * DAY, 0, 0), ==, 64 * DAY - (64 * DAY) / 3);
  g_assert_cmpint (due_offset (64 * DAY, 0, 0), ==, 42 * DAY + 16 * HOUR);
  g_assert_cmpint (due_offset (45 * DAY, 0, 0), ==, 30 * DAY);
  g_assert_cmpint (due_offset (10 * DAY, 0, 0), ==, 6 * DAY + 16 * HOUR);
  /* half of it under 10 days */
  g_assert_cmpint (due_offset (6 * DAY, 0, 0), ==, 3 * DAY);
  g_assert_cmpint (due_offset (9 * DAY, 0, 0), ==, 4 * DAY + 12 * HOUR);
  g_assert_cmpint (due_offset (DAY, 0, 0), ==, 12 * HOUR);
  /* Let's Encrypt's notAfter is one second short of 90 days */
  g_assert_cmpint (due_offset (90 * DAY - 1, 0, 0), ==, 90 * DAY - 1 - (90 * DAY - 1) / 3);
}

static void
test_overrides (void)
{
  /* renew-before replaces the default */
  g_assert_cmpint (due_offset (90 * DAY, 30 * DAY, 0), ==, 60 * DAY);
  g_assert_cmpint (due_offset (90 * DAY, 10 * DAY, 0), ==, 80 * DAY);
  g_assert_cmpint (due_offset (90 * DAY, 45 * DAY, 0), ==, 45 * DAY);
  g_assert_cmpint (due_offset (6 * DAY, DAY, 0), ==, 5 * DAY);
  /* longer than the lifetime: due at once */
  g_assert_cmpint (due_offset (6 * DAY, 30 * DAY, 0), ==, -24 * DAY);

  /* renew-every counts from notBefore; the earlier time wins */
  g_assert_cmpint (due_offset (90 * DAY, 0, 30 * DAY), ==, 30 * DAY);
  g_assert_cmpint (due_offset (90 * DAY, 0, 80 * DAY), ==, 60 * DAY);
  g_assert_cmpint (due_offset (90 * DAY, 10 * DAY, 70 * DAY), ==, 70 * DAY);
  g_assert_cmpint (due_offset (90 * DAY, 40 * DAY, 70 * DAY), ==, 50 * DAY);
  g_assert_cmpint (due_offset (6 * DAY, 0, 7 * DAY), ==, 3 * DAY);
}

typedef struct {
  GCertKey         *key;
  GCertCertificate *cert;
  GDateTime        *not_before;
  GDateTime        *not_after;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  const char *names[] = { "example.com", "*.example.com", "www.example.com", NULL };
  gint64 lifetime = GPOINTER_TO_INT (data) * (gint64) DAY;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *pem = NULL;

  fixture->key = gcert_key_generate (GCERT_KEY_TYPE_EC_256, &error);
  g_assert_no_error (error);
  fixture->not_before = g_date_time_add_seconds (now, -HOUR);
  fixture->not_after = g_date_time_add_seconds (fixture->not_before, lifetime);
  pem = gcert_test_issue_certificate (fixture->key, names, fixture->not_before,
                                      fixture->not_after, NULL);
  g_assert_nonnull (pem);
  fixture->cert = gcert_certificate_new_from_pem (pem, -1, &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_clear_object (&fixture->cert);
  g_clear_object (&fixture->key);
  g_clear_pointer (&fixture->not_before, g_date_time_unref);
  g_clear_pointer (&fixture->not_after, g_date_time_unref);
}

static gboolean
is_due_at (Fixture            *fixture,
           const char * const *domains,
           GCertKeyType        key_type,
           gint64              renew_before,
           gint64              renew_every,
           gint64              since_not_before,
           char              **out_reason)
{
  g_autoptr(GDateTime) now = g_date_time_add_seconds (fixture->not_before, since_not_before);
  gboolean due;

  due = gcert_renewal_is_due (fixture->cert, domains, key_type, renew_before,
                              renew_every, now, out_reason);
  g_assert_nonnull (*out_reason);
  g_test_message ("%s", *out_reason);
  return due;
}

static const char *wanted[] = { "www.example.com", "example.com", "*.example.com", NULL };

static void
test_due_90 (Fixture       *fixture,
             gconstpointer  data)
{
  g_autofree char *reason = NULL;
  g_autoptr(GDateTime) due = NULL;
  g_autoptr(GDateTime) due_for = NULL;

  due = gcert_renewal_due_time (fixture->cert, 0, 0);
  due_for = gcert_renewal_due_time_for (fixture->not_before, fixture->not_after, 0, 0);
  g_assert_true (g_date_time_equal (due, due_for));
  g_assert_cmpint (g_date_time_to_unix (due) - g_date_time_to_unix (fixture->not_before),
                   ==, 60 * DAY);

  g_assert_false (is_due_at (fixture, wanted, GCERT_KEY_TYPE_EC_256, 0, 0, DAY, &reason));
  g_assert_true (g_str_has_prefix (reason, "not due until "));
  g_clear_pointer (&reason, g_free);

  g_assert_false (is_due_at (fixture, wanted, GCERT_KEY_TYPE_EC_256, 0, 0,
                             60 * DAY - 60, &reason));
  g_clear_pointer (&reason, g_free);

  g_assert_true (is_due_at (fixture, wanted, GCERT_KEY_TYPE_EC_256, 0, 0,
                            60 * DAY, &reason));
  g_assert_cmpstr (reason, ==, "30 days left");
  g_clear_pointer (&reason, g_free);

  g_assert_true (is_due_at (fixture, wanted, GCERT_KEY_TYPE_EC_256, 0, 0,
                            89 * DAY + 12 * HOUR, &reason));
  g_assert_cmpstr (reason, ==, "12 hours left");
  g_clear_pointer (&reason, g_free);

  g_assert_true (is_due_at (fixture, wanted, GCERT_KEY_TYPE_EC_256, 0, 0,
                            91 * DAY, &reason));
  g_assert_cmpstr (reason, ==, "expired");
  g_clear_pointer (&reason, g_free);

  /* renew-before */
  g_assert_false (is_due_at (fixture, wanted, GCERT_KEY_TYPE_EC_256, 10 * DAY, 0,
                             75 * DAY, &reason));
  g_clear_pointer (&reason, g_free);
  g_assert_true (is_due_at (fixture, wanted, GCERT_KEY_TYPE_EC_256, 10 * DAY, 0,
                            80 * DAY, &reason));
  g_assert_cmpstr (reason, ==, "10 days left");
  g_clear_pointer (&reason, g_free);

  /* renew-every */
  g_assert_false (is_due_at (fixture, wanted, GCERT_KEY_TYPE_EC_256, 0, 7 * DAY,
                             6 * DAY, &reason));
  g_clear_pointer (&reason, g_free);
  g_assert_true (is_due_at (fixture, wanted, GCERT_KEY_TYPE_EC_256, 0, 7 * DAY,
                            7 * DAY, &reason));
  g_assert_true (g_str_has_prefix (reason, "older than 7d"));
  g_clear_pointer (&reason, g_free);

  /* now defaults to the current time: one hour into 90 days */
  g_assert_false (gcert_renewal_is_due (fixture->cert, wanted, GCERT_KEY_TYPE_EC_256,
                                        0, 0, NULL, NULL));
}

static void
test_due_short (Fixture       *fixture,
                gconstpointer  data)
{
  g_autofree char *reason = NULL;
  gint64 lifetime = GPOINTER_TO_INT (data) * (gint64) DAY;
  gint64 expected = lifetime < 10 * DAY ? lifetime / 2 : lifetime / 3;
  g_autoptr(GDateTime) due = gcert_renewal_due_time (fixture->cert, 0, 0);

  g_assert_cmpint (g_date_time_to_unix (fixture->not_after) - g_date_time_to_unix (due),
                   ==, expected);
  g_assert_false (is_due_at (fixture, wanted, GCERT_KEY_TYPE_EC_256, 0, 0,
                             lifetime - expected - 1, &reason));
  g_clear_pointer (&reason, g_free);
  g_assert_true (is_due_at (fixture, wanted, GCERT_KEY_TYPE_EC_256, 0, 0,
                            lifetime - expected, &reason));
  g_assert_true (g_str_has_suffix (reason, " left"));
}

static void
test_names_changed (Fixture       *fixture,
                    gconstpointer  data)
{
  const char *same_upper[] = { "EXAMPLE.com", "*.Example.com", "www.example.COM", NULL };
  const char *added[] = { "example.com", "*.example.com", "www.example.com", "api.example.com", NULL };
  const char *removed[] = { "example.com", "*.example.com", NULL };
  const char *duplicated[] = { "example.com", "*.example.com", "www.example.com",
                               "example.com", NULL };
  g_autofree char *reason = NULL;

  g_assert_false (is_due_at (fixture, same_upper, GCERT_KEY_TYPE_EC_256, 0, 0, DAY, &reason));
  g_clear_pointer (&reason, g_free);
  g_assert_false (is_due_at (fixture, duplicated, GCERT_KEY_TYPE_EC_256, 0, 0, DAY, &reason));
  g_clear_pointer (&reason, g_free);

  g_assert_true (is_due_at (fixture, added, GCERT_KEY_TYPE_EC_256, 0, 0, DAY, &reason));
  g_assert_true (g_str_has_prefix (reason, "names changed"));
  g_assert_nonnull (strstr (reason, "api.example.com"));
  g_clear_pointer (&reason, g_free);

  g_assert_true (is_due_at (fixture, removed, GCERT_KEY_TYPE_EC_256, 0, 0, DAY, &reason));
  g_assert_true (g_str_has_prefix (reason, "names changed"));
  g_assert_nonnull (strstr (reason, "www.example.com"));
}

static void
test_key_type_changed (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autofree char *reason = NULL;

  g_assert_true (is_due_at (fixture, wanted, GCERT_KEY_TYPE_RSA_2048, 0, 0, DAY, &reason));
  g_assert_cmpstr (reason, ==, "key type changed (ec-256 to rsa-2048)");
  g_clear_pointer (&reason, g_free);
  g_assert_true (is_due_at (fixture, wanted, GCERT_KEY_TYPE_EC_384, 0, 0, DAY, &reason));
  g_assert_true (g_str_has_prefix (reason, "key type changed"));
}

static void
test_no_certificate (void)
{
  g_autofree char *reason = NULL;

  g_assert_true (gcert_renewal_is_due (NULL, wanted, GCERT_KEY_TYPE_EC_256, 0, 0,
                                       NULL, &reason));
  g_assert_cmpstr (reason, ==, "no certificate yet");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/gcert/renewal/default-lifetimes", test_default_lifetimes);
  g_test_add_func ("/gcert/renewal/overrides", test_overrides);
  g_test_add_func ("/gcert/renewal/no-certificate", test_no_certificate);
  g_test_add ("/gcert/renewal/due-90", Fixture, GINT_TO_POINTER (90),
              fixture_set_up, test_due_90, fixture_tear_down);
  g_test_add ("/gcert/renewal/due-64", Fixture, GINT_TO_POINTER (64),
              fixture_set_up, test_due_short, fixture_tear_down);
  g_test_add ("/gcert/renewal/due-45", Fixture, GINT_TO_POINTER (45),
              fixture_set_up, test_due_short, fixture_tear_down);
  g_test_add ("/gcert/renewal/due-6", Fixture, GINT_TO_POINTER (6),
              fixture_set_up, test_due_short, fixture_tear_down);
  g_test_add ("/gcert/renewal/names-changed", Fixture, GINT_TO_POINTER (90),
              fixture_set_up, test_names_changed, fixture_tear_down);
  g_test_add ("/gcert/renewal/key-type-changed", Fixture, GINT_TO_POINTER (90),
              fixture_set_up, test_key_type_changed, fixture_tear_down);

  return g_test_run ();
}
