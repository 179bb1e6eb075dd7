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

G_END_DECLS
