/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "gcert-config.h"
#include "gcert-renewal.h"

#define DAY_SECONDS (24 * 60 * 60)

static gint64
effective_renew_before (gint64 lifetime,
                        gint64 renew_before)
{
  if (renew_before > 0)
    return renew_before;
  if (lifetime <= 0)
    return 0;
  /* short-lived certificates need a wider margin to survive one failed run */
  if (lifetime < 10 * DAY_SECONDS)
    return lifetime / 2;
  return lifetime / 3;
}

GDateTime *
gcert_renewal_due_time_for (GDateTime *not_before,
                            GDateTime *not_after,
                            gint64     renew_before,
                            gint64     renew_every)
{
  gint64 nb;
  gint64 na;
  gint64 due;

  g_return_val_if_fail (not_before != NULL, NULL);
  g_return_val_if_fail (not_after != NULL, NULL);

  nb = g_date_time_to_unix (not_before);
  na = g_date_time_to_unix (not_after);
  due = na - effective_renew_before (na - nb, renew_before);
  if (renew_every > 0 && nb + renew_every < due)
    due = nb + renew_every;
  return g_date_time_new_from_unix_utc (due);
}

GDateTime *
gcert_renewal_due_time (GCertCertificate *cert,
                        gint64            renew_before,
                        gint64            renew_every)
{
  g_autoptr(GDateTime) not_before = NULL;
  g_autoptr(GDateTime) not_after = NULL;

  g_return_val_if_fail (GCERT_IS_CERTIFICATE (cert), NULL);

  not_before = gcert_certificate_get_not_before (cert);
  not_after = gcert_certificate_get_not_after (cert);
  if (not_before == NULL || not_after == NULL)
    return NULL;
  return gcert_renewal_due_time_for (not_before, not_after,
                                     renew_before, renew_every);
}

/* "3 days", "5 hours", "12 minutes", "40 seconds" */
static char *
format_span (gint64 seconds)
{
  if (seconds >= 2 * DAY_SECONDS)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d day", "%d days",
                                         seconds / DAY_SECONDS),
                            (int) (seconds / DAY_SECONDS));
  if (seconds >= 2 * 60 * 60)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d hour", "%d hours",
                                         seconds / 3600),
                            (int) (seconds / 3600));
  if (seconds >= 2 * 60)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d minute", "%d minutes",
                                         seconds / 60),
                            (int) (seconds / 60));
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d second", "%d seconds",
                                       MAX (seconds, 0)),
                          (int) MAX (seconds, 0));
}

static void
set_reason (char      **out_reason,
            const char *format,
            ...) G_GNUC_PRINTF (2, 3);

static void
set_reason (char      **out_reason,
            const char *format,
            ...)
{
  va_list args;

  if (out_reason == NULL)
    return;
  va_start (args, format);
  *out_reason = g_strdup_vprintf (format, args);
  va_end (args);
}

gboolean
gcert_renewal_is_due (GCertCertificate   *live,
                      const char * const *domains,
                      GCertKeyType        key_type,
                      gint64              renew_before,
                      gint64              renew_every,
                      GDateTime          *now,
                      char              **out_reason)
{
  g_autoptr(GDateTime) now_local = NULL;
  g_autoptr(GDateTime) due = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *left_text = NULL;
  g_autoptr(GDateTime) not_before = NULL;
  g_autoptr(GDateTime) not_after = NULL;
  GCertKeyType live_type;
  gint64 now_unix;
  gint64 left;

  g_return_val_if_fail (live == NULL || GCERT_IS_CERTIFICATE (live), FALSE);
  g_return_val_if_fail (domains != NULL, FALSE);

  if (out_reason != NULL)
    *out_reason = NULL;

  if (live == NULL)
    {
      set_reason (out_reason, "%s", _("no certificate yet"));
      return TRUE;
    }

  if (!gcert_certificate_check_names (live, domains, &local_error))
    {
      set_reason (out_reason, _("names changed: %s"), local_error->message);
      return TRUE;
    }

  if (!gcert_certificate_get_key_type (live, &live_type))
    {
      set_reason (out_reason, _("key type changed (to %s)"),
                  gcert_key_type_to_string (key_type));
      return TRUE;
    }
  if (live_type != key_type)
    {
      set_reason (out_reason, _("key type changed (%s to %s)"),
                  gcert_key_type_to_string (live_type),
                  gcert_key_type_to_string (key_type));
      return TRUE;
    }

  if (now == NULL)
    now = now_local = g_date_time_new_now_utc ();
  now_unix = g_date_time_to_unix (now);
  not_before = gcert_certificate_get_not_before (live);
  not_after = gcert_certificate_get_not_after (live);
  if (not_before == NULL || not_after == NULL)
    {
      set_reason (out_reason, "%s", _("the certificate's validity cannot be read"));
      return TRUE;
    }
  left = g_date_time_to_unix (not_after) - now_unix;

  if (left <= 0)
    {
      set_reason (out_reason, "%s", _("expired"));
      return TRUE;
    }
  left_text = format_span (left);

  if (renew_every > 0 && now_unix >= g_date_time_to_unix (not_before) + renew_every)
    {
      g_autofree char *every = gcert_duration_format (renew_every);

      set_reason (out_reason, _("older than %s (%s left)"), every, left_text);
      return TRUE;
    }

  due = gcert_renewal_due_time_for (not_before, not_after, renew_before, renew_every);
  if (now_unix >= g_date_time_to_unix (due))
    {
      set_reason (out_reason, _("%s left"), left_text);
      return TRUE;
    }

  if (out_reason != NULL)
    {
      g_autofree char *date = g_date_time_format (due, "%Y-%m-%d %H:%M UTC");
      g_autofree char *until = format_span (g_date_time_to_unix (due) - now_unix);

      set_reason (out_reason, _("not due until %s (in %s; %s left)"),
                  date, until, left_text);
    }
  return FALSE;
}
