/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "gcert-test-util.h"

#define MINUTE 60
#define HOUR (60 * MINUTE)
#define DAY (24 * HOUR)

static void
test_parse_good (void)
{
  static const struct {
    const char *text;
    gint64 seconds;
  } cases[] = {
    { "0", 0 },
    { "45", 45 },
    { "45s", 45 },
    { "90m", 90 * MINUTE },
    { "12h", 12 * HOUR },
    { "30d", 30 * DAY },
    { "2w", 14 * DAY },
    { "1d12h", DAY + 12 * HOUR },
    { "1w2d3h4m5s", 9 * DAY + 3 * HOUR + 4 * MINUTE + 5 },
    { "1d 12h", DAY + 12 * HOUR },
    { "  30d  ", 30 * DAY },
    { "0d", 0 },
    { "1h1h", 2 * HOUR },
    { "007m", 7 * MINUTE },
    { "9223372036854775807", G_MAXINT64 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      gint64 seconds = -1;

      if (!gcert_duration_parse (cases[i].text, &seconds, &error))
        g_error ("“%s”: %s", cases[i].text, error->message);
      g_assert_cmpint (seconds, ==, cases[i].seconds);
    }
}

static void
test_parse_bad (void)
{
  static const char *cases[] = {
    "", "   ", "d", "30x", "30D", "-5d", "+5d", "1.5d", "30 d", "10 minutes",
    "1d 12", "12 1d", "3y", "1d-2h", "0x10", "5s5", "9223372036854775808",
    "99999999999999999999d", "15250284452472w", "1w\n2d;",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      gint64 seconds = 12345;

      if (gcert_duration_parse (cases[i], &seconds, &error))
        g_error ("“%s” was accepted as %" G_GINT64_FORMAT, cases[i], seconds);
      g_assert_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA);
      /* the output is left alone on error */
      g_assert_cmpint (seconds, ==, 12345);
      g_assert_nonnull (strstr (error->message, "duration"));
    }
}

static void
test_format (void)
{
  static const struct {
    gint64 seconds;
    const char *text;
  } cases[] = {
    { 0, "0s" },
    { 45, "45s" },
    { 90 * MINUTE, "1h30m" },
    { 30 * DAY, "30d" },
    { DAY + 12 * HOUR, "1d12h" },
    { 14 * DAY, "14d" },
    { DAY + 1, "1d1s" },
    { -(2 * DAY), "-2d" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = gcert_duration_format (cases[i].seconds);

      g_assert_cmpstr (text, ==, cases[i].text);
    }
}

static void
test_round_trip (void)
{
  static const gint64 values[] = {
    1, 59, 60, 61, 3599, 3600, 86399, 86400, 90 * DAY, 123456789, G_MAXINT64,
  };

  for (gsize i = 0; i < G_N_ELEMENTS (values); i++)
    {
      g_autofree char *text = gcert_duration_format (values[i]);
      g_autoptr(GError) error = NULL;
      gint64 parsed = 0;

      g_assert_true (gcert_duration_parse (text, &parsed, &error));
      g_assert_no_error (error);
      g_assert_cmpint (parsed, ==, values[i]);
    }
  {
    g_autofree char *text = gcert_duration_format (G_MININT64);

    g_assert_cmpstr (text, ==, "-106751991167300d15h30m8s");
  }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/gcert/duration/parse-good", test_parse_good);
  g_test_add_func ("/gcert/duration/parse-bad", test_parse_bad);
  g_test_add_func ("/gcert/duration/format", test_format);
  g_test_add_func ("/gcert/duration/round-trip", test_round_trip);

  return g_test_run ();
}
