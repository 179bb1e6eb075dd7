/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "gcert.h"

G_BEGIN_DECLS

/* A real OpenSSH server for tests: public-key logins only, throw-away keys. */
typedef struct {
  char    *tmpdir;
  guint16  port;
  char    *host;              /* "127.0.0.1" */
  char    *user;              /* the user the tests log in as (the current user) */
  char    *identity_file;     /* a throw-away ed25519 client key, 0600, authorized for @user */
  char    *known_hosts_file;  /* "[127.0.0.1]:PORT" with the throw-away host key */
  /* a client config: `Host gcert-test-sshd` with HostName, Port, User,
   * IdentityFile, IdentitiesOnly and UserKnownHostsFile set for this server */
  char    *ssh_config_file;
  /* private */
  GPid     pid;
  char    *log_file;          /* sshd's stderr (-e) */
} GCertTestSshd;

/* The Host alias @ssh_config_file defines. */
#define GCERT_TEST_SSHD_HOST_ALIAS "gcert-test-sshd"

/* Runs /usr/sbin/sshd -D -e -f CONFIG on a free loopback port, with its
 * config, host key and authorized_keys in a fresh temporary directory (no
 * system file is used or changed). Returns once it sends its SSH banner. A
 * failed start gives sshd's log in @error. The server gets SIGTERM if the
 * thread that started it exits. */
GCertTestSshd *gcert_test_sshd_start       (GError        **error);
/* SIGTERM, waitpid, rm -rf */
void           gcert_test_sshd_stop        (GCertTestSshd  *sshd);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GCertTestSshd, gcert_test_sshd_stop)

/* FALSE with sshd's log in @error once it has exited. */
gboolean       gcert_test_sshd_check_alive (GCertTestSshd  *sshd,
                                            GError        **error);

/* Runs @command through the test user's login shell on the server with
 * /usr/bin/ssh (BatchMode, the fixture's key and known_hosts); @stdin_data
 * (nullable) is its standard input. Returns its exit status (255: ssh
 * failed), or -1 with @error when ssh could not be run. Output is
 * collected when @out_stdout / @out_stderr are not NULL. */
int            gcert_test_sshd_run         (GCertTestSshd  *sshd,
                                            const char     *command,
                                            const char     *stdin_data,
                                            char          **out_stdout,
                                            char          **out_stderr,
                                            GError        **error);

G_END_DECLS
