/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <glib-unix.h>
#include <locale.h>
#include <stdio.h>
#include <unistd.h>

#include "gcert.h"
#include "gcert-daemon.h"

static gboolean verbose;
static gboolean to_journal;

static GLogWriterOutput
log_writer (GLogLevelFlags   level,
            const GLogField *fields,
            gsize            n_fields,
            gpointer         user_data)
{
  /* debug lines (HTTP exchanges) only with --verbose */
  if ((level & G_LOG_LEVEL_DEBUG) != 0 && !verbose)
    return G_LOG_WRITER_HANDLED;
  if (to_journal &&
      g_log_writer_journald (level, fields, n_fields, user_data) == G_LOG_WRITER_HANDLED)
    return G_LOG_WRITER_HANDLED;
  return g_log_writer_standard_streams (level, fields, n_fields, user_data);
}

typedef struct {
  GMainLoop *loop;
  int        status;
} Run;

static void
exit_cb (GCertDaemon *daemon,
         int          status,
         Run         *run)
{
  run->status = status;
  g_main_loop_quit (run->loop);
}

static gboolean
signal_cb (gpointer user_data)
{
  GCertDaemon *daemon = user_data;

  g_message (_("stopping: running jobs are cancelled and clean up first"));
  gcert_daemon_stop (daemon);
  return G_SOURCE_CONTINUE;
}

int
main (int    argc,
      char **argv)
{
  gboolean session = FALSE, system = FALSE, version = FALSE, replace = FALSE;
  g_autofree char *config_path = NULL;
  int idle_timeout = 60, polkit_timeout = 25;
  GOptionEntry entries[] = {
    { "system", 0, 0, G_OPTION_ARG_NONE, &system, N_("Serve on the system bus (the default)"), NULL },
    { "session", 0, 0, G_OPTION_ARG_NONE, &session, N_("Serve on the session bus, for the user's own certificates"), NULL },
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path, N_("Configuration file (default: /etc/gcert/gcert.conf, or ~/.config/gcert/gcert.conf)"), N_("FILE") },
    { "idle-timeout", 0, 0, G_OPTION_ARG_INT, &idle_timeout, N_("Exit after this many seconds without calls or jobs (default 60, 0: never)"), N_("SECONDS") },
    { "polkit-timeout", 0, 0, G_OPTION_ARG_INT, &polkit_timeout, N_("Refuse a call when polkit has not answered within this many seconds (default 25)"), N_("SECONDS") },
    { "replace", 'r', 0, G_OPTION_ARG_NONE, &replace, N_("Take the bus name over from a running gcertd"), NULL },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, N_("Log the HTTP exchanges and other details"), NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, N_("Print the version"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GCertDaemon) daemon = NULL;
  GCertDaemonOptions options = { 0 };
  Run run = { NULL, 0 };
  guint sigint, sigterm;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, GCERT_LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context, _("The gcert certificate service on D-Bus (org.gcert.Gcert1)."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("gcertd: %s\n", error->message);
      return GCERT_EXIT_USAGE;
    }
  if (version)
    {
      g_print ("gcertd %s\n", PACKAGE_VERSION);
      return GCERT_EXIT_OK;
    }
  if (argc > 1)
    {
      g_printerr (_("gcertd: unexpected argument “%s”\n"), argv[1]);
      return GCERT_EXIT_USAGE;
    }
  if (session && system)
    {
      g_printerr (_("gcertd: --system and --session exclude each other\n"));
      return GCERT_EXIT_USAGE;
    }
  if (idle_timeout < 0 || idle_timeout > 86400 || polkit_timeout < 1 || polkit_timeout > 3600)
    {
      g_printerr (_("gcertd: --idle-timeout must be from 0 to 86400, --polkit-timeout from 1 "
                    "to 3600\n"));
      return GCERT_EXIT_USAGE;
    }

  to_journal = g_log_writer_is_journald (fileno (stderr));
  if (verbose)
    g_log_set_debug_enabled (TRUE);
  g_log_set_writer_func (log_writer, NULL, NULL);

  options.bus_type = session ? G_BUS_TYPE_SESSION : G_BUS_TYPE_SYSTEM;
  options.config_path = config_path;
  options.idle_timeout = (guint) idle_timeout;
  options.polkit_timeout = (guint) polkit_timeout;
  options.verbose = verbose;
  options.replace = replace;

  run.loop = g_main_loop_new (NULL, FALSE);
  daemon = gcert_daemon_new (&options);
  g_signal_connect (daemon, "exit", G_CALLBACK (exit_cb), &run);
  sigint = g_unix_signal_add (SIGINT, signal_cb, daemon);
  sigterm = g_unix_signal_add (SIGTERM, signal_cb, daemon);
  gcert_daemon_start (daemon);
  g_main_loop_run (run.loop);
  g_source_remove (sigint);
  g_source_remove (sigterm);
  g_clear_object (&daemon);
  g_main_loop_unref (run.loop);
  return run.status;
}
