/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <gio/gunixinputstream.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "gcert-dns-provider.h"
#include "gcert-error.h"
#include "gcert-settings.h"

/* For DNS services without an API: the administrator is shown each record
 * to create, in zone-file form, on the terminal, and gcert waits until they
 * press Enter. Whether the record really is there is checked afterwards by
 * the core, at the zone's authoritative servers. */

#define DEFAULT_TTY          "/dev/tty"
#define DEFAULT_TTL_SECONDS  60
#define MAX_TTL_SECONDS      86400
#define MAX_TXT_STRING       255

#define GCERT_TYPE_MANUAL_PROVIDER (gcert_manual_provider_get_type ())
G_DECLARE_FINAL_TYPE (GCertManualProvider, gcert_manual_provider,
                      GCERT, MANUAL_PROVIDER, GObject)

struct _GCertManualProvider {
  GObject       parent_instance;
  char         *tty_path;
  gint64        ttl;
  /* records not shown yet; they make up the next prompt */
  GQueue        waiting;             /* Request* */
  /* the records of the prompt on the terminal, until Enter; NULL when no
   * prompt is open */
  GPtrArray    *shown;               /* Request* */
  GCancellable *prompt_cancellable;
  /* gathers the creates of one main loop iteration into one prompt */
  GSource      *gather_source;
};

static void gcert_manual_provider_iface_init (GCertDnsProviderInterface *iface);

G_DEFINE_DYNAMIC_TYPE_EXTENDED (GCertManualProvider, gcert_manual_provider,
                                G_TYPE_OBJECT, G_TYPE_FLAG_FINAL,
                                G_IMPLEMENT_INTERFACE_DYNAMIC (GCERT_TYPE_DNS_PROVIDER,
                                                               gcert_manual_provider_iface_init))

static gboolean
gcert_manual_provider_setup (GCertDnsProvider  *provider,
                             GCertSettings     *settings,
                             GError           **error)
{
  GCertManualProvider *self = GCERT_MANUAL_PROVIDER (provider);
  static const char * const allowed[] = { "plugin", "tty", "ttl", NULL };
  g_autofree char *tty_path = NULL;
  gint64 ttl;

  if (!gcert_settings_check_keys (settings, allowed, error))
    return FALSE;

  if (!gcert_settings_get_optional_path (settings, "tty", &tty_path, error))
    return FALSE;
  if (tty_path == NULL)
    tty_path = g_strdup (DEFAULT_TTY);

  if (!gcert_settings_get_duration_in_range (settings, "ttl", DEFAULT_TTL_SECONDS, 1,
                                             MAX_TTL_SECONDS, &ttl, error))
    return FALSE;

  g_free (self->tty_path);
  self->tty_path = g_steal_pointer (&tty_path);
  self->ttl = ttl;
  return TRUE;
}

/* --- records as a zone file writes them ------------------------------------ */

/* Escapes @text for a zone file (RFC 1035 §5.1): inside a quoted string
 * only '"' and '\' need a backslash; anything that could move the cursor
 * or talk to the terminal becomes \DDD. */
static void
append_escaped (GString    *out,
                const char *text,
                gboolean    quoted)
{
  for (const guchar *p = (const guchar *) text; *p != '\0'; p++)
    {
      gboolean plain;

      if (quoted)
        plain = *p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\';
      else
        plain = g_ascii_isalnum (*p) || *p == '-' || *p == '_' || *p == '.' || *p == '*';

      if (plain)
        g_string_append_c (out, (char) *p);
      else if (quoted && (*p == '"' || *p == '\\'))
        g_string_append_printf (out, "\\%c", *p);
      else
        g_string_append_printf (out, "\\%03u", (guint) *p);
    }
}

/* "_acme-challenge.example.com.": lowercase, with its trailing dot */
static char *
format_owner (const char *fqdn)
{
  g_autofree char *lower = g_ascii_strdown (fqdn, -1);
  GString *out = g_string_new (NULL);

  append_escaped (out, lower, FALSE);
  if (!g_str_has_suffix (out->str, "."))
    g_string_append_c (out, '.');
  return g_string_free (out, FALSE);
}

static char *
format_value (const char *value)
{
  GString *out = g_string_new ("\"");

  append_escaped (out, value, TRUE);
  g_string_append_c (out, '"');
  return g_string_free (out, FALSE);
}

/* --- the terminal -------------------------------------------------------------- */

/* The terminal at @path, open for reading and writing, or -1 with the
 * reason in @error. */
static int
open_terminal (const char  *path,
               GError     **error)
{
  int fd;

  /* O_NONBLOCK only for the open itself: a serial line must not make us
   * wait for its carrier */
  fd = open (path, O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("cannot open %s: %s"), path, g_strerror (saved_errno));
      return -1;
    }
  if (!isatty (fd))
    {
      g_close (fd, NULL);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   _("%s is not a terminal"), path);
      return -1;
    }
  if (!g_unix_set_fd_nonblocking (fd, FALSE, error))
    {
      g_close (fd, NULL);
      g_prefix_error (error, "%s: ", path);
      return -1;
    }
  return fd;
}

/* Short texts to a terminal: writing them blocks only while output is
 * stopped (Ctrl-S), and they must be out before we go on or exit. */
static gboolean
write_all (int          fd,
           const char  *path,
           const char  *text,
           GError     **error)
{
  gsize left = strlen (text);

  while (left > 0)
    {
      gssize written = write (fd, text, left);

      if (written < 0)
        {
          int saved_errno = errno;

          if (saved_errno == EINTR)
            continue;
          g_set_error (error, GCERT_ERROR, GCERT_ERROR_FAILED, _("writing to %s: %s"), path,
                       g_strerror (saved_errno));
          return FALSE;
        }
      text += written;
      left -= (gsize) written;
    }
  return TRUE;
}

/* --- one prompt: show the records, wait for Enter ---------------------------- */

typedef struct {
  char             *tty_path;
  int               fd;      /* owned by @input */
  GDataInputStream *input;
} Prompt;

static void
prompt_free (Prompt *prompt)
{
  if (prompt->input != NULL)
    g_input_stream_close (G_INPUT_STREAM (prompt->input), NULL, NULL);
  g_clear_object (&prompt->input);
  g_free (prompt->tty_path);
  g_free (prompt);
}

static void
prompt_line_read_cb (GObject      *source_object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Prompt *prompt = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;

  line = g_data_input_stream_read_line_finish (prompt->input, result, NULL, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (error != NULL)
    {
      g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_FAILED,
                               _("reading your answer from %s: %s"), prompt->tty_path,
                               error->message);
      return;
    }
  if (line == NULL)
    {
      g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_FAILED,
                               _("the input of %s ended before you pressed Enter"),
                               prompt->tty_path);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

/* The prompt for @records, each "OWNER TTL IN TXT VALUE"; @owners are their
 * names, which may repeat (the apex and the wildcard of a domain share one). */
static char *
build_prompt (GPtrArray *records,
              GPtrArray *owners)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  GString *text = g_string_new ("\n");
  gboolean shared = FALSE;
  guint n = records->len;

  for (guint i = 0; i < owners->len; i++)
    shared = !g_hash_table_add (seen, g_ptr_array_index (owners, i)) || shared;

  g_string_append_printf (text,
                          /* TRANSLATORS: the records follow, one a line, in zone-file form */
                          g_dngettext (GETTEXT_PACKAGE,
                                       "Create this TXT record in your DNS (%u record):\n",
                                       "Create these TXT records in your DNS (%u records):\n",
                                       n),
                          n);
  g_string_append_c (text, '\n');
  for (guint i = 0; i < n; i++)
    g_string_append_printf (text, "    %s\n", (const char *) g_ptr_array_index (records, i));
  g_string_append_c (text, '\n');
  if (shared)
    g_string_append (text, _("Records with the same name are separate values: add each of "
                             "them, replace none.\n"));
  g_string_append (text,
                   g_dngettext (GETTEXT_PACKAGE,
                                "Press Enter once it is in place; gcert then checks that "
                                "the authoritative servers serve it.\n",
                                "Press Enter once they are in place; gcert then checks that "
                                "the authoritative servers serve them.\n",
                                n));
  return g_string_free (text, FALSE);
}

/* Shows @records and completes once the user pressed Enter. */
static void
prompt_async (GCertManualProvider *self,
              GPtrArray           *records,
              GPtrArray           *owners,
              GCancellable        *cancellable,
              GAsyncReadyCallback  callback,
              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GInputStream) base = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  Prompt *prompt;
  int fd;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, prompt_async);

  fd = open_terminal (self->tty_path, &error);
  if (fd < 0)
    {
      g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_NOT_SUPPORTED,
                               _("the terminal to ask on is gone: %s"), error->message);
      return;
    }
  prompt = g_new0 (Prompt, 1);
  prompt->tty_path = g_strdup (self->tty_path);
  prompt->fd = fd;
  base = g_unix_input_stream_new (fd, TRUE);
  prompt->input = g_data_input_stream_new (base);
  g_task_set_task_data (task, prompt, (GDestroyNotify) prompt_free);

  /* what was typed before the question was asked answers nothing */
  tcflush (fd, TCIFLUSH);
  text = build_prompt (records, owners);
  if (!write_all (fd, self->tty_path, text, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_data_input_stream_read_line_async (prompt->input, G_PRIORITY_DEFAULT, cancellable,
                                       prompt_line_read_cb, g_steal_pointer (&task));
}

static gboolean
prompt_finish (GCertManualProvider  *self,
               GAsyncResult         *result,
               GError              **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* --- creating: one request per record, gathered into prompts ---------------- */

typedef struct {
  GTask   *task;
  char    *owner;
  char    *record;          /* "OWNER TTL IN TXT VALUE" */
  GSource *cancel_source;
} Request;

static void
request_free (Request *request)
{
  if (request->cancel_source != NULL)
    {
      g_source_destroy (request->cancel_source);
      g_source_unref (request->cancel_source);
    }
  g_clear_object (&request->task);
  g_free (request->owner);
  g_free (request->record);
  g_free (request);
}

/* Completes the request's task with @error (taken) or success and frees it. */
static void
request_return (Request *request,
                GError  *error)
{
  g_autoptr(GTask) task = g_steal_pointer (&request->task);

  request_free (request);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void schedule_prompt (GCertManualProvider *self);

static void
prompt_answered_cb (GObject      *source_object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  GCertManualProvider *self = GCERT_MANUAL_PROVIDER (source_object);
  g_autoptr(GPtrArray) shown = g_steal_pointer (&self->shown);
  g_autoptr(GError) error = NULL;

  g_clear_object (&self->prompt_cancellable);
  prompt_finish (self, result, &error);
  for (guint i = 0; i < shown->len; i++)
    request_return (g_ptr_array_index (shown, i), error != NULL ? g_error_copy (error) : NULL);
  schedule_prompt (self);
}

static gboolean
gather_cb (gpointer user_data)
{
  GCertManualProvider *self = user_data;
  g_autoptr(GPtrArray) records = g_ptr_array_new ();
  g_autoptr(GPtrArray) owners = g_ptr_array_new ();
  Request *request;

  g_clear_pointer (&self->gather_source, g_source_unref);
  if (g_queue_is_empty (&self->waiting))
    return G_SOURCE_REMOVE;

  g_assert (self->shown == NULL);
  self->shown = g_ptr_array_new ();
  while ((request = g_queue_pop_head (&self->waiting)) != NULL)
    {
      g_ptr_array_add (self->shown, request);
      /* the same record twice (a repeated create) is shown once */
      if (!g_ptr_array_find_with_equal_func (records, request->record, g_str_equal, NULL))
        {
          g_ptr_array_add (records, request->record);
          g_ptr_array_add (owners, request->owner);
        }
    }
  self->prompt_cancellable = g_cancellable_new ();
  prompt_async (self, records, owners, self->prompt_cancellable, prompt_answered_cb, NULL);
  return G_SOURCE_REMOVE;
}

/* The next prompt, once the current one is answered, shows every record
 * that arrived meanwhile: one Enter for the apex and the wildcard value. */
static void
schedule_prompt (GCertManualProvider *self)
{
  if (self->shown != NULL || self->gather_source != NULL || g_queue_is_empty (&self->waiting))
    return;
  self->gather_source = g_idle_source_new ();
  g_source_set_priority (self->gather_source, G_PRIORITY_DEFAULT_IDLE);
  g_source_set_callback (self->gather_source, gather_cb, self, NULL);
  g_source_set_static_name (self->gather_source, "[gcert-manual] gather");
  g_source_attach (self->gather_source, g_main_context_get_thread_default ());
}

/* Said at once, not when the read ends: a program that was interrupted
 * may exit before its main loop runs again. */
static void
say_cancelled (GCertManualProvider *self)
{
  int fd = open_terminal (self->tty_path, NULL);

  if (fd < 0)
    return;
  /* on a fresh line: the user may have typed something (or ^C shows) */
  write_all (fd, self->tty_path, _("\nNo longer waiting: cancelled.\n"), NULL);
  g_close (fd, NULL);
}

static gboolean
request_cancelled_cb (GCancellable *cancellable,
                      gpointer      user_data)
{
  Request *request = user_data;
  GCertManualProvider *self = g_task_get_source_object (request->task);
  GError *error = NULL;

  if (!g_queue_remove (&self->waiting, request))
    {
      g_assert (self->shown != NULL);
      g_ptr_array_remove (self->shown, request);
      /* nobody is waiting for this prompt any more */
      if (self->shown->len == 0)
        {
          say_cancelled (self);
          g_cancellable_cancel (self->prompt_cancellable);
        }
    }
  g_cancellable_set_error_if_cancelled (cancellable, &error);
  request_return (request, error);
  return G_SOURCE_REMOVE;
}

static void
gcert_manual_provider_create_record_async (GCertDnsProvider    *provider,
                                           const char          *fqdn,
                                           const char          *value,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data)
{
  GCertManualProvider *self = GCERT_MANUAL_PROVIDER (provider);
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *owner = NULL;
  g_autofree char *quoted = NULL;
  Request *request;
  int fd;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, gcert_manual_provider_create_record_async);
  if (self->tty_path == NULL)
    {
      g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_FAILED,
                               _("the manual plugin is not set up"));
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;

  owner = format_owner (fqdn);
  if (strlen (value) > MAX_TXT_STRING)
    {
      g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                               _("the TXT value for %s is longer than %d bytes"), owner,
                               MAX_TXT_STRING);
      return;
    }
  quoted = format_value (value);

  /* only a check: the prompt opens the terminal again when it is shown */
  fd = open_terminal (self->tty_path, &error);
  if (fd < 0)
    {
      g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_NOT_SUPPORTED,
                               /* TRANSLATORS: the second %s is the quoted TXT value,
                                * the last one the reason, e.g. "/dev/null is not a terminal" */
                               _("the manual DNS plugin needs a terminal to ask you to create "
                                 "%s TXT %s; use another plugin for unattended runs (%s)"),
                               owner, quoted, error->message);
      return;
    }
  g_close (fd, NULL);

  request = g_new0 (Request, 1);
  request->task = g_steal_pointer (&task);
  request->record = g_strdup_printf ("%s %" G_GINT64_FORMAT " IN TXT %s", owner, self->ttl,
                                     quoted);
  request->owner = g_steal_pointer (&owner);
  if (cancellable != NULL)
    {
      request->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (request->cancel_source, G_SOURCE_FUNC (request_cancelled_cb),
                             request, NULL);
      g_source_attach (request->cancel_source, g_task_get_context (request->task));
    }
  g_queue_push_tail (&self->waiting, request);
  schedule_prompt (self);
}

static gboolean
gcert_manual_provider_create_record_finish (GCertDnsProvider  *provider,
                                            GAsyncResult      *result,
                                            GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, provider), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* --- removing: say so, never wait -------------------------------------------- */

static void
gcert_manual_provider_remove_record_async (GCertDnsProvider    *provider,
                                           const char          *fqdn,
                                           const char          *value,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data)
{
  GCertManualProvider *self = GCERT_MANUAL_PROVIDER (provider);
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *owner = NULL;
  g_autofree char *quoted = NULL;
  g_autofree char *record = NULL;
  g_autoptr(GString) text = NULL;
  int fd;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, gcert_manual_provider_remove_record_async);
  if (self->tty_path == NULL)
    {
      g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_FAILED,
                               _("the manual plugin is not set up"));
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;

  owner = format_owner (fqdn);
  quoted = format_value (value);
  record = g_strdup_printf ("%s %" G_GINT64_FORMAT " IN TXT %s", owner, self->ttl, quoted);

  text = g_string_new (NULL);
  /* TRANSLATORS: %s is a DNS record in zone-file form */
  g_string_append_printf (text, _("You may now remove: %s\n"), record);
  if (self->shown != NULL)
    g_string_append (text, _("(Still waiting for Enter for the records shown before.)\n"));

  fd = open_terminal (self->tty_path, &error);
  if (fd >= 0)
    {
      write_all (fd, self->tty_path, text->str, &error);
      g_close (fd, NULL);
    }
  /* a cleanup may run unattended (a later run removes what a killed one
   * left): the record then goes to the log, and nobody is kept waiting */
  if (error != NULL)
    g_message (_("You may now remove: %s (%s)"), record, error->message);
  g_task_return_boolean (task, TRUE);
}

static gboolean
gcert_manual_provider_remove_record_finish (GCertDnsProvider  *provider,
                                            GAsyncResult      *result,
                                            GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, provider), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
gcert_manual_provider_finalize (GObject *object)
{
  GCertManualProvider *self = GCERT_MANUAL_PROVIDER (object);

  /* every request and prompt holds a reference to us */
  g_assert (g_queue_is_empty (&self->waiting));
  g_assert (self->shown == NULL);
  if (self->gather_source != NULL)
    {
      g_source_destroy (self->gather_source);
      g_source_unref (self->gather_source);
    }
  g_clear_object (&self->prompt_cancellable);
  g_free (self->tty_path);

  G_OBJECT_CLASS (gcert_manual_provider_parent_class)->finalize (object);
}

static void
gcert_manual_provider_iface_init (GCertDnsProviderInterface *iface)
{
  iface->setup = gcert_manual_provider_setup;
  iface->create_record_async = gcert_manual_provider_create_record_async;
  iface->create_record_finish = gcert_manual_provider_create_record_finish;
  iface->remove_record_async = gcert_manual_provider_remove_record_async;
  iface->remove_record_finish = gcert_manual_provider_remove_record_finish;
}

static void
gcert_manual_provider_class_init (GCertManualProviderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = gcert_manual_provider_finalize;
}

static void
gcert_manual_provider_class_finalize (GCertManualProviderClass *klass)
{
}

static void
gcert_manual_provider_init (GCertManualProvider *self)
{
  g_queue_init (&self->waiting);
  self->ttl = DEFAULT_TTL_SECONDS;
}

G_MODULE_EXPORT void
g_io_module_load (GIOModule *module)
{
  /* stay loaded: GLib may call back into us after an operation */
  g_type_module_use (G_TYPE_MODULE (module));
  gcert_manual_provider_register_type (G_TYPE_MODULE (module));
  g_io_extension_point_implement (GCERT_DNS_PROVIDER_EXTENSION_POINT,
                                  GCERT_TYPE_MANUAL_PROVIDER, "manual", 0);
}

G_MODULE_EXPORT void
g_io_module_unload (GIOModule *module)
{
}

G_MODULE_EXPORT char **
g_io_module_query (void)
{
  return g_strdupv ((char **) (const char * const []) { GCERT_DNS_PROVIDER_EXTENSION_POINT, NULL });
}
