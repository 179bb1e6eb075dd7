/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "gcert-crypto-private.h"
#include "gcert-error.h"
#include "gcert-manager-private.h"

/* --- revocation ------------------------------------------------------------------- */

/* The CRL reason codes (RFC 5280 §5.3.1) that ACME CAs accept from a
 * subscriber; Let's Encrypt refuses the others. */
static const struct {
  guint       code;
  const char *name;
} revocation_reasons[] = {
  { 0, "unspecified" },
  { 1, "keyCompromise" },
  { 3, "affiliationChanged" },
  { 4, "superseded" },
  { 5, "cessationOfOperation" },
};

static GError *
unsupported_reason_error (const char *shown)
{
  return g_error_new (GCERT_ERROR, GCERT_ERROR_CONFIG,
                      _("unsupported revocation reason %s (use 0 unspecified, 1 keyCompromise, "
                        "3 affiliationChanged, 4 superseded or 5 cessationOfOperation)"), shown);
}

const char *
gcert_revocation_reason_to_string (guint reason)
{
  for (gsize i = 0; i < G_N_ELEMENTS (revocation_reasons); i++)
    {
      if (revocation_reasons[i].code == reason)
        return revocation_reasons[i].name;
    }
  return NULL;
}

gboolean
gcert_revocation_reason_from_string (const char  *text,
                                     guint       *out_reason,
                                     GError     **error)
{
  guint64 number;

  g_return_val_if_fail (text != NULL, FALSE);

  for (gsize i = 0; i < G_N_ELEMENTS (revocation_reasons); i++)
    {
      if (g_ascii_strcasecmp (text, revocation_reasons[i].name) == 0)
        {
          if (out_reason != NULL)
            *out_reason = revocation_reasons[i].code;
          return TRUE;
        }
    }
  if (g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT, &number, NULL) &&
      gcert_revocation_reason_to_string ((guint) number) != NULL)
    {
      if (out_reason != NULL)
        *out_reason = (guint) number;
      return TRUE;
    }
  g_propagate_error (error, unsupported_reason_error (text));
  return FALSE;
}

typedef struct {
  char             *name;
  guint             reason;
  guint             version;
  GCertStoreLock   *lock;
  GBytes           *der;
  GCertRunProgress  progress;
} RevokeData;

static void
revoke_data_free (RevokeData *data)
{
  g_free (data->name);
  g_clear_pointer (&data->lock, gcert_store_lock_free);
  g_clear_pointer (&data->der, g_bytes_unref);
  g_free (data);
}

/* the run ends here: the lock goes at once, not when the caller drops @task */
static void
revoke_return (GTask  *task,
               GError *error)
{
  RevokeData *data = g_task_get_task_data (task);

  g_clear_pointer (&data->lock, gcert_store_lock_free);
  gcert_run_progress_end (&data->progress);
  if (error != NULL)
    {
      GCertManager *self = g_task_get_source_object (task);

      g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE,
                        "GCERT_CERTIFICATE", data->name,
                        "GCERT_CA", gcert_config_get_directory_url (self->config),
                        "GCERT_STEP", "revoke-failed",
                        "MESSAGE", "%s: %s", data->name, error->message);
      g_task_return_error (task, error);
    }
  else
    g_task_return_boolean (task, TRUE);
}

static GBytes *
leaf_der (GCertCertificate  *cert,
          GError           **error)
{
  g_autofree char *pem = gcert_certificate_get_leaf_pem (cert);
  g_auto(gnutls_datum_t) der = { NULL, 0 };
  gnutls_datum_t in = { (unsigned char *) pem, (unsigned int) strlen (pem) };
  int rc;

  rc = gnutls_pem_base64_decode2 ("CERTIFICATE", &in, &der);
  if (rc < 0)
    {
      gcert_gnutls_set_error (error, GCERT_ERROR_INVALID_DATA, rc,
                              _("reading the live certificate"));
      return NULL;
    }
  return g_bytes_new (der.data, der.size);
}

static void
revoked_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GCertManager *self = g_task_get_source_object (task);
  RevokeData *data = g_task_get_task_data (task);
  g_autoptr(GCertRunRecord) record = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *message = NULL;
  GError *error = NULL;

  if (!gcert_acme_client_revoke_finish (GCERT_ACME_CLIENT (source), result, &error))
    {
      /* the outcome asked for, whoever brought it about: recorded as ours */
      if (!g_error_matches (error, GCERT_ACME_ERROR, GCERT_ACME_ERROR_ALREADY_REVOKED))
        {
          revoke_return (task, error);
          return;
        }
      gcert_manager_emit_progress (self, data->name, error->message);
      g_clear_error (&error);
    }
  gcert_run_progress_add (&data->progress, 0.5);

  /* a second revocation keeps the time of the first */
  if (!gcert_store_get_revoked (self->store, data->name, data->version, NULL, NULL, NULL) &&
      !gcert_store_set_revoked (self->store, data->name, data->version, data->reason, now,
                                &error))
    {
      g_prefix_error (&error, _("the CA revoked version %u of %s, but recording it failed "
                                "(revoking it again records it): "),
                      data->version, data->name);
      revoke_return (task, error);
      return;
    }
  /* the run record says when the next renewal is due: now */
  record = gcert_store_load_run_record (self->store, data->name, NULL);
  if (record != NULL)
    {
      g_clear_pointer (&record->next_due, g_date_time_unref);
      record->next_due = g_date_time_ref (now);
      if (!gcert_store_save_run_record (self->store, data->name, record, &error))
        {
          g_warning ("%s: %s", data->name, error->message);
          g_clear_error (&error);
        }
    }

  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE,
                    "MESSAGE_ID", "8c2e4a7d1f3b4e5a9d6c0b7a2e1f4d38",
                    "GCERT_CERTIFICATE", data->name,
                    "GCERT_CA", gcert_config_get_directory_url (self->config),
                    "GCERT_STEP", "revoked",
                    "MESSAGE", "%s: certificate version %u is revoked", data->name,
                    data->version);
  message = g_strdup_printf (_("version %u is revoked; the next renewal replaces it"),
                             data->version);
  gcert_manager_emit_progress (self, data->name, message);
  revoke_return (task, NULL);
}

static void
revoke_account_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GCertManager *self = g_task_get_source_object (task);
  RevokeData *data = g_task_get_task_data (task);
  GCancellable *cancellable;
  GError *error = NULL;

  if (!gcert_manager_ensure_account_finish (self, result, &error))
    {
      revoke_return (task, error);
      return;
    }
  gcert_run_progress_add (&data->progress, 0.3);
  cancellable = g_task_get_cancellable (task);
  gcert_acme_client_revoke_async (self->client, data->der, data->reason, cancellable,
                                  revoked_cb, g_steal_pointer (&task));
}

void
gcert_manager_revoke_async (GCertManager        *self,
                            const char          *name,
                            guint                reason,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GCertCertificate) live = NULL;
  g_autoptr(GCertRunRecord) record = NULL;
  g_auto(GStrv) known = NULL;
  g_autofree char *serial = NULL;
  g_autofree char *message = NULL;
  const char *directory_url;
  RevokeData *data;
  GError *error = NULL;

  g_return_if_fail (GCERT_IS_MANAGER (self));
  g_return_if_fail (name != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, gcert_manager_revoke_async);
  data = g_new0 (RevokeData, 1);
  data->name = g_strdup (name);
  data->reason = reason;
  g_task_set_task_data (task, data, (GDestroyNotify) revoke_data_free);
  gcert_run_progress_start (&data->progress, self, 1);

  if (gcert_revocation_reason_to_string (reason) == NULL)
    {
      g_autofree char *shown = g_strdup_printf ("%u", reason);

      revoke_return (task, unsupported_reason_error (shown));
      return;
    }
  /* a certificate of the configuration, or one issued by name alone */
  known = gcert_store_list_certificates (self->store);
  if (gcert_config_lookup_certificate (self->config, name) == NULL &&
      !g_strv_contains ((const char * const *) known, name))
    {
      revoke_return (task, g_error_new (GCERT_ERROR, GCERT_ERROR_CONFIG,
                                        _("%s: there is no [certificate %s]"),
                                        gcert_config_get_path (self->config), name));
      return;
    }
  /* nothing to revoke: fail before the lock, which would create state */
  if (gcert_store_get_live_version (self->store, name) == 0)
    {
      revoke_return (task, g_error_new (GCERT_ERROR, GCERT_ERROR_NOT_FOUND,
                                        _("certificate %s has no live version"), name));
      return;
    }
  /* a renewal must not swap the version while it is being revoked */
  data->lock = gcert_store_lock (self->store, name, FALSE, &error);
  if (data->lock == NULL)
    {
      revoke_return (task, error);
      return;
    }
  live = gcert_store_load_live (self->store, name, &error);
  if (live == NULL)
    {
      revoke_return (task, error);
      return;
    }
  data->version = gcert_store_get_live_version (self->store, name);

  /* the CA that issued it is the only one that can revoke it */
  directory_url = gcert_config_get_directory_url (self->config);
  record = gcert_store_load_run_record (self->store, name, NULL);
  if (record != NULL && record->ca != NULL && g_strcmp0 (record->ca, directory_url) != 0)
    {
      revoke_return (task, g_error_new (GCERT_ERROR, GCERT_ERROR_FAILED,
                                        _("version %u of %s was issued by %s, not by the "
                                          "configured CA %s; revoke it there"),
                                        data->version, name, record->ca, directory_url));
      return;
    }
  data->der = leaf_der (live, &error);
  if (data->der == NULL)
    {
      revoke_return (task, error);
      return;
    }

  serial = gcert_certificate_get_serial (live);
  message = g_strdup_printf (_("revoking version %u (serial %s) with reason %s"),
                             data->version, serial, gcert_revocation_reason_to_string (reason));
  gcert_manager_emit_progress (self, name, message);
  gcert_run_progress_add (&data->progress, 0.1);
  gcert_manager_ensure_account_async (self, cancellable, revoke_account_cb, g_steal_pointer (&task));
}

gboolean
gcert_manager_revoke_finish (GCertManager  *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
