/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "gcert-test-pebble.h"
#include "gcert-test-sshd.h"
#include "gcert-test-util.h"

#define SSHD_PROGRAM       "/usr/sbin/sshd"
#define SSH_KEYGEN_PROGRAM "/usr/bin/ssh-keygen"
#define SSH_PROGRAM        "/usr/bin/ssh"
/* sshd's privilege separation directory, needed when it runs as root */
#define PRIVSEP_DIR        "/run/sshd"
#define READY_TIMEOUT_S    20

/* --- the process ---------------------------------------------------------- */

/* sshd as the helpers of gcert-test-util.h watch it */
static GCertTestProcess
server_process (GCertTestSshd *sshd)
{
  return (GCertTestProcess) { "sshd", &sshd->pid, sshd->log_file };
}

/* --- keys and config ------------------------------------------------------ */

static gboolean
run_keygen (const char  *path,
            const char  *comment,
            GError     **error)
{
  g_autoptr(GSubprocess) process = NULL;
  g_autofree char *err = NULL;

  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                              error, SSH_KEYGEN_PROGRAM, "-q", "-t", "ed25519", "-N", "",
                              "-C", comment, "-f", path, NULL);
  if (process == NULL)
    return FALSE;
  if (!g_subprocess_communicate_utf8 (process, NULL, NULL, NULL, &err, error))
    return FALSE;
  if (!g_subprocess_get_if_exited (process) || g_subprocess_get_exit_status (process) != 0)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_FAILED, "ssh-keygen %s failed: %s", path,
                   err != NULL ? err : "");
      return FALSE;
    }
  return TRUE;
}

/* "TYPE BASE64" of a .pub file, without its comment */
static char *
read_public_key (const char  *path,
                 GError     **error)
{
  g_autofree char *contents = NULL;
  g_auto(GStrv) fields = NULL;

  if (!g_file_get_contents (path, &contents, NULL, error))
    return NULL;
  fields = g_strsplit_set (g_strstrip (contents), " \t", 3);
  if (g_strv_length (fields) < 2)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA, "%s is not a public key", path);
      return NULL;
    }
  return g_strdup_printf ("%s %s", fields[0], fields[1]);
}

static gboolean
write_file (const char  *path,
            const char  *contents,
            int          mode,
            GError     **error)
{
  return g_file_set_contents_full (path, contents, -1, G_FILE_SET_CONTENTS_CONSISTENT, mode,
                                   error);
}

static gboolean
make_keys (GCertTestSshd  *sshd,
           GError        **error)
{
  g_autofree char *host_key = g_build_filename (sshd->tmpdir, "ssh_host_ed25519_key", NULL);
  g_autofree char *client_pub = NULL;
  g_autofree char *authorized = NULL;
  g_autofree char *line = NULL;
  g_autofree char *authorized_keys = g_build_filename (sshd->tmpdir, "authorized_keys", NULL);

  sshd->identity_file = g_build_filename (sshd->tmpdir, "id_ed25519", NULL);
  if (!run_keygen (host_key, "gcert-test-host", error) ||
      !run_keygen (sshd->identity_file, "gcert-test-client", error))
    return FALSE;

  client_pub = g_strconcat (sshd->identity_file, ".pub", NULL);
  authorized = read_public_key (client_pub, error);
  if (authorized == NULL)
    return FALSE;
  line = g_strconcat (authorized, " gcert-test-client\n", NULL);
  return write_file (authorized_keys, line, 0600, error);
}

static gboolean
write_known_hosts (GCertTestSshd  *sshd,
                   GError        **error)
{
  g_autofree char *host_pub = g_build_filename (sshd->tmpdir, "ssh_host_ed25519_key.pub",
                                                NULL);
  g_autofree char *key = read_public_key (host_pub, error);
  g_autofree char *line = NULL;

  if (key == NULL)
    return FALSE;
  line = g_strdup_printf ("[%s]:%u %s\n", sshd->host, sshd->port, key);
  g_clear_pointer (&sshd->known_hosts_file, g_free);
  sshd->known_hosts_file = g_build_filename (sshd->tmpdir, "known_hosts", NULL);
  return write_file (sshd->known_hosts_file, line, 0644, error);
}

static gboolean
write_configs (GCertTestSshd  *sshd,
               GError        **error)
{
  g_autofree char *config = g_build_filename (sshd->tmpdir, "sshd_config", NULL);
  g_autofree char *server = NULL;
  g_autofree char *client = NULL;

  server = g_strdup_printf ("ListenAddress %s:%u\n"
                            "HostKey \"%s/ssh_host_ed25519_key\"\n"
                            "AuthorizedKeysFile \"%s/authorized_keys\"\n"
                            "PidFile \"%s/sshd.pid\"\n"
                            "PubkeyAuthentication yes\n"
                            "AuthenticationMethods publickey\n"
                            "PasswordAuthentication no\n"
                            "KbdInteractiveAuthentication no\n"
                            "HostbasedAuthentication no\n"
                            "UsePAM no\n"
                            "StrictModes no\n"
                            "PermitRootLogin prohibit-password\n"
                            "LoginGraceTime 20\n"
                            "MaxStartups 100\n"
                            "MaxSessions 100\n"
                            "X11Forwarding no\n"
                            "AllowTcpForwarding no\n"
                            "PermitTunnel no\n"
                            "PrintMotd no\n"
                            "PrintLastLog no\n"
                            "UseDNS no\n"
                            "LogLevel VERBOSE\n",
                            sshd->host, sshd->port, sshd->tmpdir, sshd->tmpdir, sshd->tmpdir);
  if (!write_file (config, server, 0600, error))
    return FALSE;

  client = g_strdup_printf ("Host %s\n"
                            "  HostName %s\n"
                            "  Port %u\n"
                            "  User %s\n"
                            "  IdentityFile \"%s\"\n"
                            "  IdentitiesOnly yes\n"
                            "  UserKnownHostsFile \"%s\"\n"
                            "  GlobalKnownHostsFile /dev/null\n"
                            "  StrictHostKeyChecking yes\n"
                            "  BatchMode yes\n",
                            GCERT_TEST_SSHD_HOST_ALIAS, sshd->host, sshd->port, sshd->user,
                            sshd->identity_file, sshd->known_hosts_file);
  g_clear_pointer (&sshd->ssh_config_file, g_free);
  sshd->ssh_config_file = g_build_filename (sshd->tmpdir, "ssh_config", NULL);
  return write_file (sshd->ssh_config_file, client, 0644, error);
}

static gboolean
ensure_privsep_dir (GError **error)
{
  if (geteuid () != 0 || g_file_test (PRIVSEP_DIR, G_FILE_TEST_IS_DIR))
    return TRUE;
  if (g_mkdir_with_parents (PRIVSEP_DIR, 0755) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "cannot create %s: %s", PRIVSEP_DIR, g_strerror (saved_errno));
      return FALSE;
    }
  return TRUE;
}

/* --- start and stop ------------------------------------------------------- */

static gboolean
spawn_server (GCertTestSshd  *sshd,
              GError        **error)
{
  g_autofree char *config = g_build_filename (sshd->tmpdir, "sshd_config", NULL);
  /* sshd re-executes itself and so wants an absolute path */
  const char *argv[] = { SSHD_PROGRAM, "-D", "-e", "-f", config, NULL };

  return gcert_test_spawn_logged (sshd->tmpdir, argv, NULL, sshd->log_file, NULL, &sshd->pid,
                                  error);
}

/* TRUE once something on the port sends an SSH banner */
static gboolean
banner_probe (GCertTestSshd *sshd)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  char buffer[8] = { 0 };
  gsize got = 0;

  g_socket_client_set_timeout (client, 2);
  connection = g_socket_client_connect_to_host (client, sshd->host, sshd->port, NULL, NULL);
  if (connection == NULL)
    return FALSE;
  if (!g_input_stream_read_all (g_io_stream_get_input_stream (G_IO_STREAM (connection)),
                                buffer, 4, &got, NULL, NULL))
    return FALSE;
  return got == 4 && memcmp (buffer, "SSH-", 4) == 0;
}

/* the banner may come from a stranger who took the port in between:
 * only our server logs that it listens */
static gboolean
server_answers (gpointer     user_data,
                const char **out_waiting_for)
{
  GCertTestSshd *sshd = user_data;

  *out_waiting_for = "the SSH banner";
  return banner_probe (sshd) && gcert_test_log_contains (sshd->log_file, "Server listening");
}

static gboolean
wait_until_ready (GCertTestSshd  *sshd,
                  gboolean       *retry,
                  GError        **error)
{
  GCertTestProcess process = server_process (sshd);

  return gcert_test_wait_ready (&process, 1, READY_TIMEOUT_S, server_answers, sshd, retry,
                                error);
}

static gboolean
start_once (gpointer   user_data,
            gboolean  *retry,
            GError   **error)
{
  GCertTestSshd *sshd = user_data;

  *retry = FALSE;
  sshd->port = gcert_test_find_free_port (FALSE);
  if (!write_known_hosts (sshd, error) ||
      !write_configs (sshd, error) ||
      !spawn_server (sshd, error))
    return FALSE;
  return wait_until_ready (sshd, retry, error);
}

static void
terminate_server (gpointer user_data)
{
  GCertTestSshd *sshd = user_data;

  gcert_test_terminate (&sshd->pid);
}

GCertTestSshd *
gcert_test_sshd_start (GError **error)
{
  g_autoptr(GCertTestSshd) sshd = NULL;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!g_file_test (SSHD_PROGRAM, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_NOT_FOUND,
                   "%s is missing: install openssh-server", SSHD_PROGRAM);
      return NULL;
    }
  if (!ensure_privsep_dir (error))
    return NULL;

  sshd = g_new0 (GCertTestSshd, 1);
  sshd->tmpdir = gcert_test_mkdtemp ("gcert-sshd");
  sshd->host = g_strdup ("127.0.0.1");
  sshd->user = g_strdup (g_get_user_name ());
  sshd->log_file = g_build_filename (sshd->tmpdir, "sshd.log", NULL);
  if (!make_keys (sshd, error))
    return NULL;

  if (!gcert_test_start_retrying ("sshd", start_once, terminate_server, sshd, error))
    return NULL;
  return g_steal_pointer (&sshd);
}

void
gcert_test_sshd_stop (GCertTestSshd *sshd)
{
  if (sshd == NULL)
    return;

  gcert_test_terminate (&sshd->pid);
  if (sshd->tmpdir != NULL)
    gcert_test_rm_rf (sshd->tmpdir);
  g_free (sshd->tmpdir);
  g_free (sshd->host);
  g_free (sshd->user);
  g_free (sshd->identity_file);
  g_free (sshd->known_hosts_file);
  g_free (sshd->ssh_config_file);
  g_free (sshd->log_file);
  g_free (sshd);
}

gboolean
gcert_test_sshd_check_alive (GCertTestSshd  *sshd,
                             GError        **error)
{
  GCertTestProcess process;

  g_return_val_if_fail (sshd != NULL, FALSE);

  process = server_process (sshd);
  return gcert_test_process_check_alive (&process, error);
}

int
gcert_test_sshd_run (GCertTestSshd  *sshd,
                     const char     *command,
                     const char     *stdin_data,
                     char          **out_stdout,
                     char          **out_stderr,
                     GError        **error)
{
  g_autoptr(GSubprocess) process = NULL;
  g_autofree char *port = NULL;
  g_autofree char *known_hosts = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  GSubprocessFlags flags = G_SUBPROCESS_FLAGS_STDIN_PIPE;

  g_return_val_if_fail (sshd != NULL, -1);
  g_return_val_if_fail (command != NULL, -1);
  g_return_val_if_fail (error == NULL || *error == NULL, -1);

  flags |= out_stdout != NULL ? G_SUBPROCESS_FLAGS_STDOUT_PIPE : G_SUBPROCESS_FLAGS_STDOUT_SILENCE;
  flags |= out_stderr != NULL ? G_SUBPROCESS_FLAGS_STDERR_PIPE : G_SUBPROCESS_FLAGS_STDERR_SILENCE;
  port = g_strdup_printf ("%u", sshd->port);
  /* a config line: quoted for the spaces $TMPDIR may hold */
  known_hosts = g_strdup_printf ("UserKnownHostsFile=\"%s\"", sshd->known_hosts_file);
  process = g_subprocess_new (flags, error, SSH_PROGRAM, "-F", "/dev/null", "-T", "-x",
                              "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
                              "-o", known_hosts, "-o", "GlobalKnownHostsFile=/dev/null",
                              "-o", "IdentitiesOnly=yes", "-i", sshd->identity_file,
                              "-p", port, "-l", sshd->user, "--", sshd->host, command, NULL);
  if (process == NULL)
    return -1;
  if (!g_subprocess_communicate_utf8 (process, stdin_data != NULL ? stdin_data : "", NULL,
                                      out_stdout != NULL ? &out : NULL,
                                      out_stderr != NULL ? &err : NULL, error))
    return -1;
  if (out_stdout != NULL)
    *out_stdout = g_steal_pointer (&out);
  if (out_stderr != NULL)
    *out_stderr = g_steal_pointer (&err);
  if (!g_subprocess_get_if_exited (process))
    return 128 + g_subprocess_get_term_sig (process);
  return g_subprocess_get_exit_status (process);
}
