/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <libsoup/soup.h>
#include <stdlib.h>

#include "gcert-retry.h"

guint
gcert_retry_backoff_ms (const GCertRetryPolicy *policy,
                        guint                   attempt,
                        GRand                  *rand)
{
  guint64 delay;
  guint jitter = 0;

  g_return_val_if_fail (policy != NULL, 0);

  delay = policy->base_delay_ms;
  for (guint i = 1; i < attempt && delay < policy->max_delay_ms; i++)
    delay *= 2;
  delay = MIN (delay, policy->max_delay_ms);
  if (rand != NULL && delay >= 4)
    jitter = g_rand_int_range (rand, 0, (gint32) (delay / 4) + 1);
  return (guint) (delay - jitter);
}

gint64
gcert_retry_parse_retry_after (const char *value,
                               GDateTime  *now)
{
  g_autoptr(GDateTime) date = NULL;
  g_autofree char *text = NULL;

  if (value == NULL)
    return -1;
  text = g_strstrip (g_strdup (value));
  if (*text == '\0')
    return -1;

  if (g_ascii_isdigit (*text))
    {
      guint64 seconds;
      char *end = NULL;

      seconds = g_ascii_strtoull (text, &end, 10);
      if (*end != '\0' || seconds > G_MAXINT32)
        return -1;
      return (gint64) seconds;
    }

  date = soup_date_time_new_from_http_string (text);
  if (date == NULL)
    return -1;
  {
    GTimeSpan diff = g_date_time_difference (date, now);

    if (diff <= 0)
      return 0;
    /* round up, so that we never come back a moment too early */
    return (diff + G_TIME_SPAN_SECOND - 1) / G_TIME_SPAN_SECOND;
  }
}

typedef struct {
  GSource *source;
  gulong cancelled_id;
  GCancellable *cancellable;
} SleepData;

static void
sleep_data_free (SleepData *data)
{
  if (data->source != NULL)
    {
      g_source_destroy (data->source);
      g_source_unref (data->source);
    }
  if (data->cancelled_id != 0)
    g_cancellable_disconnect (data->cancellable, data->cancelled_id);
  g_clear_object (&data->cancellable);
  g_free (data);
}

static gboolean
sleep_timeout_cb (gpointer user_data)
{
  GTask *task = user_data;
  SleepData *data = g_task_get_task_data (task);

  g_clear_pointer (&data->source, g_source_unref);
  if (!g_task_return_error_if_cancelled (task))
    g_task_return_boolean (task, TRUE);
  g_object_unref (task);
  return G_SOURCE_REMOVE;
}

static gboolean
sleep_cancelled_idle_cb (gpointer user_data)
{
  /* the idle source's destroy notify drops this reference */
  GTask *task = user_data;
  SleepData *data = g_task_get_task_data (task);

  /* the timeout may have fired first and completed the task */
  if (data->source == NULL)
    return G_SOURCE_REMOVE;
  g_source_destroy (data->source);
  g_clear_pointer (&data->source, g_source_unref);
  g_task_return_error_if_cancelled (task);
  /* drop the reference the timeout held */
  g_object_unref (task);
  return G_SOURCE_REMOVE;
}

static void
sleep_cancelled_cb (GCancellable *cancellable,
                    gpointer      user_data)
{
  GTask *task = user_data;
  g_autoptr(GSource) idle = g_idle_source_new ();

  /* "cancelled" may run in another thread: finish on the task's context */
  g_source_set_callback (idle, sleep_cancelled_idle_cb, g_object_ref (task), g_object_unref);
  g_source_attach (idle, g_task_get_context (task));
}

void
gcert_retry_sleep_async (guint                delay_ms,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GSource) source = NULL;
  SleepData *data;

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, gcert_retry_sleep_async);
  data = g_new0 (SleepData, 1);
  g_task_set_task_data (task, data, (GDestroyNotify) sleep_data_free);

  if (g_task_return_error_if_cancelled (task))
    return;

  source = g_timeout_source_new (delay_ms);
  g_source_set_callback (source, sleep_timeout_cb, g_object_ref (task), NULL);
  g_source_attach (source, g_task_get_context (task));
  data->source = g_source_ref (source);

  if (cancellable != NULL)
    {
      data->cancellable = g_object_ref (cancellable);
      data->cancelled_id = g_cancellable_connect (cancellable,
                                                  G_CALLBACK (sleep_cancelled_cb),
                                                  task, NULL);
    }
}

gboolean
gcert_retry_sleep_finish (GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
gcert_retry_is_transient_error (const GError *error)
{
  if (error == NULL)
    return FALSE;
  if (error->domain == G_IO_ERROR)
    {
      switch (error->code)
        {
        case G_IO_ERROR_CANCELLED:
          return FALSE;
        case G_IO_ERROR_TIMED_OUT:
        case G_IO_ERROR_CONNECTION_REFUSED:
        case G_IO_ERROR_BROKEN_PIPE: /* also CONNECTION_CLOSED */
        case G_IO_ERROR_PARTIAL_INPUT:
        case G_IO_ERROR_HOST_UNREACHABLE:
        case G_IO_ERROR_NETWORK_UNREACHABLE:
        case G_IO_ERROR_NOT_CONNECTED:
        case G_IO_ERROR_FAILED:
          return TRUE;
        default:
          return FALSE;
        }
    }
  if (error->domain == G_TLS_ERROR)
    return error->code == G_TLS_ERROR_EOF || error->code == G_TLS_ERROR_MISC;
  if (error->domain == G_RESOLVER_ERROR)
    return error->code == G_RESOLVER_ERROR_TEMPORARY_FAILURE;
  /* libsoup's own parse errors of a broken answer */
  if (error->domain == SOUP_SESSION_ERROR)
    return error->code == SOUP_SESSION_ERROR_PARSING ||
           error->code == SOUP_SESSION_ERROR_ENCODING;
  return FALSE;
}
