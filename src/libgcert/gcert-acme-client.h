/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libsoup/soup.h>
#include <json-glib/json-glib.h>

#include "gcert-key.h"
#include "gcert-retry.h"

G_BEGIN_DECLS

typedef enum {
  GCERT_ACME_REQUEST_NONE    = 0,
  /* sign with the account's public key (newAccount) instead of its URL */
  GCERT_ACME_REQUEST_USE_JWK = 1 << 0,
  /* a state-changing POST whose replay is not safe (finalize, challenge):
   * when its outcome is unknown (reset, truncated, 5xx) the request fails
   * with GCERT_ERROR_NETWORK instead of being retried, and the caller fetches
   * the resource to learn what happened */
  GCERT_ACME_REQUEST_UNSAFE  = 1 << 1,
  /* expects application/pem-certificate-chain, with a small body cap */
  GCERT_ACME_REQUEST_PEM     = 1 << 2,
  /* a successful answer carries no resource (revokeCert): its body is
   * neither read as JSON nor checked for a content type */
  GCERT_ACME_REQUEST_NO_CONTENT = 1 << 3,
} GCertAcmeRequestFlags;

typedef struct {
  guint               status;
  SoupMessageHeaders *headers;
  GBytes             *body;
  JsonNode           *json;       /* nullable: the parsed body when JSON */
  char               *location;   /* nullable: the Location header */
} GCertAcmeResponse;

void gcert_acme_response_free (GCertAcmeResponse *response);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GCertAcmeResponse, gcert_acme_response_free)

/* Fields of the CA's directory (RFC 8555 §7.1.1). */
typedef struct {
  char     *new_nonce;
  char     *new_account;
  char     *new_order;
  char     *revoke_cert;
  char     *key_change;
  char     *renewal_info;      /* nullable */
  char     *terms_of_service;  /* nullable */
  gboolean  external_account_required;
} GCertAcmeDirectory;

#define GCERT_TYPE_ACME_CLIENT (gcert_acme_client_get_type ())
G_DECLARE_FINAL_TYPE (GCertAcmeClient, gcert_acme_client, GCERT, ACME_CLIENT, GObject)

/* @ca_certificates: (nullable) PEM file of CAs trusted for the CA's HTTPS
 * instead of the system's */
G_GNUC_WARN_UNUSED_RESULT
GCertAcmeClient *gcert_acme_client_new        (const char       *directory_url,
                                               const char       *ca_certificates,
                                               GError          **error);
const char      *gcert_acme_client_get_directory_url (GCertAcmeClient *self);
void             gcert_acme_client_set_policy (GCertAcmeClient        *self,
                                               const GCertRetryPolicy *policy);
/* seconds of silence before a request is given up (and retried) */
void             gcert_acme_client_set_timeout (GCertAcmeClient *self,
                                                guint            seconds);
/* logs each exchange at debug level (G_MESSAGES_DEBUG), secrets redacted */
void             gcert_acme_client_set_verbose (GCertAcmeClient *self,
                                                gboolean         verbose);
void             gcert_acme_client_set_account (GCertAcmeClient *self,
                                                GCertKey        *key,
                                                const char      *account_url);
GCertKey        *gcert_acme_client_get_account_key (GCertAcmeClient *self);
const char      *gcert_acme_client_get_account_url (GCertAcmeClient *self);
/* requests sent on the wire, retries included */
guint            gcert_acme_client_get_request_count (GCertAcmeClient *self);

/* Fetches the directory once (later calls share the first answer). */
void                      gcert_acme_client_load_directory_async  (GCertAcmeClient     *self,
                                                                   GCancellable        *cancellable,
                                                                   GAsyncReadyCallback  callback,
                                                                   gpointer             user_data);
const GCertAcmeDirectory *gcert_acme_client_load_directory_finish (GCertAcmeClient     *self,
                                                                   GAsyncResult        *result,
                                                                   GError             **error);

/* (nullable) the directory, once loaded */
const GCertAcmeDirectory *gcert_acme_client_get_directory (GCertAcmeClient *self);

/* A signed POST (or POST-as-GET when @payload is NULL) with the retry policy.
 * Problem documents become GCERT_ACME_ERROR errors. Needs the directory. */
void               gcert_acme_client_post_async  (GCertAcmeClient       *self,
                                                  const char            *url,
                                                  const char            *payload,
                                                  GCertAcmeRequestFlags  flags,
                                                  GCancellable          *cancellable,
                                                  GAsyncReadyCallback    callback,
                                                  gpointer               user_data);
GCertAcmeResponse *gcert_acme_client_post_finish (GCertAcmeClient       *self,
                                                  GAsyncResult          *result,
                                                  GError               **error);

/* Creates the account of the client's key with @contacts and the terms
 * agreed, or with @find_existing first asks for it (onlyReturnExisting) and
 * creates it only when the CA does not know the key; sets the account URL. */
void     gcert_acme_client_register_async  (GCertAcmeClient     *self,
                                            const char * const  *contacts,
                                            gboolean             find_existing,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
gboolean gcert_acme_client_register_finish (GCertAcmeClient     *self,
                                            GAsyncResult        *result,
                                            GError             **error);

/* Asks the CA to revoke the certificate @certificate_der (the leaf, DER)
 * with the CRL reason code @reason of RFC 5280 (RFC 8555 §7.6), signed
 * with the registered account (kid). Loads the directory when needed.
 * Problem documents become GCERT_ACME_ERROR errors prefixed "revoking the
 * certificate: "; a certificate the CA has revoked before (by anyone, or
 * by this request when a lost answer made it be sent again) gives
 * GCERT_ACME_ERROR_ALREADY_REVOKED, which callers that only want the
 * certificate revoked may take as success. GCERT_ERROR_NOT_SUPPORTED when
 * the directory has no revokeCert. */
void     gcert_acme_client_revoke_async    (GCertAcmeClient     *self,
                                            GBytes              *certificate_der,
                                            guint                reason,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
gboolean gcert_acme_client_revoke_finish   (GCertAcmeClient     *self,
                                            GAsyncResult        *result,
                                            GError             **error);

/* A GError from a problem document (RFC 7807 / RFC 8555 §6.7): "DETAIL",
 * with the identifiers of subproblems ("IDENT: DETAIL; …"), code from the
 * type. @prefix (nullable) goes first, e.g. the identifier. */
GError  *gcert_acme_problem_to_error       (JsonNode            *problem,
                                            const char          *prefix);

G_END_DECLS
