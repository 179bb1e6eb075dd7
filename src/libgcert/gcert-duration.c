/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "gcert-config.h"
#include "gcert-error.h"

static gint64
unit_seconds (char unit)
{
  switch (unit)
    {
    case 's':
      return 1;
    case 'm':
      return 60;
    case 'h':
      return 60 * 60;
    case 'd':
      return 24 * 60 * 60;
    case 'w':
      return 7 * 24 * 60 * 60;
    default:
      return 0;
    }
}

static void
set_invalid (GError     **error,
             const char  *text)
{
  g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
               _("invalid duration “%s”: expected a number of seconds or "
                 "numbers followed by w, d, h, m or s, like “30d” or “1d12h”"),
               text);
}

gboolean
gcert_duration_parse (const char  *text,
                      gint64      *out_seconds,
                      GError     **error)
{
  const char *p;
  gint64 total = 0;
  gboolean any = FALSE;
  gboolean bare_number = FALSE;

  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  p = text;
  while (g_ascii_isspace (*p))
    p++;

  while (*p != '\0')
    {
      gint64 value = 0;
      gint64 unit;
      const char *start = p;

      if (bare_number)
        {
          set_invalid (error, text);
          return FALSE;
        }
      while (g_ascii_isdigit (*p))
        {
          if (value > (G_MAXINT64 - (*p - '0')) / 10)
            {
              g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                           _("duration “%s” is too large"), text);
              return FALSE;
            }
          value = value * 10 + (*p - '0');
          p++;
        }
      if (p == start)
        {
          set_invalid (error, text);
          return FALSE;
        }

      if (*p == '\0' || g_ascii_isspace (*p))
        {
          /* a plain number of seconds, only on its own */
          if (any)
            {
              set_invalid (error, text);
              return FALSE;
            }
          unit = 1;
          bare_number = TRUE;
        }
      else
        {
          unit = unit_seconds (*p);
          if (unit == 0)
            {
              set_invalid (error, text);
              return FALSE;
            }
          p++;
        }

      if (value > G_MAXINT64 / unit || total > G_MAXINT64 - value * unit)
        {
          g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                       _("duration “%s” is too large"), text);
          return FALSE;
        }
      total += value * unit;
      any = TRUE;

      while (g_ascii_isspace (*p))
        p++;
    }

  if (!any)
    {
      set_invalid (error, text);
      return FALSE;
    }
  if (out_seconds != NULL)
    *out_seconds = total;
  return TRUE;
}

char *
gcert_duration_format (gint64 seconds)
{
  static const struct {
    char unit;
    gint64 seconds;
  } units[] = {
    { 'd', 24 * 60 * 60 },
    { 'h', 60 * 60 },
    { 'm', 60 },
    { 's', 1 },
  };
  g_autoptr(GString) str = NULL;
  guint64 left;

  if (seconds == 0)
    return g_strdup ("0s");

  str = g_string_new (NULL);

  if (seconds < 0)
    {
      g_string_append_c (str, '-');
      left = (guint64) (-(seconds + 1)) + 1;
    }
  else
    {
      left = (guint64) seconds;
    }

  for (gsize i = 0; i < G_N_ELEMENTS (units); i++)
    {
      guint64 n = left / units[i].seconds;

      if (n == 0)
        continue;
      g_string_append_printf (str, "%" G_GUINT64_FORMAT "%c", n, units[i].unit);
      left -= n * units[i].seconds;
    }
  return g_string_free (g_steal_pointer (&str), FALSE);
}
