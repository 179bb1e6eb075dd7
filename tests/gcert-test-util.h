/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "gcert.h"

G_BEGIN_DECLS

/* A fresh temporary directory (0700) under $TMPDIR; aborts the test on error. */
char     *gcert_test_mkdtemp            (const char *prefix);
/* Removes a tree; symlinks are removed, not followed. */
void      gcert_test_rm_rf              (const char *path);

/* Writes a throw-away CA (ca.pem) and a leaf signed by it (cert.pem, key.pem)
 * into @dir for @names, which may be DNS names or IP literals. The leaf is
 * valid for TLS server use. */
gboolean  gcert_test_make_tls_pair      (const char          *dir,
                                         const char * const  *names,
                                         char               **out_ca_file,
                                         char               **out_cert_file,
                                         char               **out_key_file,
                                         GError             **error);

/* A leaf for @key carrying @names (dNSName SANs), valid between the two
 * times, issued by a fresh CA. Returns the leaf followed by the CA as PEM;
 * @out_ca_pem gets the CA alone. */
char     *gcert_test_issue_certificate  (GCertKey            *key,
                                         const char * const  *names,
                                         GDateTime           *not_before,
                                         GDateTime           *not_after,
                                         char               **out_ca_pem);

/* One key of each type per test program, made on first use (RSA-4096 takes
 * seconds); gcert_test_clear_keys() drops them. */
GCertKey *gcert_test_get_key    (GCertKeyType type);
void      gcert_test_clear_keys (void);

/* A GAsyncReadyCallback that stores a reference to the result in the
 * GAsyncResult* slot given as user data (which must be NULL before). */
void          gcert_test_result_cb (GObject       *source_object,
                                    GAsyncResult  *result,
                                    gpointer       user_data);
/* Iterates the thread-default main context until the slot is filled. */
GAsyncResult *gcert_test_wait_for  (GAsyncResult **slot);

/* A finished run of the gcertctl under test (env GCERTCTL). */
typedef struct {
  int   status;
  char *out;
  char *err;
} GCertTestRun;

void          gcert_test_run_free     (GCertTestRun       *run);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GCertTestRun, gcert_test_run_free)
/* `gcertctl -c CONFIG ARGS…` (no -c when @config is NULL), to its end;
 * GCERT_CA_CERTIFICATES, GCERT_STATEDIR and STATE_DIRECTORY are unset */
GCertTestRun *gcert_test_run_gcertctl (const char         *config,
                                       const char * const *args);
#define gcert_test_run_ctl(config, ...) \
  gcert_test_run_gcertctl ((config), (const char * const []) { __VA_ARGS__, NULL })
/* asserts the exit status, logging both outputs when it differs */
void          gcert_test_assert_exit  (const GCertTestRun *run,
                                       int                 expected);
/* The live files of @name under the state directory @state: a key 0600 in
 * a 0700 directory and a chain signed up to @root_pem for exactly @names
 * that belongs to the key; cert.pem the leaf, chain.pem its issuers.
 * Returns the full chain. */
GCertCertificate *gcert_test_check_live (const char         *state,
                                         const char         *name,
                                         const char * const *names,
                                         const char         *root_pem);

G_END_DECLS
