/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <glib-unix.h>
#include <locale.h>
#include <stdio.h>
#include <unistd.h>

#include "gcert.h"
#include "gcert-dbus-util.h"
#include "gcertctl.h"


static gboolean log_verbose;

static const char *
field_value (const GLogField *fields,
             gsize            n_fields,
             const char      *key)
{
  for (gsize i = 0; i < n_fields; i++)
    {
      if (g_strcmp0 (fields[i].key, key) == 0 && fields[i].length < 0)
        return fields[i].value;
    }
  return NULL;
}

static GLogWriterOutput
log_writer (GLogLevelFlags   level,
            const GLogField *fields,
            gsize            n_fields,
            gpointer         user_data)
{
  const char *domain = field_value (fields, n_fields, "GLIB_DOMAIN");

  /* warnings always; with -v also gcert's own debug lines (the HTTP
   * exchanges); info lines repeat the progress we print ourselves */
  if ((level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING)) != 0)
    return g_log_writer_standard_streams (level, fields, n_fields, user_data);
  if (log_verbose && (level & G_LOG_LEVEL_DEBUG) != 0 &&
      domain != NULL && g_str_has_prefix (domain, "gcert"))
    return g_log_writer_standard_streams (level, fields, n_fields, user_data);
  return G_LOG_WRITER_HANDLED;
}

void
print_error (Ctl          *ctl,
             const GError *error)
{
  if (ctl->json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;
      g_autofree char *text = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "error");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "message");
      json_builder_add_string_value (builder, error->message);
      json_builder_set_member_name (builder, "exit-status");
      json_builder_add_int_value (builder, gcert_error_to_exit_status (error));
      json_builder_end_object (builder);
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      text = json_to_string (root, TRUE);
      g_print ("%s\n", text);
    }
  g_printerr ("gcertctl: %s\n", error->message);
}

void
print_json (JsonNode *root)
{
  g_autofree char *text = json_to_string (root, TRUE);

  g_print ("%s\n", text);
}

static char *
format_time (GDateTime *time)
{
  g_autoptr(GDateTime) local = NULL;

  if (time == NULL)
    return g_strdup ("-");
  local = g_date_time_to_local (time);
  return g_date_time_format (local, "%Y-%m-%d %H:%M");
}

static char *
format_iso (const char *iso)
{
  g_autoptr(GDateTime) time = NULL;

  if (iso == NULL)
    return g_strdup ("-");
  time = g_date_time_new_from_iso8601 (iso, NULL);
  return format_time (time);
}

void
print_progress (Ctl        *ctl,
                const char *line)
{
  double elapsed;

  if (ctl->quiet)
    return;
  elapsed = (g_get_monotonic_time () - ctl->started) / (double) G_TIME_SPAN_SECOND;
  g_printerr ("[%5.1fs] %s\n", elapsed, line);
}

static void
progress_cb (GCertManager *manager,
             const char   *name,
             const char   *message,
             Ctl          *ctl)
{
  g_autofree char *line = g_strdup_printf ("%s: %s", name, message);

  print_progress (ctl, line);
}

static gboolean
signal_cb (gpointer user_data)
{
  Ctl *ctl = user_data;

  if (!ctl->quiet)
    g_printerr (_("gcertctl: interrupted, cleaning up…\n"));
  /* cancelling lets the run remove its TXT records before it ends */
  g_cancellable_cancel (ctl->cancellable);
  return G_SOURCE_CONTINUE;
}

static GCertConfig *
load_config (Ctl     *ctl,
             GError **error)
{
  g_autofree char *path = ctl->config_path ? g_strdup (ctl->config_path)
                                           : gcert_config_default_path ();

  return gcert_config_load (path, error);
}

static GCertManager *
make_manager (Ctl          *ctl,
              GCertConfig  *config,
              GError      **error)
{
  g_autoptr(GCertManager) manager = gcert_manager_new (config, error);
  const char *timeout = g_getenv ("GCERT_REQUEST_TIMEOUT");

  if (manager == NULL)
    return NULL;
  gcert_manager_set_verbose (manager, ctl->verbose);
  if (timeout != NULL)
    gcert_manager_set_request_timeout (manager, (guint) g_ascii_strtoull (timeout, NULL, 10));
  g_signal_connect (manager, "progress", G_CALLBACK (progress_cb), ctl);
  return g_steal_pointer (&manager);
}

/* --- renew / issue -------------------------------------------------------- */

static void
renew_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Ctl *ctl = user_data;

  ctl->results = gcert_manager_renew_finish (GCERT_MANAGER (source), result, &ctl->error);
  g_main_loop_quit (ctl->loop);
}

int
report_results (Ctl       *ctl,
                GPtrArray *results,
                guint      requests)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "results");
  json_builder_begin_array (builder);
  for (guint i = 0; i < results->len; i++)
    {
      GCertRenewResult *r = g_ptr_array_index (results, i);
      g_autofree char *expires = format_time (r->not_after);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "name");
      json_builder_add_string_value (builder, r->name);
      json_builder_set_member_name (builder, "renewed");
      json_builder_add_boolean_value (builder, r->attempted && r->success);
      json_builder_set_member_name (builder, "success");
      json_builder_add_boolean_value (builder, r->success);
      json_builder_set_member_name (builder, "reason");
      json_builder_add_string_value (builder, r->reason);
      json_builder_set_member_name (builder, "error");
      if (r->error)
        json_builder_add_string_value (builder, r->error->message);
      else
        json_builder_add_null_value (builder);
      json_builder_set_member_name (builder, "version");
      json_builder_add_int_value (builder, r->version);
      json_builder_set_member_name (builder, "deployed");
      json_builder_begin_array (builder);
      for (guint j = 0; r->deployed != NULL && r->deployed[j] != NULL; j++)
        json_builder_add_string_value (builder, r->deployed[j]);
      json_builder_end_array (builder);
      json_builder_set_member_name (builder, "deploy-error");
      if (r->deploy_error)
        json_builder_add_string_value (builder, r->deploy_error->message);
      else
        json_builder_add_null_value (builder);
      json_builder_set_member_name (builder, "not-after");
      if (r->not_after)
        {
          g_autofree char *iso = g_date_time_format_iso8601 (r->not_after);
          json_builder_add_string_value (builder, iso);
        }
      else
        json_builder_add_null_value (builder);
      json_builder_end_object (builder);

      if (!r->success)
        {
          if (!ctl->json)
            g_printerr ("gcertctl: %s: %s\n", r->name, r->error ? r->error->message : _("failed"));
          continue;
        }
      if (r->deploy_error != NULL)
        {
          /* the certificate itself is safe and live; the next run retries */
          if (!ctl->json)
            g_printerr (_("gcertctl: %s: version %u is live here, but %s (retried on the next "
                          "run)\n"), r->name, r->version, r->deploy_error->message);
          continue;
        }
      if (ctl->json)
        continue;
      if (r->deployed != NULL && r->deployed[0] != NULL && !ctl->quiet)
        {
          g_autofree char *targets = g_strjoinv (", ", r->deployed);

          g_print (_("%s: version %u deployed to %s\n"), r->name, r->version, targets);
        }
      if (r->attempted)
        g_print (_("%s: renewed, version %u, expires %s\n"), r->name, r->version, expires);
      else if (!ctl->quiet)
        g_print (_("%s: not due (%s), expires %s\n"), r->name,
                 r->reason ? r->reason : "", expires);
    }
  json_builder_end_array (builder);
  if (requests != G_MAXUINT)
    {
      json_builder_set_member_name (builder, "acme-requests");
      json_builder_add_int_value (builder, requests);
    }
  json_builder_end_object (builder);
  if (ctl->json)
    {
      g_autoptr(JsonNode) root = json_builder_get_root (builder);
      print_json (root);
    }
  return gcert_renew_results_exit_status (results);
}

static int
run_renew (Ctl                *ctl,
           GCertManager       *manager,
           const char * const *names,
           GCertRenewFlags     flags)
{
  guint sigint, sigterm;

  sigint = g_unix_signal_add (SIGINT, signal_cb, ctl);
  sigterm = g_unix_signal_add (SIGTERM, signal_cb, ctl);
  gcert_manager_renew_async (manager, names, flags, ctl->cancellable, renew_cb, ctl);
  g_main_loop_run (ctl->loop);
  g_source_remove (sigint);
  g_source_remove (sigterm);
  if (ctl->verbose)
    g_printerr (_("gcertctl: %u ACME requests in %.2f s\n"),
                gcert_manager_get_request_count (manager),
                (g_get_monotonic_time () - ctl->started) / (double) G_TIME_SPAN_SECOND);

  if (ctl->results == NULL)
    {
      print_error (ctl, ctl->error);
      return gcert_error_to_exit_status (ctl->error);
    }
  return report_results (ctl, ctl->results, gcert_manager_get_request_count (manager));
}

static gboolean
parse_subcommand (const char      *summary,
                  const char      *parameter,
                  GOptionEntry    *entries,
                  int             *argc,
                  char          ***argv,
                  GError         **error)
{
  g_autoptr(GOptionContext) context = g_option_context_new (parameter);

  g_option_context_set_summary (context, summary);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  return g_option_context_parse (context, argc, argv, error);
}

static int
cmd_renew (Ctl   *ctl,
           int    argc,
           char **argv)
{
  gboolean force = FALSE;
  gboolean wait = FALSE;
  int jobs = 0;
  GOptionEntry entries[] = {
    { "force", 'f', 0, G_OPTION_ARG_NONE, &force, N_("Renew even when not due"), NULL },
    { "wait", 'w', 0, G_OPTION_ARG_NONE, &wait, N_("Wait for another run holding a certificate's lock"), NULL },
    { "jobs", 'j', 0, G_OPTION_ARG_INT, &jobs, N_("How many certificates to work on at once (default: jobs in the configuration, 4)"), N_("N") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &ctl->json, N_("Print the results as JSON"), NULL },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(GCertConfig) config = NULL;
  g_autoptr(GCertManager) manager = NULL;
  GCertRenewFlags flags = GCERT_RENEW_FLAGS_NONE;

  if (!parse_subcommand (_("Renew every certificate of the configuration that is due, or the named ones."),
                         _("[NAME…]"), entries, &argc, &argv, &error))
    {
      g_printerr ("gcertctl renew: %s\n", error->message);
      return GCERT_EXIT_USAGE;
    }
  if (jobs < 0 || jobs > 256)
    {
      g_printerr (_("gcertctl renew: --jobs must be from 1 to 256\n"));
      return GCERT_EXIT_USAGE;
    }
  if (force)
    flags |= GCERT_RENEW_FORCE;
  if (wait)
    flags |= GCERT_RENEW_WAIT_LOCK;
  if (remote_wanted (ctl))
    return remote_renew (ctl, argc > 1 ? (const char * const *) argv + 1 : NULL, flags,
                         (guint) jobs);
  config = load_config (ctl, &error);
  if (config != NULL)
    manager = make_manager (ctl, config, &error);
  if (manager == NULL)
    {
      print_error (ctl, error);
      return gcert_error_to_exit_status (error);
    }
  if (jobs > 0)
    gcert_manager_set_jobs (manager, (guint) jobs);
  return run_renew (ctl, manager, argc > 1 ? (const char * const *) argv + 1 : NULL, flags);
}

static int
cmd_deploy (Ctl   *ctl,
            int    argc,
            char **argv)
{
  gboolean wait = FALSE;
  GOptionEntry entries[] = {
    { "wait", 'w', 0, G_OPTION_ARG_NONE, &wait, N_("Wait for another run holding a certificate's lock"), NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &ctl->json, N_("Print the results as JSON"), NULL },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(GCertConfig) config = NULL;
  g_autoptr(GCertManager) manager = NULL;
  GCertRenewFlags flags = GCERT_RENEW_DEPLOY_ONLY;

  if (!parse_subcommand (_("Deploy the live version of the named certificates (all when none "
                           "is named) to every one of their targets again."),
                         _("[NAME…]"), entries, &argc, &argv, &error))
    {
      g_printerr ("gcertctl deploy: %s\n", error->message);
      return GCERT_EXIT_USAGE;
    }
  config = load_config (ctl, &error);
  if (config != NULL)
    manager = make_manager (ctl, config, &error);
  if (manager == NULL)
    {
      print_error (ctl, error);
      return gcert_error_to_exit_status (error);
    }
  if (wait)
    flags |= GCERT_RENEW_WAIT_LOCK;
  return run_renew (ctl, manager, argc > 1 ? (const char * const *) argv + 1 : NULL, flags);
}

static int
cmd_issue (Ctl   *ctl,
           int    argc,
           char **argv)
{
  g_auto(GStrv) domains = NULL;
  g_autofree char *dns = NULL;
  g_autofree char *key_type_text = NULL;
  g_autofree char *name = NULL;
  gboolean force = FALSE;
  GOptionEntry entries[] = {
    { "domain", 'd', 0, G_OPTION_ARG_STRING_ARRAY, &domains, N_("A name for the certificate (repeat; wildcards allowed)"), N_("NAME") },
    { "dns", 0, 0, G_OPTION_ARG_STRING, &dns, N_("The [dns PROVIDER] group of the configuration that answers the challenges"), N_("PROVIDER") },
    { "key-type", 'k', 0, G_OPTION_ARG_STRING, &key_type_text, N_("ec-256 (default), ec-384, rsa-2048, rsa-3072 or rsa-4096"), N_("TYPE") },
    { "name", 0, 0, G_OPTION_ARG_STRING, &name, N_("Name under which the certificate is stored (default: the first domain)"), N_("NAME") },
    { "force", 'f', 0, G_OPTION_ARG_NONE, &force, N_("Issue even when a valid certificate for these names exists"), NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &ctl->json, N_("Print the result as JSON"), NULL },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(GCertConfig) config = NULL;
  g_autoptr(GCertManager) manager = NULL;
  GCertCertificateConfig *cert;
  GCertKeyType key_type = GCERT_KEY_TYPE_DEFAULT;
  const char *names[2] = { NULL, NULL };

  if (!parse_subcommand (_("Issue a certificate for the given names with the configuration's CA and a DNS provider."),
                         NULL, entries, &argc, &argv, &error))
    {
      g_printerr ("gcertctl issue: %s\n", error->message);
      return GCERT_EXIT_USAGE;
    }
  if (argc > 1)
    {
      g_printerr (_("gcertctl issue: unexpected argument “%s”\n"), argv[1]);
      return GCERT_EXIT_USAGE;
    }
  if (domains == NULL || domains[0] == NULL || dns == NULL)
    {
      g_printerr (_("gcertctl issue: at least one -d NAME and --dns PROVIDER are needed\n"));
      return GCERT_EXIT_USAGE;
    }
  if (key_type_text != NULL && !gcert_key_type_from_string (key_type_text, &key_type))
    {
      g_printerr (_("gcertctl issue: unknown key type “%s” (ec-256, ec-384, rsa-2048, rsa-3072, rsa-4096)\n"),
                  key_type_text);
      return GCERT_EXIT_USAGE;
    }
  if (remote_wanted (ctl))
    return remote_issue (ctl, (const char * const *) domains, dns, key_type_text, name, force);
  if (name == NULL)
    name = g_strdup (g_str_has_prefix (domains[0], "*.") ? domains[0] + 2 : domains[0]);

  config = load_config (ctl, &error);
  if (config != NULL)
    {
      cert = gcert_config_lookup_certificate (config, name);
      if (cert == NULL)
        cert = gcert_config_add_certificate (config, name, (const char * const *) domains, dns,
                                             key_type_text ? (int) key_type : -1, &error);
      else
        {
          /* a certificate of the config: the command line must agree with it */
          g_set_error (&error, GCERT_ERROR, GCERT_ERROR_CONFIG,
                       _("%s already has a [certificate %s]; use “gcertctl renew %s”, or pick another --name"),
                       gcert_config_get_path (config), name, name);
          cert = NULL;
        }
      if (cert != NULL)
        manager = make_manager (ctl, config, &error);
    }
  if (manager == NULL)
    {
      print_error (ctl, error);
      return gcert_error_to_exit_status (error);
    }
  names[0] = name;
  return run_renew (ctl, manager, names, force ? GCERT_RENEW_FORCE : GCERT_RENEW_FLAGS_NONE);
}

/* --- list / show ------------------------------------------------------------ */

static const char *
member_string (JsonObject *object,
               const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return NULL;
  return json_node_get_string (node);
}

static char *
member_strv_joined (JsonObject *object,
                    const char *member,
                    const char *separator)
{
  JsonNode *node = json_object_get_member (object, member);
  g_autoptr(GString) out = g_string_new (NULL);
  JsonArray *array;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return g_strdup ("-");
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      if (i > 0)
        g_string_append (out, separator);
      g_string_append (out, json_array_get_string_element (array, i));
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static int
open_manager (Ctl           *ctl,
              GCertManager **out_manager)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GCertConfig) config = load_config (ctl, &error);

  if (config != NULL)
    *out_manager = make_manager (ctl, config, &error);
  if (config == NULL || *out_manager == NULL)
    {
      print_error (ctl, error);
      return gcert_error_to_exit_status (error);
    }
  return GCERT_EXIT_OK;
}

int
print_list (Ctl       *ctl,
            GPtrArray *rows)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  if (ctl->json)
    {
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "certificates");
      json_builder_begin_array (builder);
      for (guint i = 0; i < rows->len; i++)
        json_builder_add_value (builder, json_node_copy (g_ptr_array_index (rows, i)));
      json_builder_end_array (builder);
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      print_json (root);
      return GCERT_EXIT_OK;
    }

  if (rows->len == 0)
    {
      if (!ctl->quiet)
        g_printerr (_("no certificates\n"));
      return GCERT_EXIT_OK;
    }
  /* TRANSLATORS: column headings of “gcertctl list” */
  g_print ("%-20s %-36s %-8s %-16s %5s %-16s %s\n", _("NAME"), _("DOMAINS"), _("KEY"),
           _("EXPIRES"), _("DAYS"), _("NEXT RENEWAL"), _("LAST RESULT"));
  for (guint i = 0; i < rows->len; i++)
    {
      JsonObject *row = json_node_get_object (g_ptr_array_index (rows, i));
      g_autofree char *domains = member_strv_joined (row, "domains", ",");
      g_autofree char *expires = format_iso (member_string (row, "not-after"));
      g_autofree char *next_due = format_iso (member_string (row, "next-due"));
      g_autofree char *days = json_object_has_member (row, "days-left")
        ? g_strdup_printf ("%" G_GINT64_FORMAT, json_object_get_int_member (row, "days-left"))
        : g_strdup ("-");
      const char *key = member_string (row, "key-type");
      const char *last = member_string (row, "last-result");

      if (g_strcmp0 (domains, "") == 0)
        {
          g_free (domains);
          domains = member_strv_joined (row, "names", ",");
        }
      if (key == NULL)
        key = member_string (row, "live-key-type");
      g_print ("%-20s %-36s %-8s %-16s %5s %-16s %s\n", member_string (row, "name"), domains,
               key ? key : "-", expires, days, next_due, last ? last : "-");
    }
  return GCERT_EXIT_OK;
}

static int
cmd_list (Ctl   *ctl,
          int    argc,
          char **argv)
{
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &ctl->json, N_("Print the list as JSON"), NULL },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(GCertManager) manager = NULL;
  g_auto(GStrv) names = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  int status;

  if (!parse_subcommand (_("List the certificates of the configuration and the store."),
                         NULL, entries, &argc, &argv, &error))
    {
      g_printerr ("gcertctl list: %s\n", error->message);
      return GCERT_EXIT_USAGE;
    }
  if (remote_wanted (ctl))
    return remote_list (ctl);
  status = open_manager (ctl, &manager);
  if (status != GCERT_EXIT_OK)
    return status;

  names = gcert_manager_list_names (manager);
  for (guint i = 0; names[i] != NULL; i++)
    {
      JsonNode *row = gcert_manager_describe (manager, names[i], &error);

      if (row == NULL)
        {
          print_error (ctl, error);
          return gcert_error_to_exit_status (error);
        }
      g_ptr_array_add (rows, row);
    }

  return print_list (ctl, rows);
}

int
print_show (Ctl      *ctl,
            JsonNode *root)
{
  JsonObject *object;

  if (ctl->json)
    {
      print_json (root);
      return GCERT_EXIT_OK;
    }

  object = json_node_get_object (root);
  {
    g_autofree char *domains = member_strv_joined (object, "domains", ", ");
    g_autofree char *names = member_strv_joined (object, "names", ", ");
    g_autofree char *not_before = format_iso (member_string (object, "not-before"));
    g_autofree char *not_after = format_iso (member_string (object, "not-after"));
    g_autofree char *next_due = format_iso (member_string (object, "next-due"));
    g_autofree char *last = format_iso (member_string (object, "last-attempt"));
    JsonObject *files = json_object_has_member (object, "files")
      ? json_object_get_object_member (object, "files") : NULL;

    g_print ("%-14s %s\n", _("Name:"), member_string (object, "name"));
    g_print ("%-14s %s\n", _("Status:"), member_string (object, "status"));
    /* a certificate issued ad hoc has no [certificate] group to name them */
    if (*domains != '\0' && g_strcmp0 (domains, "-") != 0)
      g_print ("%-14s %s\n", _("Domains:"), domains);
    if (files != NULL)
      {
        g_print ("%-14s %s\n", _("Names:"), names);
        g_print ("%-14s %s\n", _("Key type:"), member_string (object, "live-key-type") ?: "-");
        g_print ("%-14s %s\n", _("Issuer:"), member_string (object, "issuer") ?: "-");
        g_print ("%-14s %s\n", _("Serial:"), member_string (object, "serial") ?: "-");
        g_print ("%-14s %s\n", _("Valid from:"), not_before);
        g_print ("%-14s %s (%" G_GINT64_FORMAT " days left)\n", _("Expires:"), not_after,
                 json_object_get_int_member (object, "days-left"));
        g_print ("%-14s %" G_GINT64_FORMAT "\n", _("Version:"),
                 json_object_get_int_member (object, "version"));
      }
    g_print ("%-14s %s\n", _("Next renewal:"), next_due);
    g_print ("%-14s %s (%s)\n", _("Last run:"), last,
             member_string (object, "last-result") ?: "-");
    if (member_string (object, "last-error") != NULL)
      g_print ("%-14s %s\n", _("Last error:"), member_string (object, "last-error"));
    if (json_object_has_member (object, "deploy"))
      {
        JsonArray *deploy = json_object_get_array_member (object, "deploy");

        for (guint i = 0; i < json_array_get_length (deploy); i++)
          {
            JsonObject *entry = json_array_get_object_element (deploy, i);
            const char *target = member_string (entry, "target");
            gint64 version = json_object_get_int_member (entry, "version");
            g_autofree char *line = NULL;

            if (version == 0)
              line = g_strdup_printf (_("%s: not deployed yet"), target);
            else if (json_object_get_boolean_member (entry, "success"))
              line = g_strdup_printf (_("%s: version %" G_GINT64_FORMAT), target, version);
            else
              line = g_strdup_printf (_("%s: version %" G_GINT64_FORMAT " failed: %s"), target,
                                      version, member_string (entry, "error") ?: "?");
            g_print ("%-14s %s\n", i == 0 ? _("Deployed:") : "", line);
          }
      }
    if (files != NULL)
      {
        g_print ("%-14s %s\n", _("Private key:"), member_string (files, "privkey"));
        g_print ("%-14s %s\n", _("Certificate:"), member_string (files, "cert"));
        g_print ("%-14s %s\n", _("Chain:"), member_string (files, "chain"));
        g_print ("%-14s %s\n", _("Full chain:"), member_string (files, "fullchain"));
      }
  }
  return GCERT_EXIT_OK;
}

static int
cmd_show (Ctl   *ctl,
          int    argc,
          char **argv)
{
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &ctl->json, N_("Print the state as JSON"), NULL },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(GCertManager) manager = NULL;
  g_autoptr(JsonNode) root = NULL;
  int status;

  if (!parse_subcommand (_("Show the state of one certificate."), _("NAME"),
                         entries, &argc, &argv, &error))
    {
      g_printerr ("gcertctl show: %s\n", error->message);
      return GCERT_EXIT_USAGE;
    }
  if (argc != 2)
    {
      g_printerr (_("gcertctl show: exactly one certificate name is needed\n"));
      return GCERT_EXIT_USAGE;
    }
  if (remote_wanted (ctl))
    return remote_show (ctl, argv[1]);
  status = open_manager (ctl, &manager);
  if (status != GCERT_EXIT_OK)
    return status;
  root = gcert_manager_describe (manager, argv[1], &error);
  if (root == NULL)
    {
      print_error (ctl, error);
      return gcert_error_to_exit_status (error);
    }
  return print_show (ctl, root);
}

/* --- revoke ----------------------------------------------------------------- */

int
report_revoked (Ctl       *ctl,
                GPtrArray *results)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "results");
  json_builder_begin_array (builder);
  for (guint i = 0; i < results->len; i++)
    {
      GCertRenewResult *r = g_ptr_array_index (results, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "name");
      json_builder_add_string_value (builder, r->name);
      json_builder_set_member_name (builder, "revoked");
      json_builder_add_boolean_value (builder, r->success);
      json_builder_set_member_name (builder, "version");
      json_builder_add_int_value (builder, r->version);
      json_builder_set_member_name (builder, "error");
      if (r->error != NULL)
        json_builder_add_string_value (builder, r->error->message);
      else
        json_builder_add_null_value (builder);
      json_builder_end_object (builder);
      if (ctl->json)
        continue;
      if (r->success)
        g_print (_("%s: version %u revoked; the next renewal replaces it\n"), r->name,
                 r->version);
      else
        g_printerr ("gcertctl: %s: %s\n", r->name, r->error ? r->error->message : _("failed"));
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  if (ctl->json)
    {
      g_autoptr(JsonNode) root = json_builder_get_root (builder);

      print_json (root);
    }
  return gcert_renew_results_exit_status (results);
}

static void
revoke_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Ctl *ctl = user_data;
  GCertRenewResult *r = g_ptr_array_index (ctl->results, 0);

  r->success = gcert_manager_revoke_finish (GCERT_MANAGER (source), result, &r->error);
  g_main_loop_quit (ctl->loop);
}

static int
cmd_revoke (Ctl   *ctl,
            int    argc,
            char **argv)
{
  g_autofree char *reason_text = NULL;
  GOptionEntry entries[] = {
    { "reason", 'r', 0, G_OPTION_ARG_STRING, &reason_text, N_("unspecified (default), keyCompromise, affiliationChanged, superseded or cessationOfOperation (or its number)"), N_("REASON") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &ctl->json, N_("Print the result as JSON"), NULL },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(GCertManager) manager = NULL;
  GCertRenewResult *r;
  guint reason = 0;
  guint sigint, sigterm;
  int status;

  if (!parse_subcommand (_("Ask the CA to revoke the live version of a certificate; the next "
                           "renewal replaces it."),
                         _("NAME"), entries, &argc, &argv, &error))
    {
      g_printerr ("gcertctl revoke: %s\n", error->message);
      return GCERT_EXIT_USAGE;
    }
  if (argc != 2)
    {
      g_printerr (_("gcertctl revoke: exactly one certificate name is needed\n"));
      return GCERT_EXIT_USAGE;
    }
  if (reason_text != NULL && !gcert_revocation_reason_from_string (reason_text, &reason, &error))
    {
      g_printerr ("gcertctl revoke: %s\n", error->message);
      return GCERT_EXIT_USAGE;
    }
  if (remote_wanted (ctl))
    return remote_revoke (ctl, argv[1], reason);
  status = open_manager (ctl, &manager);
  if (status != GCERT_EXIT_OK)
    return status;

  ctl->results = g_ptr_array_new_with_free_func ((GDestroyNotify) gcert_renew_result_free);
  r = g_new0 (GCertRenewResult, 1);
  r->name = g_strdup (argv[1]);
  r->attempted = TRUE;
  g_ptr_array_add (ctl->results, r);
  /* the CA's answer is awaited even on Ctrl-C: a revocation is one request */
  sigint = g_unix_signal_add (SIGINT, signal_cb, ctl);
  sigterm = g_unix_signal_add (SIGTERM, signal_cb, ctl);
  gcert_manager_revoke_async (manager, argv[1], reason, ctl->cancellable, revoke_cb, ctl);
  g_main_loop_run (ctl->loop);
  g_source_remove (sigint);
  g_source_remove (sigterm);
  r->version = gcert_store_get_live_version (gcert_manager_get_store (manager), argv[1]);
  return report_revoked (ctl, ctl->results);
}

/* --- check ------------------------------------------------------------------ */

typedef struct {
  Ctl       *ctl;
  GPtrArray *checks;
  GError    *error;
} CheckRun;

static void
check_progress_cb (const char *message,
                   gpointer    user_data)
{
  print_progress (user_data, message);
}

static void
check_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  CheckRun *run = user_data;

  run->checks = gcert_dns_check_finish (result, &run->error);
  g_main_loop_quit (run->ctl->loop);
}

static void
add_strv_member (JsonBuilder        *builder,
                 const char         *name,
                 const char * const *values,
                 guint               n)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_array (builder);
  for (guint i = 0; values != NULL && i < n && values[i] != NULL; i++)
    json_builder_add_string_value (builder, values[i]);
  json_builder_end_array (builder);
}

static JsonNode *
checks_to_json (GPtrArray *checks)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_array (builder);
  for (guint i = 0; i < checks->len; i++)
    {
      GCertDnsCheck *check = g_ptr_array_index (checks, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "certificate");
      json_builder_add_string_value (builder, check->certificate);
      json_builder_set_member_name (builder, "domain");
      json_builder_add_string_value (builder, check->domain);
      json_builder_set_member_name (builder, "challenge-name");
      json_builder_add_string_value (builder, check->route->name);
      json_builder_set_member_name (builder, "record-name");
      json_builder_add_string_value (builder, check->route->fqdn);
      json_builder_set_member_name (builder, "dns");
      json_builder_add_string_value (builder, check->route->dns);
      add_strv_member (builder, "cname-chain", (const char * const *) check->route->chain,
                       G_MAXUINT);
      add_strv_member (builder, "servers", (const char * const *) check->servers, G_MAXUINT);
      add_strv_member (builder, "silent-servers", (const char * const *) check->silent,
                       G_MAXUINT);
      add_strv_member (builder, "problems", (const char * const *) check->problems->pdata,
                       check->problems->len);
      add_strv_member (builder, "notes", (const char * const *) check->notes->pdata,
                       check->notes->len);
      if (check->write_seconds >= 0)
        {
          json_builder_set_member_name (builder, "propagation-seconds");
          json_builder_add_double_value (builder, check->write_seconds);
        }
      json_builder_set_member_name (builder, "ok");
      json_builder_add_boolean_value (builder, check->problems->len == 0);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  return json_builder_get_root (builder);
}

static void
print_checks (GPtrArray *checks)
{
  for (guint i = 0; i < checks->len; i++)
    {
      GCertDnsCheck *check = g_ptr_array_index (checks, i);
      g_autofree char *servers = g_strjoinv (", ", check->servers);

      g_print ("%s %s (%s)\n", check->problems->len == 0 ? _("OK  ") : _("FAIL"),
               check->domain, check->certificate);
      g_print ("     %s → %s, [dns %s]\n", check->route->name, check->route->fqdn,
               check->route->dns);
      if (*servers != '\0')
        g_print ("     %s %s\n", _("checked at:"), servers);
      if (check->write_seconds >= 0)
        g_print ("     %s %.1f s\n", _("a test record reached every server in"),
                 check->write_seconds);
      for (guint j = 0; j < check->notes->len; j++)
        g_print ("     %s %s\n", _("note:"), (const char *) g_ptr_array_index (check->notes, j));
      for (guint j = 0; j < check->problems->len; j++)
        g_print ("     %s %s\n", _("problem:"),
                 (const char *) g_ptr_array_index (check->problems, j));
    }
}

static int
cmd_check (Ctl   *ctl,
           int    argc,
           char **argv)
{
  gboolean write = FALSE;
  GOptionEntry entries[] = {
    { "write", 'w', 0, G_OPTION_ARG_NONE, &write, N_("Also create a test TXT record through the provider, wait until every server serves it, and remove it"), NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &ctl->json, N_("Print the results as JSON"), NULL },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(GCertConfig) config = NULL;
  g_autoptr(GCertDnsRouter) router = NULL;
  g_autoptr(GPtrArray) certificates = g_ptr_array_new ();
  g_autoptr(GPtrArray) checks = NULL;
  g_autoptr(GError) run_error = NULL;
  CheckRun run = { ctl, NULL, NULL };
  guint failed = 0;
  guint id;

  if (!parse_subcommand (_("Check the DNS set-up of certificates: CNAMEs and challenge "
                           "aliases, the providers' settings and the servers asked for "
                           "propagation."), _("[NAME…]"), entries, &argc, &argv, &error))
    {
      g_printerr ("gcertctl check: %s\n", error->message);
      return GCERT_EXIT_USAGE;
    }
  config = load_config (ctl, &error);
  if (config == NULL)
    {
      print_error (ctl, error);
      return gcert_error_to_exit_status (error);
    }
  if (argc < 2)
    {
      GPtrArray *all = gcert_config_get_certificates (config);

      for (guint i = 0; i < all->len; i++)
        g_ptr_array_add (certificates, g_ptr_array_index (all, i));
    }
  for (int i = 1; i < argc; i++)
    {
      GCertCertificateConfig *cert = gcert_config_lookup_certificate (config, argv[i]);

      if (cert == NULL)
        {
          g_set_error (&error, GCERT_ERROR, GCERT_ERROR_CONFIG,
                       _("%s: there is no [certificate %s] group"),
                       gcert_config_get_path (config), argv[i]);
          print_error (ctl, error);
          return gcert_error_to_exit_status (error);
        }
      g_ptr_array_add (certificates, cert);
    }
  if (certificates->len == 0)
    {
      g_set_error (&error, GCERT_ERROR, GCERT_ERROR_CONFIG,
                   _("%s: there is no [certificate] group to check"),
                   gcert_config_get_path (config));
      print_error (ctl, error);
      return gcert_error_to_exit_status (error);
    }

  router = gcert_dns_router_new (config);
  id = g_unix_signal_add (SIGINT, signal_cb, ctl);
  gcert_dns_check_async (router, config, certificates, write, check_progress_cb, ctl,
                         ctl->cancellable, check_done_cb, &run);
  g_main_loop_run (ctl->loop);
  g_source_remove (id);
  checks = g_steal_pointer (&run.checks);
  run_error = g_steal_pointer (&run.error);
  if (checks == NULL)
    {
      print_error (ctl, run_error);
      return gcert_error_to_exit_status (run_error);
    }

  for (guint i = 0; i < checks->len; i++)
    {
      GCertDnsCheck *check = g_ptr_array_index (checks, i);

      if (check->problems->len > 0)
        failed++;
    }
  if (ctl->json)
    {
      g_autoptr(JsonNode) root = checks_to_json (checks);

      print_json (root);
    }
  else
    print_checks (checks);
  return failed > 0 ? GCERT_EXIT_FAILURE : GCERT_EXIT_OK;
}

/* --- main ------------------------------------------------------------------- */

static const struct {
  const char *name;
  int (*run) (Ctl *ctl, int argc, char **argv);
  const char *summary;
  gboolean remote;   /* also through the service */
} commands[] = {
  { "issue", cmd_issue, N_("Issue a certificate for names given on the command line"), TRUE },
  { "renew", cmd_renew, N_("Renew the certificates of the configuration that are due"), TRUE },
  { "list", cmd_list, N_("List certificates, their expiry and last result"), TRUE },
  { "show", cmd_show, N_("Show one certificate in detail"), TRUE },
  { "revoke", cmd_revoke, N_("Ask the CA to revoke a certificate"), TRUE },
  { "deploy", cmd_deploy, N_("Deploy the live certificates to their targets again"), FALSE },
  { "check", cmd_check, N_("Check the DNS set-up: CNAMEs, challenge aliases, providers, servers"), FALSE },
};

static char *
commands_description (void)
{
  g_autoptr(GString) text = g_string_new (_("Commands:"));

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    g_string_append_printf (text, "\n  %-8s %s", commands[i].name, _(commands[i].summary));
  g_string_append (text, "\n\n");
  g_string_append (text, _("Run “gcertctl COMMAND --help” for a command's options.\n"
                           "Exit status: 0 success, 1 failure, 2 usage or configuration error,\n"
                           "3 some certificates failed, 4 locked by another run, 75 temporary failure."));
  return g_string_free (g_steal_pointer (&text), FALSE);
}

int
main (int    argc,
      char **argv)
{
  Ctl ctl = { 0 };
  gboolean version = FALSE;
  GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &ctl.config_path, N_("Configuration file (default: /etc/gcert/gcert.conf, or ~/.config/gcert/gcert.conf)"), N_("FILE") },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &ctl.verbose, N_("Show the HTTP exchanges and other details"), NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &ctl.quiet, N_("Print only errors and results"), NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &ctl.json, N_("Print results and errors as JSON"), NULL },
    { "system", 0, 0, G_OPTION_ARG_NONE, &ctl.system_bus, N_("Run issue, renew, list and show through gcertd on the system bus"), NULL },
    { "session", 0, 0, G_OPTION_ARG_NONE, &ctl.session_bus, N_("Run issue, renew, list and show through gcertd on the session bus"), NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, N_("Print the version"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *description = NULL;
  int status = GCERT_EXIT_USAGE;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, GCERT_LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  context = g_option_context_new (_("COMMAND [OPTION…]"));
  g_option_context_set_summary (context, _("Obtain and renew TLS certificates from ACME CAs with DNS-01."));
  description = commands_description ();
  g_option_context_set_description (context, description);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  /* global options end at the command: the rest is the command's */
  g_option_context_set_strict_posix (context, TRUE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("gcertctl: %s\n", error->message);
      return GCERT_EXIT_USAGE;
    }
  if (version)
    {
      g_print ("gcertctl %s\n", PACKAGE_VERSION);
      return GCERT_EXIT_OK;
    }
  if (ctl.system_bus && ctl.session_bus)
    {
      g_printerr (_("gcertctl: --system and --session exclude each other\n"));
      return GCERT_EXIT_USAGE;
    }
  if ((ctl.system_bus || ctl.session_bus) && ctl.config_path != NULL)
    {
      g_printerr (_("gcertctl: --config cannot be combined with --system or --session: the "
                    "service reads its own configuration\n"));
      return GCERT_EXIT_USAGE;
    }
  if (argc < 2)
    {
      g_autofree char *help = g_option_context_get_help (context, TRUE, NULL);

      g_printerr ("%s", help);
      return GCERT_EXIT_USAGE;
    }

  log_verbose = ctl.verbose;
  if (ctl.verbose)
    g_log_set_debug_enabled (TRUE);
  g_log_set_writer_func (log_writer, NULL, NULL);

  ctl.loop = g_main_loop_new (NULL, FALSE);
  ctl.cancellable = g_cancellable_new ();
  ctl.started = g_get_monotonic_time ();

  {
    gboolean found = FALSE;

    for (guint i = 0; i < G_N_ELEMENTS (commands) && !found; i++)
      {
        if (g_strcmp0 (argv[1], commands[i].name) == 0)
          {
            found = TRUE;
            if (remote_wanted (&ctl) && !commands[i].remote)
              g_printerr (_("gcertctl: %s runs only in process, not through the service "
                            "(drop --system/--session)\n"), argv[1]);
            else
              status = commands[i].run (&ctl, argc - 1, argv + 1);
          }
      }
    if (!found)
      g_printerr (_("gcertctl: unknown command “%s” (try --help)\n"), argv[1]);
  }

  g_clear_pointer (&ctl.results, g_ptr_array_unref);
  g_clear_error (&ctl.error);
  g_clear_object (&ctl.cancellable);
  g_clear_pointer (&ctl.loop, g_main_loop_unref);
  g_free (ctl.config_path);
  return status;
}
