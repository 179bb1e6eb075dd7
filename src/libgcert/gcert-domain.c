/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "gcert-config.h"
#include "gcert-error.h"

static gboolean
check_label (const char  *domain,
             const char  *label,
             gsize        length,
             GError     **error)
{
  if (length == 0)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                   _("invalid domain “%s”: empty label"), domain);
      return FALSE;
    }
  if (length > 63)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                   _("invalid domain “%s”: a label is longer than 63 characters"),
                   domain);
      return FALSE;
    }
  for (gsize i = 0; i < length; i++)
    {
      char c = label[i];

      if (c == '*')
        {
          g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                       _("invalid domain “%s”: a wildcard is only allowed as "
                         "the whole leftmost label, like “*.example.com”"),
                       domain);
          return FALSE;
        }
      if (!g_ascii_isalnum (c) && c != '-')
        {
          g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                       _("invalid domain “%s”: character “%c” is not allowed "
                         "(only letters, digits and “-”)"),
                       domain, g_ascii_isprint (c) ? c : '?');
          return FALSE;
        }
    }
  if (label[0] == '-' || label[length - 1] == '-')
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                   _("invalid domain “%s”: a label may not start or end with “-”"),
                   domain);
      return FALSE;
    }
  return TRUE;
}

static gboolean
is_all_digits (const char *text)
{
  for (const char *c = text; *c != '\0'; c++)
    {
      if (!g_ascii_isdigit (*c))
        return FALSE;
    }
  return TRUE;
}

gboolean
gcert_domain_validate (const char  *domain,
                       char       **out_normalized,
                       GError     **error)
{
  g_autofree char *ascii = NULL;
  g_auto(GStrv) labels = NULL;
  gsize len;
  guint n_labels;

  g_return_val_if_fail (domain != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (*domain == '\0')
    {
      g_set_error_literal (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                           _("empty domain name"));
      return FALSE;
    }
  if (!g_utf8_validate (domain, -1, NULL))
    {
      g_set_error_literal (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                           _("invalid domain: not valid UTF-8"));
      return FALSE;
    }

  /* internationalized names are requested in their A-label form */
  if (g_str_is_ascii (domain))
    {
      ascii = g_ascii_strdown (domain, -1);
    }
  else
    {
      g_autofree char *converted = g_hostname_to_ascii (domain);

      if (converted == NULL)
        {
          g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                       _("invalid domain “%s”: cannot convert it to ASCII"), domain);
          return FALSE;
        }
      ascii = g_ascii_strdown (converted, -1);
    }

  len = strlen (ascii);
  if (len > 1 && ascii[len - 1] == '.' && ascii[len - 2] != '.')
    ascii[--len] = '\0';
  if (len > 253)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                   _("invalid domain “%s”: longer than 253 characters"), domain);
      return FALSE;
    }
  if (g_hostname_is_ip_address (ascii))
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                   _("invalid domain “%s”: IP addresses cannot be validated "
                     "with DNS-01"), domain);
      return FALSE;
    }

  labels = g_strsplit (ascii, ".", -1);
  n_labels = g_strv_length (labels);
  if (n_labels < 2)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                   _("invalid domain “%s”: it needs at least two labels"), domain);
      return FALSE;
    }

  for (guint i = 0; i < n_labels; i++)
    {
      if (i == 0 && g_strcmp0 (labels[0], "*") == 0)
        continue;
      if (!check_label (domain, labels[i], strlen (labels[i]), error))
        return FALSE;
    }

  if (g_strcmp0 (labels[0], "*") == 0 && n_labels < 3)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                   _("invalid domain “%s”: a wildcard needs at least two labels "
                     "after it"), domain);
      return FALSE;
    }

  /* no top-level domain is all digits; this also catches dotted numbers */
  if (is_all_digits (labels[n_labels - 1]))
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                   _("invalid domain “%s”: the last label is all digits"),
                   domain);
      return FALSE;
    }

  if (out_normalized != NULL)
    *out_normalized = g_steal_pointer (&ascii);
  return TRUE;
}

gboolean
gcert_name_validate (const char  *name,
                     GError     **error)
{
  g_autofree char *shown = NULL;
  gsize len;

  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  len = strlen (name);
  shown = g_strescape (name, NULL);
  if (len == 0)
    {
      g_set_error_literal (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                           _("empty name"));
      return FALSE;
    }
  if (len > 64)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                   _("invalid name “%.64s…”: longer than 64 characters"), shown);
      return FALSE;
    }
  if (name[0] == '.')
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                   _("invalid name “%s”: it may not start with “.”"), shown);
      return FALSE;
    }
  for (const char *c = name; *c != '\0'; c++)
    {
      if (!g_ascii_isalnum (*c) && strchr ("._@-", *c) == NULL)
        {
          g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                       _("invalid name “%s”: only letters, digits, “.”, “_”, "
                         "“@” and “-” are allowed"), shown);
          return FALSE;
        }
    }
  return TRUE;
}
